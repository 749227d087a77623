"""The scenario text format and the planner that lays it out in time."""

import numpy as np
import pytest

from lumbo import sim
from lumbo.sim.plan import make_plan
from lumbo.sim.scenario import ScenarioError, format_clock, parse, parse_clock, parse_duration
from lumbo.sim.wearer import Wearer, WearerError


@pytest.mark.parametrize(("text", "seconds"), [("45m", 2700), ("30s", 30), ("1h30m", 5400), ("1.5h", 5400),
                                               ("2m30s", 150), ("0.5s", 0.5)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["45", "m", "", "1h-3m", "3x"])
def test_not_durations(text):
    assert parse_duration(text) is None


def test_clock_times():
    assert parse_clock("09:00") == 9 * 3600
    assert parse_clock("13:05:30") == 13 * 3600 + 5 * 60 + 30
    assert parse_clock("24:00") is None
    assert format_clock(9 * 3600 + 61) == "09:01:01"


def test_a_scenario_reads_into_steps():
    scenario = parse("""
        # a comment line
        wearer sit_tilt_deg=15 compliance=0.3
        09:00 calibrate 10s
        sit 45m slouch=0.6   # trailing comment
        routine extension 10
        routine hip-flexor
        stairs down 30s
        lie left 5m
        bend 3 hold=2s
        walk 3m turns=0
    """)
    kinds = [(s.kind, s.variant) for s in scenario.steps]
    assert kinds == [("calibrate", ""), ("sit", ""), ("routine", "extension"), ("routine", "hip_flexor"),
                     ("stairs", "down"), ("lie", "left"), ("bend", ""), ("walk", "")]
    assert scenario.wearer == {"sit_tilt_deg": 15.0, "compliance": 0.3}
    assert scenario.steps[0].clock_s == 9 * 3600 and scenario.steps[0].duration_s == 10
    assert scenario.steps[1].params == {"slouch": 0.6} and scenario.steps[1].duration_s == 2700
    assert scenario.steps[2].reps == 10
    assert scenario.steps[3].reps == 3  # the hip flexor stretch's default: 3 x 30 s
    assert scenario.steps[6].reps == 3 and scenario.steps[6].params == {"hold": 2.0}
    assert scenario.steps[7].params == {"turns": 0.0}


@pytest.mark.parametrize(("text", "message"), [
    ("dance 5m", "line 1: unknown activity 'dance'"),
    ("sit 5m\nsit 5x", "line 2: '5x' is not understood after sit"),
    ("sit 5m slouch=2", "line 1: slouch=2 is outside 0..1"),
    ("sit 5m tilt=2", "line 1: sit has no setting 'tilt'"),
    ("routine 10", "line 1: routine needs one of extension, pelvic_tilts, hip_flexor"),
    ("bend 200", "line 1: bend count must be 1 to 100"),
    ("wearer height", "line 1: write wearer settings as key=value"),
    ("# nothing here", "the scenario has no activities"),
    ("09:00", "line 1: a time of day must be followed by an activity"),
])
def test_bad_scenarios_say_which_line_and_what_to_write(text, message):
    with pytest.raises(ScenarioError, match=message):
        parse(text)


def plan_of(text: str, seed: int = 0, wearer: Wearer | None = None):
    return make_plan(parse(text), wearer or Wearer(), np.random.default_rng(seed))


def test_the_movement_into_a_posture_is_part_of_its_line():
    plan = plan_of("stand 10s\nsit 60s\nstand 30s")
    kinds = [seg.kind for seg in plan.segments]
    assert kinds == ["stand", "sit_down", "sit", "stand_up", "stand"]
    sit_down, sit_seg = plan.segments[1], plan.segments[2]
    # The sit line starts at 10 s and lasts 60 s, its sitting-down movement included.
    assert sit_down.start_s == 10.0
    assert sit_seg.end_s == pytest.approx(70.0)
    assert 1.0 < sit_down.duration_s < 5.0
    assert plan.duration_s == pytest.approx(100.0)


def test_lying_down_from_standing_goes_through_sitting_on_the_edge():
    plan = plan_of("stand 10s\nlie 30s\nstand 20s")
    lie_down = plan.segments[1]
    assert lie_down.kind == "lie_down" and len(lie_down.params["legs"]) == 2
    get_up = plan.segments[3]
    assert get_up.kind == "get_up" and len(get_up.params["legs"]) == 2


def test_a_line_without_duration_lasts_until_the_next_timed_line():
    plan = plan_of("09:00 calibrate 10s\nsit\n09:30 walk 2m")
    sit_seg = next(seg for seg in plan.segments if seg.kind == "sit")
    assert sit_seg.end_s == pytest.approx(1800.0)
    assert plan.duration_s == pytest.approx(1920.0)
    assert plan.start_clock_s == 9 * 3600


def test_after_a_counted_exercise_the_wearer_stands_until_the_next_timed_line():
    plan = plan_of("09:00 stand 10s\nroutine extension 5\n09:05 walk 1m")
    assert [seg.kind for seg in plan.segments] == ["stand", "extension", "stand", "walk"]
    assert plan.segments[-1].start_s == pytest.approx(300.0)


@pytest.mark.parametrize(("text", "message"), [
    ("09:00 sit 45m\n09:30 walk 5m", "line 2: starts at 09:30:00, but the lines before it run until 09:45:00"),
    ("09:00 sit 15m\n09:30 walk 5m", "line 2: starts at 09:30:00, but the lines before it end at 09:15:00"),
    ("sit 10m\n09:30 walk 5m", "line 2: give the first line a time of day too"),
    ("stand 10s\nsit 2s", "line 2: 2 s is too short for sit and the .* movement into it"),
    ("sit", "line 1: sit needs a duration"),
])
def test_inconsistent_times_are_refused_with_a_fix(text, message):
    with pytest.raises(ScenarioError, match=message):
        plan_of(text)


def test_routines_record_each_repetition_in_time_order():
    plan = plan_of("stand 5s\nroutine extension 6\nroutine pelvic_tilts 4\nroutine hip_flexor 3")
    by_kind = {seg.kind: seg for seg in plan.segments}
    for kind, reps in (("extension", 6), ("pelvic_tilts", 4), ("hip_flexor", 3)):
        seg = by_kind[kind]
        assert len(seg.reps) == reps
        starts = [a for a, _ in seg.reps]
        assert starts == sorted(starts)
        assert all(seg.start_s <= a < b <= seg.end_s for a, b in seg.reps)
    # Hip flexor stretch: each hold about 30 s.
    assert all(25 <= b - a <= 35 for a, b in by_kind["hip_flexor"].reps)


def test_extension_reps_are_backward_tilts_beyond_standing_in_the_truth():
    rec = sim.simulate_scenario("calibrate 10s\nroutine extension 5", seed=3, wearer=Wearer(extension_range_deg=20),
                                sensor=sim.SensorSettings(ideal=True))
    routine = rec.truth["routines"][0]
    assert routine["name"] == "extension" and routine["reps"] == 5
    sagittal = rec.extra["true_sagittal_deg"]
    for start, end in routine["rep_spans_s"]:
        inside = (rec.t_s >= start) & (rec.t_s < end)
        # Each rep leans back by the wearer's range (drawn 80-105 % of 20 degrees).
        assert 14.0 < sagittal[inside].max() < 23.0
    between = (rec.t_s > routine["rep_spans_s"][0][1] + 0.1) & (rec.t_s < routine["rep_spans_s"][1][0] - 0.1)
    assert np.abs(sagittal[between]).max() < 3.0


def test_the_wearer_line_overrides_the_drawn_person():
    rec = sim.simulate_scenario("wearer sit_tilt_deg=20 slouch_extra_deg=0\ncalibrate 10s\nsit 30s", seed=1,
                                sensor=sim.SensorSettings(ideal=True))
    sitting = rec.extra["activity"] == sim.activities.CODE["sitting_upright"]
    assert np.median(rec.extra["true_sagittal_deg"][sitting]) == pytest.approx(20.0, abs=1.5)
    with pytest.raises(WearerError, match="wearer sit_tilt_deg=90 is outside"):
        sim.simulate_scenario("wearer sit_tilt_deg=90\nsit 1m")
    with pytest.raises(WearerError, match="unknown wearer setting 'height'"):
        sim.simulate_scenario("wearer height=2\nsit 1m")
