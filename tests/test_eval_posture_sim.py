"""The posture path on a simulated wearer: prompts where the truth puts them, routines counted."""

import pytest

from lumbo import sim
from lumbo.evaluate import posture as ev

SCENARIO = """
calibrate 10s
walk 1m
sit 33m
stand 20s
routine extension 10
stand 10s
routine pelvic_tilts 6
walk 1m
"""


@pytest.mark.slow
def test_a_simulated_half_hour_at_the_desk(tmp_path):
    rec = sim.simulate_scenario(SCENARIO, seed=3)
    sim.write(rec, tmp_path, "desk")
    report = ev.evaluate(tmp_path)
    result = report["recordings"][0]
    truth = result["truth"]
    # One bout of 33 minutes: one prompt due at 30 minutes; ours within 60 s of it, and inside the bout.
    assert truth["prompts"]["true"] == 1
    assert truth["prompts"]["said"] == 1 and truth["prompts"]["matched"] == 1
    assert truth["prompts"]["outside_bout"] == 0
    assert abs(truth["prompts"]["errors_s"][0]) <= 60
    # Both routines named, repetitions within one.
    assert [r["said"] for r in truth["routines"]] == ["extension", "pelvic_tilts"]
    for r in truth["routines"]:
        assert abs(r["said_reps"] - r["reps"]) <= 1, r
    assert truth["routines_unmatched_said"] == []
    assert result["accuracy_sitting"] >= 0.97
    assert result["false_sitting_s"]["walking"] == 0 and result["false_sitting_s"]["standing"] == 0
