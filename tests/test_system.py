"""The whole system without hardware: a simulated wearer's day through an emulated IMU, the firmware's own
main.py under the MicroPython unix port, the emulated radio (radio and bridge processes, bumble) and the
host app (bleak, the SQLite log, prompts, the report), with the device's time running fast.

Each test bounds its own time; the device's day runs as fast as the computer allows (systemtest.TEST_SPEED
at most), so a slow or busy machine makes a test longer, never wrong.
"""

import asyncio
import json
import random
import signal
import subprocess
import sys

import pytest
from systemtest import assert_host_holds_the_device_log, options, run

from lumbo.demo.device import build_dir
from lumbo.demo.run import Demo, run_demo
from lumbo.shared import vocab
from lumbo.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

MINUTE_S = 60


@pytest.fixture(scope="session")
def demo_firmware(tmp_path_factory):
    """The firmware and the emulated board's modules, compiled for the unix port."""
    return build_dir(tmp_path_factory.mktemp("demo-build"))


def device_events(db, kinds):
    store = open_store(db)
    try:
        return store.events(0, 2**32, kinds=kinds)
    finally:
        store.close()


def test_a_two_hour_day_prompts_on_time_credits_breaks_and_reports_the_sitting_time(demo_firmware, tmp_path):
    # Seed 3's two hours: three sitting bouts, two of them past the 30-minute limit, so four prompts (a
    # first and a repeat in each); the wearer answers the second of each, once by walking and once with a
    # standing back extension.
    o = options(tmp_path, demo_firmware, hours=2.0, seed=3)
    summary, _report = run(run_demo(o), 240)
    truth = json.loads((tmp_path / "truth.json").read_text())
    epoch0 = summary_epoch0(tmp_path)
    prompts = device_events(tmp_path / "lumbo.sqlite3", (vocab.EVENT_PROMPT,))
    day_prompts = [p.t_s - epoch0 for p in prompts if p.t_s - epoch0 < truth["duration_s"]]
    expected = [p["t_s"] for p in truth["prompts"]]
    assert len(expected) == 4
    assert len(day_prompts) == len(expected), f"prompts at {day_prompts} s, the simulator's at {expected} s"
    for got, want in zip(day_prompts, expected, strict=True):
        assert abs(got - want) <= MINUTE_S, f"a prompt at {got} s, {got - want:+.0f} s from the simulator's"
    assert summary["prompts_shown"] == len(expected), "every prompt reached the host's notification"
    breaks = [e.t_s - epoch0 for e in device_events(tmp_path / "lumbo.sqlite3", (vocab.EVENT_BREAK_TAKEN,))]
    answered = [p for p in truth["prompts"] if p["break_after_s"] is not None]
    assert len(answered) == 2
    for p in answered:
        # The break ends the bout break_after_s after the prompt; the device credits it once the wearer has
        # been up for break_min_s (60 s), and a routine once the set is over.
        due = p["t_s"] + p["break_after_s"] + truth["settings"]["break_min_s"]
        assert any(p["t_s"] < t <= due + 3 * MINUTE_S for t in breaks), (
            f"no break credited after the prompt at {p['t_s']:.0f} s (the wearer answered: {p['response']}); "
            f"breaks at {breaks}")
    assert summary["sitting_s_truth"] == round(truth["sitting_total_s"])
    error = abs(summary["sitting_s_reported"] - truth["sitting_total_s"]) / truth["sitting_total_s"]
    assert error <= 0.02, f"sitting {summary['sitting_s_reported']} s reported, {truth['sitting_total_s']:.0f} s true"
    assert summary["records_lost"] == 0


def summary_epoch0(state_dir):
    """The day's first record is the device's boot event, logged at the day's start."""
    boots = device_events(state_dir / "lumbo.sqlite3", (vocab.EVENT_BOOT,))
    return boots[0].t_s


def test_the_radio_dropped_twenty_times_loses_and_duplicates_nothing(demo_firmware, tmp_path):
    o = options(tmp_path, demo_firmware, hours=0.75, seed=5, radio="always")

    async def scenario():
        demo = Demo(o)
        try:
            await demo.start()
            rng = random.Random(20)
            drops = 0
            while drops < 20:
                await demo.run_until(demo.device.elapsed_s + rng.uniform(20, 90))
                if await demo.device.emulation.radio.drop():
                    drops += 1
            await demo.run_until(demo.day.duration_s)
            head = await demo.final_sync()
            await demo.host.stop()
            return demo, drops, head
        finally:
            await demo.close()

    demo, drops, head = run(scenario(), 240)
    assert drops >= 20
    held = assert_host_holds_the_device_log(demo, head)
    assert held == head


