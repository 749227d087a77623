"""`lumbo demo` as a command: its arguments, its JSON summary, and Ctrl-C leaving nothing behind."""

import json
import signal
import subprocess
import sys
import time

import pytest

from lumbo.cli import main
from lumbo.emu.launch import child_pids

DEMO = [sys.executable, "-m", "lumbo", "demo"]


@pytest.mark.parametrize("args, message", [
    (["--hours", "0.1"], "--hours 0.1 is outside 0.25 to 16"),
    (["--recording", "/nonexistent/day.csv"], "no recording at /nonexistent/day.csv"),
    (["--speed", "0.5", "--headless"], "--speed 0.5 is outside 1 to 1000"),
])
def test_arguments_it_cannot_use_are_refused_with_what_to_give(args, message, capsys, tmp_path):
    assert main(["demo", "--html", str(tmp_path / "r.html"), *args]) == 1
    assert message in capsys.readouterr().err


def _pids_alive(pids):
    alive = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] != "Z":
                    alive.append(pid)
        except FileNotFoundError:
            continue
    return alive


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_headless_json_prints_one_summary_on_stdout_and_progress_on_stderr(tmp_path):
    done = subprocess.run([*DEMO, "--hours", "0.5", "--speed", "200", "--seed", "3", "--headless", "--json",
                           "--html", str(tmp_path / "day.html")], capture_output=True, text=True, timeout=200)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    for key in ("prompts", "breaks_taken", "records_synced", "records_lost", "duplicates", "sitting_s_reported",
                "sitting_s_truth"):
        assert isinstance(summary[key], int), key
    assert summary["records_synced"] > 30  # half an hour of minutes, and the events between them
    assert summary["records_lost"] == 0
    assert 0 < summary["sitting_s_reported"] <= 1800
    assert "starting the emulated radio" in done.stderr
    assert (tmp_path / "day.html").read_text().startswith("<!DOCTYPE html>")


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_ctrl_c_stops_every_part_and_leaves_no_child(tmp_path):
    proc = subprocess.Popen([*DEMO, "--hours", "2", "--speed", "50", "--headless", "--html",
                             str(tmp_path / "r.html")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if line.startswith("pairing"):
                break
        time.sleep(2)
        children = child_pids(proc.pid)
        assert len(children) >= 3, "the radio, the bridge and the firmware run as children"
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    deadline = time.monotonic() + 5
    while _pids_alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _pids_alive(children) == [], "a child outlived the demo"

