import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from lumbo.bench import synthetic
from lumbo.cli import main
from lumbo.store import Store
from lumbo_shared import vocab

DAY = date(2024, 3, 5)


@pytest.fixture
def log(tmp_path, monkeypatch):
    path = tmp_path / "log.sqlite3"
    # Local days: the synthetic day is built in the computer's own time zone, as the commands read it.
    with Store(path) as store:
        for events, minutes in synthetic.days(DAY, 1):
            store.ingest("dev-1", events, minutes)
    monkeypatch.setenv("LUMBO_DB", str(path))
    monkeypatch.setenv("COLUMNS", "120")
    return path


def test_report_day_html_and_png(log, tmp_path, capsys):
    html_path, png_path = tmp_path / "day.html", tmp_path / "day.png"
    assert main(["report", "--day", "2024-03-05", "--html", str(html_path), "--png", str(png_path)]) == 0
    out = capsys.readouterr().out
    with Store(log) as store:
        minutes = store.minutes(0, 2**40)
    sitting_min = sum(m.seconds_per_state[vocab.STATE_SITTING] for m in minutes) // 60
    assert f"{sitting_min // 60} h {sitting_min % 60:02d} min" in out
    assert "<svg" in html_path.read_text()
    assert png_path.read_bytes().startswith(b"\x89PNG")


def test_report_week_and_bad_input(log, capsys):
    assert main(["report", "--week", "2024-03-07"]) == 0
    assert "Day by day" in capsys.readouterr().out
    assert main(["report", "--day", "5 March"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert main(["report", "--day", "2024-03-05", "--png", "out.jpg", "--quiet"]) == 1
    assert ".png" in capsys.readouterr().err


def test_report_without_a_log_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LUMBO_DB", str(tmp_path / "none.sqlite3"))
    assert main(["report"]) == 1
    assert "lumbo pair" in capsys.readouterr().err


def test_export_csv_and_jsonl_carry_every_record(log, tmp_path, capsys):
    with Store(log) as store:
        total = store.record_count()
        events = store.events(0, 2**40)
    out = tmp_path / "all.csv"
    assert main(["export", "--csv", "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == total
    assert {r["record"] for r in rows} == {"event", "minute"}
    first_event = next(r for r in rows if r["record"] == "event")
    assert first_event["kind"] == vocab.event_name(events[0].kind)
    assert first_event["time_utc"] == datetime.fromtimestamp(events[0].t_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    capsys.readouterr()
    assert main(["export", "--jsonl", "--from", "2024-03-05", "--to", "2024-03-05"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == total
    minute = next(json.loads(line) for line in lines if '"minute"' in line)
    assert sum(minute[f"{s}_s"] for s in vocab.STATES) == 60
    assert main(["export", "--jsonl", "--from", "2024-03-06"]) == 0
    assert capsys.readouterr().out == ""


def test_config_set_get_and_refuse(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LUMBO_CONFIG", str(tmp_path / "config.json"))
    monkeypatch.setenv("LUMBO_DB", str(tmp_path / "no-log-yet.sqlite3"))
    assert main(["config", "set", "sit_limit_s", "2700"]) == 0
    assert main(["config", "get", "sit_limit_s"]) == 0
    assert capsys.readouterr().out.strip().endswith("2700")
    assert main(["config", "set", "sit_limit_s", "99999"]) == 1
    assert "out of range" in capsys.readouterr().err
    assert main(["config", "set", "leg_symptoms", "maybe"]) == 1
    assert "yes or no" in capsys.readouterr().err
    assert main(["config", "list", "--json"]) == 0
    values = json.loads(capsys.readouterr().out)
    assert values["sit_limit_s"] == 2700 and values["reprompt_s"] == 600
    assert json.loads((tmp_path / "config.json").read_text()) == {"sit_limit_s": 2700}


def test_export_csv_to_stdout_is_parseable(log, capsys):
    assert main(["export", "--csv"]) == 0
    reader = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert reader.fieldnames[:5] == ["record", "device", "seq", "t_s", "time_utc"]