def test_a_power_cut_mid_bout_keeps_the_log_and_the_bout_goes_on(demo_firmware, tmp_path):
    # Sitting from the first minute for 40 minutes: the power goes 15 minutes in, for 20 seconds.
    day = "calibrate 10s\nwalk 30s\nsit 40m\nwalk 2m\nstand 1m\n"
    o = options(tmp_path, demo_firmware, scenario=day, seed=2)

    async def scenario():
        demo = Demo(o)
        try:
            await demo.start()
            await demo.run_until(15 * MINUTE_S)
            before = demo.device.records
            cut_at = await demo.device.power_cut_and_restart(downtime_s=20)
            await demo.run_until(demo.day.duration_s)
            head = await demo.final_sync()
            await demo.host.stop()
            return demo, before, cut_at, head
        finally:
            await demo.close()

    demo, before, cut_at, head = run(scenario(), 200)
    assert_host_holds_the_device_log(demo, head)
    db = tmp_path / "lumbo.sqlite3"
    boots = device_events(db, (vocab.EVENT_BOOT,))
    assert len(boots) == 2
    restart = boots[1]
    assert restart.seq > before, "the restarted firmware numbers its records after the ones it had"
    # The device knows its outage to within the minute its last summary covers (and the queue the cut lost).
    assert 20 <= restart.a <= 20 + 2 * MINUTE_S, f"the device saw an outage of {restart.a} s"
    assert restart.b == 1, "the open bout was taken up again"
    starts = device_events(db, (vocab.EVENT_BOUT_START,))
    prompts = device_events(db, (vocab.EVENT_PROMPT,))
    first_bout = starts[0]
    assert all(s.t_s < cut_at or s.t_s > first_bout.t_s + 30 * MINUTE_S for s in starts[1:]), (
        "a new bout began after the restart although the wearer never got up")
    bout_start = first_bout.t_s - first_bout.a
    assert prompts, "no prompt in a 40-minute bout"
    assert abs(prompts[0].t_s - (bout_start + 30 * MINUTE_S)) <= MINUTE_S, (
        f"the prompt came {prompts[0].t_s - bout_start} s into the bout, not 30 minutes in")


def _hostproc(args, db, keystore, demo):
    command = [sys.executable, "-m", "lumbo.demo.hostproc", "--db", str(db), "--keystore", str(keystore),
               "--address", demo.device.identity_address, "--radio", demo.device.radio_transport,
               "--speed", str(demo.options.speed), "--epoch0", str(demo.day.epoch0_s), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


async def _line(proc, prefix, timeout_s=60):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    seen = []
    while loop.time() < deadline:
        line = await loop.run_in_executor(None, proc.stdout.readline)
        if not line:
            break
        seen.append(line.rstrip())
        if line.startswith(prefix):
            return line.split()
    raise AssertionError(f"the host process never printed {prefix!r}; it printed:\n" + "\n".join(seen[-30:]))


async def _synced_to(db, address, head, demo, timeout_s=60):
    """Wait until the host process's log holds every record up to head (it syncs again while connected)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        store = open_store(db)
        try:
            position = store.sync_position(address)
        finally:
            store.close()
        if position and position[0] >= head:
            return
        demo.check()
        await asyncio.sleep(0.2)
    raise AssertionError(f"the host process did not sync up to record {head} within {timeout_s} s")


def _fill_log(log_dir, count, t0):
    from systemtest import DevLog

    log_dir.parent.mkdir(parents=True, exist_ok=True)
    log = DevLog(str(log_dir))
    for i in range(count):
        log.minute(t0 - 60 * (count - i), (0, 40, 15, 5, 0, 0), 1500, 800, 2100, 2)
    return log.next_seq - 1


def test_a_host_killed_mid_sync_resumes_where_it_stopped(demo_firmware, tmp_path):
    # The device holds two days of minutes from before (2880 records) when the host first meets it: the host
    # is killed in the middle of that first sync, and a new host process on the same database carries on.
    o = options(tmp_path, demo_firmware, hours=0.5, seed=4, radio="always")
    db, keystore = tmp_path / "host.sqlite3", tmp_path / "host-keys.json"

    async def scenario():
        demo = Demo(o)
        try:
            demo.day = demo.prepare_day()
            _fill_log(tmp_path / "device-data" / "log", 2880, demo.day.epoch0_s)
            demo.prepare_day = lambda: demo.day
            await demo.start_device_only()
            first = _hostproc(["--pair"], db, keystore, demo)
            try:
                await _line(first, "paired")
                progress = await _line(first, "progress")
                while int(progress[1]) < 600:
                    progress = await _line(first, "progress")
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait()
            store = open_store(db)
            kept = store.sync_position(demo.device.identity_address)[0]
            store.close()
            second = _hostproc([], db, keystore, demo)
            try:
                start = await _line(second, "start")
                synced = await _line(second, "synced", timeout_s=90)
                head = demo.device.records
                await _synced_to(db, demo.device.identity_address, head, demo)
            finally:
                second.send_signal(signal.SIGTERM)
                second.wait(10)
            return demo, kept, int(start[1]), int(synced[1]), int(synced[2]), head
        finally:
            await demo.close()

    _demo, kept, start, new, duplicates, head = run(scenario(), 200)
    assert 256 <= kept < 2880, f"the first host stored {kept} records before it was killed"
    assert start == kept, "the second host found what the first had stored"
    # It asked from the first record it lacked: what came was new (had it started again from the first record,
    # the `kept` records would have come twice). A few records the device logged meanwhile arrive both
    # live and in the sync.
    assert new >= 2880 - kept and duplicates < 20 < kept
    from systemtest import device_records, stored_records

    device = device_records(tmp_path / "device-data" / "log")
    stored, rows = stored_records(db)
    wanted = {s: r for s, r in device.items() if s <= head}
    assert set(wanted) <= set(stored) and all(stored[s] == r for s, r in wanted.items())
    assert rows == len(stored)
