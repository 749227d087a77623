"""What the device learned survives a restart: saved and restored whole, or (damaged) not at all."""

import os
from array import array

import logtest
from procrig import processor

from lumbo_fw.calibration import CalibrationStore
from lumbo_fw.posture import REF_CALIBRATED


def setup_function(_function=None):
    logtest.cleanup()


def teardown_function(_function=None):
    logtest.cleanup()


def _path():
    root = logtest.fresh_root()
    os.mkdir(root)
    return root + "/calibration"


def _learned():
    p = processor()
    up = p.classifier.upright_q14
    up[0] = 1200
    up[1] = -300
    up[2] = 16330
    p.classifier.reference_kind = REF_CALIBRATED
    p.mounting.calibrate_upright(up)
    return p


def test_a_restart_gets_back_what_was_learned():
    path = _path()
    before = _learned()
    CalibrationStore(path).save(before)
    after = processor()
    store = CalibrationStore(path)
    assert store.restore(after)
    assert list(after.classifier.upright_q14) == [1200, -300, 16330]
    assert after.classifier.reference_kind == REF_CALIBRATED
    assert after.tilt.save() == before.tilt.save()
    # The mounting is kept in single precision: the same tilt to within a hundredth of a degree.
    want = array("i", (0, 0, 0))
    got = array("i", (0, 0, 0))
    for gravity in ((1200, -300, 16330), (3000, 200, 16100), (-2000, 0, 16260)):
        g = array("i", gravity)
        before.mounting.tilt(g, want)
        after.mounting.tilt(g, got)
        assert all(abs(got[i] - want[i]) <= 1 for i in range(3)), (gravity, list(want), list(got))


def test_a_damaged_file_is_ignored_and_said_so():
    path = _path()
    CalibrationStore(path).save(_learned())
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[10] ^= 0x55
    with open(path, "wb") as f:
        f.write(data)
    fresh = processor()
    store = CalibrationStore(path)
    assert not store.restore(fresh)
    assert store.damaged
    assert fresh.classifier.reference_kind != REF_CALIBRATED


def test_no_file_is_a_first_start():
    store = CalibrationStore(_path())
    assert not store.restore(processor())
    assert not store.damaged
