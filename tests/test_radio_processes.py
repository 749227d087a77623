"""The emulation's processes: every child stops with the emulation, and none outlives a launcher that is
stopped with SIGTERM or killed outright."""

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DEVICE_TESTS
from lumbo.emu import launch

PERIPHERAL = DEVICE_TESTS / "radio_peripheral.py"

pytestmark = pytest.mark.timeout(60)


def alive(pid):
    """True while the process runs; a zombie (dead, not yet reaped by its new parent) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def wait_until_gone(pids, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def test_stopping_an_emulation_stops_every_child():
    async def scenario():
        emu = launch.Emulation(PERIPHERAL)
        async with emu:
            await emu.firmware.wait_for("^ready")
            pids = [emu.radio.child.proc.pid, emu.bridge.child.proc.pid, emu.firmware.proc.pid]
            assert all(alive(pid) for pid in pids)
            assert set(pids) <= set(launch.child_pids())
        return pids

    pids = asyncio.run(scenario())
    assert wait_until_gone(pids, 1.0) == []
    assert not set(pids) & set(launch.child_pids())


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_no_child_outlives_its_launcher(how):
    launcher = subprocess.Popen([sys.executable, "-m", "lumbo.emu.launch", str(PERIPHERAL)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        pids, seen = [], []
        for line in launcher.stdout:
            seen.append(line)
            pids += [int(pid) for pid in re.findall(r"\bpid=(\d+)", line)]
            if line.startswith("firmware: ready"):
                break
        assert len(pids) == 3, "".join(seen)
        launcher.send_signal(how)
        assert wait_until_gone(pids) == []
        status = launcher.wait(10)
        if how != signal.SIGKILL:  # a requested stop is a clean exit
            assert status == 0, launcher.stdout.read()
    finally:
        if launcher.poll() is None:
            os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait(10)
