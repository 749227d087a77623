"""Break prompts end to end: the emulated device (firmware GATT service and log under `micropython`) logs a
prompt; the host app chooses the routine from what the device logged and shows it through the real
desktop-notifier library on a private D-Bus session bus (lumbo.emu.notifyd); the test presses the
notification's buttons as a desktop would, and the answers reach the device."""

import asyncio
import io
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hostdevice import (
    ADDRESS,
    FAST,
    Updates,
    central,
    emulation,
    fill_log,
    minute_fields,
    play,
    prompt_line,
    wait_until,
)
from rich.console import Console

from lumbo import routines
from lumbo.config import Config
from lumbo.emu.notifyd import NotificationServer, private_session_bus
from lumbo.link import pairing
from lumbo.link.host import ANSWER, PROMPT, HostApp
from lumbo.prompts import notify
from lumbo.store import Store
from lumbo_shared import vocab

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def bus_address():
    with private_session_bus() as address:
        yield address


def noon_zone(now_s):
    """A time zone in which it is about noon now: no quiet hours, no midnight within the last five hours."""
    utc = datetime.fromtimestamp(now_s, UTC)
    return timezone(timedelta(hours=12 - utc.hour))


def a_desk_morning(now_s):
    """Five hours of sitting up to a minute ago, in two bouts; the second, 50 minutes long, slumped (25
    degrees back) where the first sat at 12 degrees."""
    records = []
    start = now_s - 300 * 60
    records.append(("event", start, vocab.EVENT_BOUT_START, 0, 0))
    for i in range(300):
        t_s = start + 60 * i
        if i == 250:
            records.append(("event", t_s - 1, vocab.EVENT_BOUT_END, 250 * 60, 0))
            records.append(("event", t_s, vocab.EVENT_BOUT_START, 0, 0))
        records.append(("minute", minute_fields(t_s, 60, 2500 if i >= 250 else 1200)))
    return records


@pytest.mark.slow
def test_prompts_choose_their_routine_and_each_answer_is_handled_and_snooze_reaches_the_device(
        x64_build, tmp_path, monkeypatch, bus_address):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus_address)
    state = tmp_path / "device"
    now_s = int(time.time())
    fill_log(state, a_desk_morning(now_s))
    zone = noon_zone(now_s)

    async def scenario():
        server = await NotificationServer(bus_address).start()
        async with emulation(state, x64_build) as emu:
            await emu.firmware.wait_for("^ready")
            store = Store(tmp_path / "log.sqlite3")
            link = central(emu, tmp_path / "keys.json")
            await pairing.pair(store, link, scan_s=5, say=lambda _t: None)
            console = io.StringIO()
            updates = Updates()
            app = HostApp(store, Config(tmp_path / "config.json"), ADDRESS, link=link, listener=updates.append,
                          notifier=notify.Notifier("auto", terminal=notify.TerminalChannel(Console(file=console))),
                          tz=zone, scan_s=1.0, policies=FAST)
            task = asyncio.ensure_future(app.run())
            await wait_until(lambda: app.syncs, what="the sync")

            def prompts():
                return [u.data for u in updates if u.kind == PROMPT]

            def answers():
                return [u.data for u in updates if u.kind == ANSWER]

            # 1. Fifty minutes slumped: the standing back extension. "Start routine" shows its card.
            await play(emu, state, prompt_line(3000))
            await wait_until(lambda: len(prompts()) == 1, what="the first prompt")
            (first,) = await server.wait_for(1)
            server.invoke(first.id, notify.START)
            card = (await server.wait_for(2))[1]
            await wait_until(lambda: len(answers()) == 1, what="the first answer")

            # 2. After a break, a new bout; five hours of sitting today: the hip flexor stretch. Skipped.
            await play(emu, state, f"event {vocab.EVENT_BOUT_END} 3000 120",
                       f"event {vocab.EVENT_BOUT_START} 0 0", prompt_line(600, 1))
            await wait_until(lambda: len(prompts()) == 2, what="the second prompt")
            second = (await server.wait_for(3))[2]
            server.invoke(second.id, notify.SKIP)
            await wait_until(lambda: len(answers()) == 2, what="the second answer")

            # 3. Another prompt: snoozed; the device is told, logs it, and the event comes back live.
            await play(emu, state, prompt_line(1200, 2))
            await wait_until(lambda: len(prompts()) == 3, what="the third prompt")
            third = (await server.wait_for(4))[3]
            server.invoke(third.id, notify.SNOOZE)
            await emu.firmware.wait_for("^action snooze 600$", 5)
            await wait_until(lambda: any(e.kind == vocab.EVENT_SNOOZE for e in store.events(0, 2**40)),
                             what="the snooze event")

            # 4. A reminder during the snooze is held back: nothing new on the desktop.
            await play(emu, state, prompt_line(1500, 3))
            await wait_until(lambda: len(prompts()) == 4, what="the reminder")
            await asyncio.sleep(0.2)
            shown = len(server.received)
            app.stop()
            await task
            await link.close()
            await emu.stop_firmware()
        await server.stop()
        return store, prompts(), first, card, second, third, shown

    store, shown, first, card, second, third, count = asyncio.run(asyncio.wait_for(scenario(), 100))
    assert [s.routine for s in shown[:2]] == [vocab.ROUTINE_EXTENSION, vocab.ROUTINE_HIP_FLEXOR_STRETCH]
    assert first.summary == "Time for a break: 50 min sitting"
    assert routines.routine(vocab.ROUTINE_EXTENSION).title in first.body
    assert first.actions == {"start": "Start routine", "snooze": "Snooze 10 min", "skip": "Skip"} | (
        {"default": first.actions["default"]} if "default" in first.actions else {})
    assert card.summary == routines.routine(vocab.ROUTINE_EXTENSION).title
    assert card.body.endswith(routines.SAFETY_NOTE)
    assert routines.routine(vocab.ROUTINE_HIP_FLEXOR_STRETCH).title in second.body
    # The third is not the hip flexor stretch again straight away.
    assert shown[2].routine != vocab.ROUTINE_HIP_FLEXOR_STRETCH
    assert routines.routine(shown[2].routine).title in third.body
    assert shown[3].via == "held: snoozed" and count == 4
    answers = {p[0]: p[4] for p in store.prompts(0, 2**40)}
    prompt_seqs = [s.key.rsplit("/", 1)[1] for s in shown]
    assert [answers[int(seq)] for seq in prompt_seqs] == ["start", "skip", "snooze", None]
