"""A lumbo-imu/1 recording, read through each emulated chip and its driver, comes back equal to the source
within one count, in order, on every axis (CPython; the device tests do the same under MicroPython from
frames files that lumbo.emu.imu_frames makes)."""

import machine
import numpy as np
import pytest
from chips import plug
from chips.clock import ManualClock
from chips.frames import FrameSource

from conftest import TEST_DATA
from lumbo import recording
from lumbo.emu import imu_frames
from lumbo_fw import imu as imu_pkg
from lumbo_fw.board import board

# Chip -> the rate its driver runs at by default (the recording is resampled to it).
CHIP_RATES_HZ = {
    "MPU-6050": 50, "MPU-6500": 50, "MPU-9250": 50,
    "LSM6DS3": 52, "LSM6DS3TR-C": 52, "LSM6DSOX": 52, "LSM6DSO": 52,
}
HAPT = TEST_DATA / "hapt-exp01_user01-excerpt.csv.gz"
BROAD = TEST_DATA / "broad-24_disturbed_tapping_A-excerpt.csv.gz"


def _excerpt(path, start_s, end_s):
    rec = recording.read(path)
    keep = (rec.t_s >= start_s) & (rec.t_s < end_s)
    return recording.Recording(t_s=rec.t_s[keep] - rec.t_s[keep][0], accel_g=rec.accel_g[keep],
                               gyro_dps=rec.gyro_dps[keep], meta={"rate_hz": rec.meta.get("rate_hz", "50")},
                               name=rec.name)


def _source_at(rec, rate_hz):
    """The recording as the chip sees it: its own samples at its own rate, else resampled (linear)."""
    if rate_hz == rec.rate_hz:
        return rec.accel_g, rec.gyro_dps
    grid = np.arange(0.0, rec.t_s[-1] + 0.5 / rate_hz, 1.0 / rate_hz)
    accel = np.column_stack([np.interp(grid, rec.t_s, rec.accel_g[:, i]) for i in range(3)])
    gyro = np.column_stack([np.interp(grid, rec.t_s, rec.gyro_dps[:, i]) for i in range(3)])
    return accel, gyro


def _read_through(chip_name, frames_path, seconds, step_ms=370):
    machine.detach_all()
    clock = ManualClock()
    source = FrameSource.open(str(frames_path))
    try:
        plug(chip_name, source, clock)
        imu = imu_pkg.detect(machine.I2C(0), board(), clock)
        imu.configure()
        burst = imu_pkg.new_burst(imu)
        rows = []
        waited = 0
        while waited < seconds * 1000:
            clock.advance_ms(step_ms)
            waited += step_ms
            n = imu.read(burst)
            rows.append(np.array(burst.samples[: 6 * n], dtype=np.int64).reshape(n, 6))
        assert imu.fault == imu_pkg.FAULT_NONE and burst.overflows == 0
        return imu, np.concatenate(rows)
    finally:
        source.close()
        machine.detach_all()


def _check(imu, counts, accel_g, gyro_dps):
    """counts must be the source from some start index on, within one count, with nothing skipped."""
    expected = np.column_stack([accel_g * imu.accel_lsb_per_g, gyro_dps * imu.gyro_lsb_per_dps])
    expected = np.clip(expected, -32768, 32767)
    n = len(counts)
    starts = [s for s in range(0, len(expected) - n + 1)
              if np.all(np.abs(counts[:8] - expected[s:s + 8]) <= 1.0)]
    assert len(starts) == 1, f"expected one alignment with the source, found {starts[:5]}"
    error = np.abs(counts - expected[starts[0]:starts[0] + n])
    worst = np.unravel_index(error.argmax(), error.shape)
    assert error.max() <= 1.0, f"largest difference {error.max():.3f} counts at sample, axis {worst}"
    # Nearly all of the recording came through (the chip starts sampling once configured).
    assert n >= len(expected) - 60


@pytest.mark.parametrize("chip_name", sorted(CHIP_RATES_HZ))
@pytest.mark.parametrize("data", ["hapt", "broad"])
def test_recording_round_trip_within_one_count(tmp_path, chip_name, data):
    rec = _excerpt(HAPT, 100, 160) if data == "hapt" else _excerpt(BROAD, 0, 40)
    rate = CHIP_RATES_HZ[chip_name]
    frames = imu_frames.write_frames(tmp_path / "rec.frames", rec, None if rate == rec.rate_hz else rate)
    accel, gyro = _source_at(rec, rate)
    seconds = int(rec.t_s[-1])
    imu, counts = _read_through(chip_name, frames, seconds)
    _check(imu, counts, accel, gyro)


def test_the_shipped_device_test_frames_are_the_helpers_output(tmp_path):
    # tests/data/*.frames feed the MicroPython round trip; they must be exactly what imu_frames makes of
    # the recording excerpt, so that test too starts from the recording.
    rec = _excerpt(HAPT, 138, 162)
    for rate, name in ((None, "hapt-exp01-138-162s-50hz.frames"), (52, "hapt-exp01-138-162s-52hz.frames")):
        made = imu_frames.write_frames(tmp_path / name, rec, rate)
        assert made.read_bytes() == (TEST_DATA / name).read_bytes(), name
