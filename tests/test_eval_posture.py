"""`lumbo eval posture`: the firmware's posture code run over recordings and scored."""

import json
import shutil
import struct

import numpy as np
import pytest

from conftest import TEST_DATA
from lumbo import recording
from lumbo.cli import CommandError, main
from lumbo.evaluate import posture as ev
from lumbo_shared import vocab

EXCERPT = "hapt-exp01_user01-excerpt"


@pytest.fixture()
def excerpt_dir(tmp_path):
    for path in TEST_DATA.glob(EXCERPT + "*"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_encode_gives_the_driver_bursts_in_chip_counts():
    t = np.arange(0, 1.0, 0.02)
    accel = np.tile([1.0, -0.5, 0.25], (len(t), 1))
    gyro = np.tile([10.0, 0.0, -2000.0], (len(t), 1))
    rec = recording.Recording(t_s=t, accel_g=accel, gyro_dps=gyro, meta={"rate_hz": "50"}, name="r")
    data = ev.encode(rec, use_calibration=True)
    magic, rate_mhz, _accel_lsb, _gyro_lsb_cdps, cal_start, cal_len, gravity = struct.unpack("<4sIIIiiI", data[:28])
    assert (magic, rate_mhz, cal_start, cal_len, gravity) == (b"LPI1", 50000, -1, 0, 0)
    # 1 s at 50 Hz in bursts of 0.2 s: 5 bursts of 10 samples; the first ends at 0.18 s (180000 us).
    t_end, count, _ = struct.unpack("<IHH", data[28:36])
    assert (t_end, count) == (180000, 10)
    first = struct.unpack("<6h", data[36:48])
    # 1 g = 4096 counts; 10 dps = 164 counts at 16.4 counts per dps; -2000 dps is full scale (-32768 clipped
    # from -32800).
    assert first == (4096, -2048, 1024, 164, 0, -32768)
    assert len(data) == 28 + 5 * (8 + 10 * 12)


def test_scores_follow_their_definitions():
    # 10 s labelled: 0-4 standing, 4-6 transition, 6-10 sitting. The firmware said standing until 7 s,
    # then sitting: of the 8 scored seconds, second 6 is wrong (sitting labelled, standing said).
    labels = [recording.Label(0, 4, "standing"), recording.Label(4, 6, "transition"),
              recording.Label(6, 10, "sitting")]
    t = np.arange(0, 10, 0.02)
    rec = recording.Recording(t_s=t, accel_g=np.zeros((len(t), 3)), gyro_dps=np.zeros((len(t), 3)),
                              labels=labels, name="r")
    states = np.array([2] * 7 + [1] * 3)
    run = ev.Run("r", 10, states, events=[(8, vocab.EVENT_STAND_TO_SIT, 2, 1)])
    result = ev.score(rec, run)
    assert result["scored_s"] == 8 and result["correct_s"] == 7
    assert result["accuracy_sitting"] == pytest.approx(7 / 8)
    assert result["confusion"]["sitting"]["sitting"] == 3 and result["confusion"]["sitting"]["standing"] == 1
    # One true transition (standing -> sitting, over 4-6 s), found at 7 s: 1 s after the span ended.
    assert result["transitions"]["true"] == 1 and result["transitions"]["found"] == 1
    assert result["transitions"]["latencies_s"] == [1.0]
    assert result["segments"] == [{"start_s": 0, "end_s": 7, "state": "standing"},
                                  {"start_s": 7, "end_s": 10, "state": "sitting"}]
    assert result["events"] == [{"t_s": 8, "kind": "stand_to_sit", "a": 2, "b": 1}]


def test_simulated_truth_scores_prompts_and_routines():
    truth = {"sitting_bouts": [{"start_s": 100, "end_s": 2500}],
             "prompts": [{"t_s": 1900}, {"t_s": 2500}],
             "routines": [{"name": "extension", "start_s": 2600, "end_s": 2650, "reps": 10}]}
    events = [(1930, vocab.EVENT_PROMPT, 1830, 1), (2800, vocab.EVENT_PROMPT, 600, 2),
              (2660, vocab.EVENT_BREAK_TAKEN, vocab.ROUTINE_EXTENSION, 9)]
    result = ev.score_truth(truth, ev.Run("r", 3000, np.zeros(3000, dtype=int), events))
    # The first prompt is 30 s after one that was due; the second falls outside the bout and near none.
    assert result["prompts"] == {"true": 2, "said": 2, "matched": 1, "outside_bout": 1, "errors_s": [30.0]}
    assert result["routines"] == [{"name": "extension", "start_s": 2600, "reps": 10, "said": "extension",
                                   "said_reps": 9}]


def test_the_excerpt_is_scored_under_cpython(excerpt_dir, capsys):
    assert main(["eval", "posture", str(excerpt_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"recordings", "overall"}
    rec = report["recordings"][0]
    assert set(rec) >= {"name", "accuracy_sitting", "segments", "events"}
    assert rec["name"] == EXCERPT
    assert {"start_s", "end_s", "state"} == set(rec["segments"][0])
    assert all({"t_s", "kind"} <= set(e) for e in rec["events"])
    overall = report["overall"]
    assert set(overall) >= {"accuracy_sitting", "worst_recording_accuracy", "confusion", "transitions"}
    assert set(overall["transitions"]) >= {"precision", "recall", "median_latency_s"}
    # The excerpt (user 1: stand, sit, stand, lie, sit, lie, walk) is an easy one.
    assert overall["accuracy_sitting"] >= 0.95
    assert overall["transitions"]["recall"] == 1.0
    assert overall["transitions"]["median_latency_s"] <= 3.0


def test_without_calibration_and_without_labels(excerpt_dir, capsys):
    (excerpt_dir / (EXCERPT + ".labels.csv")).unlink()
    assert main(["eval", "posture", str(excerpt_dir), "--no-calibration", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rec = report["recordings"][0]
    assert rec["accuracy_sitting"] is None
    states = {s["state"] for s in rec["segments"]}
    assert "sitting" in states and "lying" in states
    assert report["overall"] == {}


def test_micropython_and_cpython_say_the_same(excerpt_dir):
    rec = recording.read(excerpt_dir / (EXCERPT + ".csv.gz"))
    on_cpython = ev.run_cpython(rec, True)
    on_micropython = ev.run_micropython([rec], True)[0]
    assert on_micropython.events == on_cpython.events
    assert np.array_equal(on_micropython.states, on_cpython.states)
    assert on_micropython.minutes == on_cpython.minutes


def test_a_folder_without_recordings_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no lumbo-imu/1 recordings"):
        ev.evaluate(tmp_path)
    with pytest.raises(CommandError, match="is not a folder"):
        ev.evaluate(tmp_path / "missing")
