"""Randomised days: reproducible to the byte, and their truth consistent with their labels and signals."""

import hashlib
import itertools
import json

import numpy as np
import pytest

from lumbo import recording, sim
from lumbo.sim.activities import CODE, LABEL, SITTING_CODES
from lumbo_shared import settings as shared_settings


@pytest.fixture(scope="module")
def day():
    return sim.simulate_day(seed=5, hours=1.5)


def digest(paths) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def test_same_seed_same_bytes_and_another_seed_other_bytes(tmp_path):
    first = sim.write(sim.simulate_day(seed=3, hours=0.1), tmp_path / "a", "day")
    second = sim.write(sim.simulate_day(seed=3, hours=0.1), tmp_path / "b", "day")
    other = sim.write(sim.simulate_day(seed=4, hours=0.1), tmp_path / "c", "day")
    assert [p.name for p in first] == ["day.csv.gz", "day.labels.csv", "day.truth.json"]
    assert digest(first) == digest(second)
    assert digest(first)[0] != digest(other)[0]


def test_the_written_day_reads_back_as_a_lumbo_recording(tmp_path):
    day = sim.simulate_day(seed=5, hours=0.2)
    path = sim.write(day, tmp_path, "d")[0]
    back = recording.read(path)
    assert back.meta["rate_hz"] == "50"
    assert back.meta["source"].startswith("lumbo-sim ") and "seed=5" in back.meta["source"]
    assert back.meta["placement"].startswith("low back")
    start, end = back.calibration_s
    assert 0 < start < end
    for column in ("true_sagittal_deg", "true_lateral_deg", "true_incl_deg", "activity"):
        assert column in back.extra
    assert back.quat is not None and back.gt_valid is not None and back.gt_valid.all()
    assert np.allclose(np.linalg.norm(back.quat, axis=1), 1.0, atol=1e-6)
    assert np.allclose(back.accel_g, day.accel_g, atol=1e-6)
    assert [lab.label for lab in back.labels] == [lab.label for lab in day.labels]
    truth = json.loads((tmp_path / "d.truth.json").read_text())
    assert truth["format"] == "lumbo-sim-truth/1" and truth["seed"] == 5


def test_the_day_is_exactly_as_long_as_asked_and_starts_with_a_calibration_stance(day):
    assert day.truth["duration_s"] == pytest.approx(1.5 * 3600)
    assert day.t_s[-1] == pytest.approx(1.5 * 3600, abs=0.1)
    start, end = day.calibration_s
    still = (day.t_s >= start) & (day.t_s < end)
    assert np.all(day.extra["activity"][still] == CODE["calibration"])
    assert np.all(np.abs(day.extra["true_sagittal_deg"][still]) < 2.0)


def test_labels_come_from_the_standard_set_and_agree_with_the_activity_column(day):
    assert {lab.label for lab in day.labels} <= set(recording.LABELS)
    per_sample = recording.label_at(day.labels, day.t_s)
    expected = np.array([LABEL[int(code)] for code in day.extra["activity"]], dtype=object)
    # Samples whose jittered time stamp falls a fraction of a millisecond across a boundary aside.
    assert np.mean(per_sample == expected) > 0.9995


def test_sitting_time_and_bouts_follow_from_the_labels(day):
    truth = day.truth
    labelled = sum(lab.end_s - lab.start_s for lab in day.labels if lab.label == "sitting")
    assert truth["sitting_total_s"] == pytest.approx(labelled, abs=1.0)
    break_min_s = shared_settings.defaults()["break_min_s"]
    bouts = truth["sitting_bouts"]
    assert bouts
    for earlier, later in itertools.pairwise(bouts):
        assert later["start_s"] - earlier["end_s"] >= break_min_s
    # Every sitting sample lies inside a bout.
    sitting = np.isin(day.extra["activity"], list(SITTING_CODES))
    inside = np.zeros(len(day.t_s), dtype=bool)
    for bout in bouts:
        inside |= (day.t_s >= bout["start_s"] - 0.01) & (day.t_s <= bout["end_s"] + 0.01)
    assert np.all(inside[sitting])


def test_prompts_fall_where_the_settings_put_them_and_answers_are_real_breaks():
    rec = sim.simulate_day(seed=7, hours=5)
    truth = rec.truth
    limit = truth["settings"]["sit_limit_s"]
    again = truth["settings"]["reprompt_s"]
    assert truth["prompts"], "a five-hour desk day has bouts past the limit"
    bouts = {b["start_s"]: b for b in truth["sitting_bouts"]}
    for prompt in truth["prompts"]:
        bout = bouts[prompt["bout_start_s"]]
        offset = prompt["t_s"] - bout["start_s"] - limit
        assert offset >= -1e-6 and abs(offset / again - round(offset / again)) < 1e-6
        assert prompt["t_s"] < bout["end_s"]
        if prompt["break_after_s"] is not None:
            assert bout["end_s"] - prompt["t_s"] == pytest.approx(prompt["break_after_s"], abs=1e-3)
    answered = [p for p in truth["prompts"] if p["response"] is not None]
    assert answered
    # Routines done in answer to a prompt start within a few minutes of one.
    for routine in (r for r in truth["routines"] if r["cause"] == "prompt"):
        waits = [routine["start_s"] - p["t_s"] for p in truth["prompts"] if p["t_s"] <= routine["start_s"]]
        assert waits and min(waits) < 300.0


def test_routine_reps_in_the_truth_show_in_the_tilt():
    rec = sim.simulate_scenario("calibrate 10s\nroutine pelvic_tilts 4\nstand 5s", seed=2,
                                sensor=sim.SensorSettings(ideal=True))
    routine = rec.truth["routines"][0]
    assert routine["name"] == "pelvic_tilts" and routine["reps"] == 4
    sagittal = rec.extra["true_sagittal_deg"]
    # Each rep rocks backwards then forwards: count the back-and-forth crossings of +-4 degrees.
    state, cycles = 0, 0
    for value in sagittal[(rec.t_s > routine["start_s"]) & (rec.t_s < routine["end_s"])]:
        if value > 4 and state <= 0:
            state = 1
        elif value < -4 and state == 1:
            state = -1
            cycles += 1
    assert cycles == 4


def test_a_day_off_the_body_is_unlabelled_and_reads_a_still_1g():
    rec = sim.simulate_scenario("stand 10s\noff 2m\nstand 10s", seed=1)
    off = rec.extra["activity"] == CODE["not_worn"]
    assert off.sum() > 100 * 50
    assert not any(lab.start_s <= rec.t_s[off][10] < lab.end_s for lab in rec.labels)
    magnitude = np.linalg.norm(rec.accel_g[off], axis=1)
    assert abs(np.median(magnitude) - 1.0) < 0.1  # 1 g, give or take the part's offsets and scale
    assert rec.gyro_dps[off].std(axis=0).max() < 0.1  # nothing moves but the noise
    assert rec.truth["worn_total_s"] < rec.truth["duration_s"] - 100


def test_lsm6dsox_day_names_the_chip_and_its_lsb():
    rec = sim.simulate_day(seed=2, hours=0.1, imu="lsm6dsox")
    assert rec.meta["imu"] == "lsm6dsox"
    assert float(rec.meta["gyro_lsb_per_dps"]) == pytest.approx(1 / 17.5e-3, rel=1e-5)
