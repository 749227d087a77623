"""Prompts through the real desktop-notifier library, over a real D-Bus session bus (the system's
dbus-daemon, started privately here) to a notification server on that bus; the test reads back what the
server received and clicks the buttons the way a desktop would, through the ActionInvoked signal."""

import asyncio
import io
from datetime import UTC, datetime

import pytest
from rich.console import Console

from lumbo import routines
from lumbo.config import Config
from lumbo.emu.notifyd import NotificationServer, private_session_bus
from lumbo.prompts import notify
from lumbo.prompts.manager import PromptManager
from lumbo.store import Event, Store
from lumbo_shared import vocab

ADDR = "C0:FF:EE:00:00:01"
# 10:00 UTC on a weekday; the test runs in UTC so quiet hours and days do not depend on the machine.
T0 = int(datetime(2024, 3, 5, 10, 0, tzinfo=UTC).timestamp())


class DeviceCommandsSeen:
    """Stands in for the link's command channel; records what the manager asked the device to do."""

    def __init__(self):
        self.snoozes = []

    async def snooze(self, seconds):
        self.snoozes.append(seconds)


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture(scope="module")
def bus_address():
    with private_session_bus() as address:
        yield address


async def wait_until(predicate, timeout_s=5.0):
    async def poll():
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout_s)


def make_manager(tmp_path, clock, config=None):
    store = Store(tmp_path / "log.sqlite3")
    console_out = io.StringIO()
    notifier = notify.Notifier("auto", terminal=notify.TerminalChannel(Console(file=console_out, width=100)))
    config = config or Config(tmp_path / "config.json")
    said = []
    manager = PromptManager(store, notifier, config, clock=clock, tz=UTC, say=said.append)
    return manager, store, console_out, said


def test_prompt_reaches_the_server_and_each_action_is_handled(tmp_path, monkeypatch, bus_address):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus_address)

    async def scenario():
        server = await NotificationServer(bus_address).start()
        clock = Clock(T0)
        manager, store, console_out, _ = make_manager(tmp_path, clock)
        device = DeviceCommandsSeen()
        manager.device = device
        # A 30-minute bout (bout_start logged 30 min before the prompt).
        store.ingest(ADDR, events=[Event(1, T0 - 1800, vocab.EVENT_BOUT_START, 0, 0)])
        prompt = Event(2, T0, vocab.EVENT_PROMPT, 1800, 0)
        store.ingest(ADDR, events=[prompt])

        shown = await manager.on_prompt(ADDR, prompt)
        assert shown.via == "desktop"
        (first,) = await server.wait_for(1)
        assert first.app_name == "lumbo"
        assert first.summary == "Time for a break: 30 min sitting"
        # Nothing slumped or heavy today: the default routine, pelvic tilts.
        assert shown.routine == vocab.ROUTINE_PELVIC_TILTS
        assert routines.routine(vocab.ROUTINE_PELVIC_TILTS).title in first.body
        buttons = {k: v for k, v in first.actions.items() if k != "default"}
        assert buttons == {"start": "Start routine", "snooze": "Snooze 10 min", "skip": "Skip"}

        # The wearer clicks "Snooze 10 min" on the desktop.
        server.invoke(first.id, "snooze")
        await wait_until(lambda: manager.answered)
        await manager.drain()
        assert manager.answered == [(shown.key, "snooze")]
        assert device.snoozes == [600]
        assert store.prompts(0, 2**40)[0][4] == "snooze"

        # A reminder 5 minutes later falls inside the snooze: held back, nothing new on the desktop.
        clock.t = T0 + 300
        reminder = Event(3, T0 + 300, vocab.EVENT_PROMPT, 2100, 0)
        held = await manager.on_prompt(ADDR, reminder)
        assert held.via == "held: snoozed"
        await asyncio.sleep(0.1)
        assert len(server.received) == 1

        # After the snooze: shown again, with a different routine than last time; "Start routine"
        # brings up the routine card as a second notification.
        clock.t = T0 + 660
        again = Event(4, T0 + 660, vocab.EVENT_PROMPT, 2460, 0)
        shown2 = await manager.on_prompt(ADDR, again)
        assert shown2.via == "desktop"
        assert shown2.routine != vocab.ROUTINE_PELVIC_TILTS
        second = (await server.wait_for(2))[1]
        server.invoke(second.id, "start")
        card = (await server.wait_for(3))[2]
        await manager.drain()
        title = routines.routine(shown2.routine).title
        assert card.summary == title
        assert card.body.endswith(routines.SAFETY_NOTE)
        assert "How much:" in card.body and "Why:" in card.body
        assert card.actions.get("start") is None
        # The card is in the terminal too.
        assert title in console_out.getvalue()

        # A third prompt, skipped.
        clock.t = T0 + 1300
        third = Event(5, T0 + 1300, vocab.EVENT_PROMPT, 3100, 0)
        shown3 = await manager.on_prompt(ADDR, third)
        notification = (await server.wait_for(4))[3]
        server.invoke(notification.id, "skip")
        await wait_until(lambda: len(manager.answered) == 3)
        await manager.drain()
        answers = {p[0]: p[4] for p in store.prompts(0, 2**40)}
        assert answers == {2: "snooze", 3: None, 4: "start", 5: "skip"}
        assert shown3.key.endswith("/5")
        await server.stop()
        store.close()

    asyncio.run(scenario())


def test_server_without_buttons_also_asks_in_the_terminal(tmp_path, monkeypatch, bus_address):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus_address)

    async def scenario():
        server = await NotificationServer(bus_address, capabilities=("body",)).start()
        manager, store, _, _ = make_manager(tmp_path, Clock(T0))
        prompt = Event(7, T0, vocab.EVENT_PROMPT, 1800, 0)
        shown = await manager.on_prompt(ADDR, prompt)
        await server.wait_for(1)
        assert shown.via == "desktop+terminal"
        assert manager.notifier.terminal.waiting
        assert manager.notifier.terminal.answer("k") == "skip"
        await manager.drain()
        assert store.prompts(0, 2**40)[0][4] == "skip"
        await server.stop()
        store.close()

    asyncio.run(scenario())


def test_bus_without_a_notification_server_falls_back_to_the_terminal(tmp_path, monkeypatch, bus_address):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus_address)

    async def scenario():
        manager, store, console_out, said = make_manager(tmp_path, Clock(T0))
        shown = await manager.on_prompt(ADDR, Event(9, T0, vocab.EVENT_PROMPT, 1800, 0))
        assert shown.via == "terminal"
        assert "Time for a break" in console_out.getvalue()
        assert any("no desktop notification service" in s for s in said)
        store.close()

    asyncio.run(scenario())
