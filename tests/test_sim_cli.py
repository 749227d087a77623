"""`lumbo sim ...` from the command line."""

import json

from conftest import TEST_DATA
from lumbo import recording
from lumbo.cli import main


def test_sim_day_writes_the_recording_labels_and_truth_and_reports_its_time(tmp_path, capsys):
    code = main(["sim", "day", "--seed", "3", "--hours", "0.05", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("simulated 0.05 h (") and " s; wrote in " in out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["sim-day-3.csv.gz", "sim-day-3.labels.csv", "sim-day-3.truth.json"]
    rec = recording.read(tmp_path / "sim-day-3.csv.gz")
    assert rec.labels and rec.meta["imu"] == "mpu6050"


def test_sim_day_options_reach_the_recording(tmp_path, capsys):
    code = main(["sim", "day", "--seed", "1", "--hours", "0.02", "--out", str(tmp_path), "--rate-hz", "100",
                 "--imu", "lsm6dsox", "--mounting", "upside-down", "--name", "mine", "--plain"])
    assert code == 0
    rec = recording.read(tmp_path / "mine.csv")
    assert rec.meta["rate_hz"] == "100" and rec.meta["imu"] == "lsm6dsox" and rec.meta["mounting"] == "upside-down"
    assert 0.009 < float(rec.t_s[1] - rec.t_s[0]) < 0.011


def test_sim_scenario_reads_a_file(tmp_path, capsys):
    scenario = tmp_path / "morning.txt"
    scenario.write_text("09:00 calibrate 10s\nsit 1m\nroutine extension 3\n")
    code = main(["sim", "scenario", str(scenario), "--out", str(tmp_path / "out")])
    assert code == 0
    truth = json.loads((tmp_path / "out" / "morning.truth.json").read_text())
    assert truth["routines"][0]["reps"] == 3
    assert truth["start_clock"] == "09:00:00"


def test_scenario_mistakes_are_reported_with_the_line(tmp_path, capsys):
    scenario = tmp_path / "bad.txt"
    scenario.write_text("sit 1m\nfly 2m\n")
    code = main(["sim", "scenario", str(scenario), "--out", str(tmp_path)])
    assert code == 1
    assert "lumbo sim: line 2: unknown activity 'fly'" in capsys.readouterr().err
    code = main(["sim", "scenario", str(tmp_path / "missing.txt"), "--out", str(tmp_path)])
    assert code == 1
    assert "cannot read the scenario" in capsys.readouterr().err


def test_a_bad_mounting_is_an_error_that_lists_the_choices(tmp_path, capsys):
    code = main(["sim", "day", "--seed", "1", "--hours", "0.01", "--out", str(tmp_path), "--mounting", "sideways-ish"])
    assert code == 1
    assert "use one of nominal, upside-down, sideways, random" in capsys.readouterr().err


def test_check_hapt_prints_real_and_simulated_side_by_side(capsys):
    code = main(["sim", "check-hapt", str(TEST_DATA), "--sims", "2", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    rows = {row["metric"]: row for row in result["metrics"]}
    assert rows["walk_cadence_steps_per_s"]["real"]["n"] == 1
    assert rows["walk_cadence_steps_per_s"]["sim"]["n"] == 2
    code = main(["sim", "check-hapt", str(TEST_DATA), "--sims", "1"])
    text = capsys.readouterr().out
    assert "grav_angle_sit_stand_deg" in text and "metrics: the simulated median" in text


def test_check_hapt_needs_labelled_recordings(tmp_path, capsys):
    code = main(["sim", "check-hapt", str(tmp_path)])
    assert code == 1
    assert "has no labelled recordings" in capsys.readouterr().err


def test_sim_bench_prints_its_figure_beside_a_reference(capsys):
    code = main(["sim", "bench", "--hours", "0.05", "--json"])
    assert code == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["samples"] > 0.05 * 3600 * 50 * 0.97
    assert figures["generate_s"] > 0 and figures["reference_numpy_s"] > 0
