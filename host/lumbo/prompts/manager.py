"""From the device's prompt event to a notification, and from the wearer's answer back to the device.

The manager chooses the routine, checks quiet hours, do-not-disturb and snooze, shows the prompt, and
notes in the log what it suggested and how the wearer answered. Commands for the device (snooze) go
through `device`, which the link sets while it is connected; without a connection the answer is still
noted and the host's own snooze still holds prompts back.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from typing import Any, NamedTuple, Protocol

from lumbo import routines
from lumbo.config import Config
from lumbo.prompts import choose, notify, policy
from lumbo.prompts.context import context_at
from lumbo.store import Event, Store


class DeviceCommands(Protocol):
    async def snooze(self, seconds: int) -> None: ...


class Shown(NamedTuple):
    key: str
    routine: int
    via: str  # desktop, terminal, desktop+terminal, or "held: <reason>"


class PromptManager:
    def __init__(
        self,
        store: Store,
        notifier: notify.Notifier,
        config: Config,
        *,
        clock: Callable[[], float] = time.time,
        tz: tzinfo | None = None,
        say: Callable[[str], Any] = print,
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.config = config
        self.clock = clock
        self.tz = tz
        self.say = say
        self.device: DeviceCommands | None = None
        self.snoozed_until_s: float | None = None
        self._open: dict[str, tuple[str, int, int]] = {}  # key -> (address, seq, routine)
        self._tasks: set[asyncio.Task[None]] = set()
        self.answered: list[tuple[str, str]] = []  # (key, action), in order, for the live view
        self.on_answer: Callable[[str, str, int], Any] | None = None  # (key, action, routine), once handled

    def _preferences(self) -> choose.Preferences:
        return choose.preferences_from(
            self.config.get("prefer"), self.config.get("avoid"), self.config.get("leg_symptoms")
        )

    async def on_prompt(self, address: str, event: Event) -> Shown:
        """Handle one prompt event that arrived live from the device."""
        key = f"{address}/{event.seq}"
        now_s = self.clock()
        settings = self.config.device_settings()
        local = datetime.fromtimestamp(now_s, self.tz).astimezone(self.tz)
        reason = policy.hold_reason(
            local,
            quiet_start_min=settings["quiet_start_min"],
            quiet_end_min=settings["quiet_end_min"],
            dnd_until_s=self.config.dnd_until_s(),
            snoozed_until_s=self.snoozed_until_s,
        )
        context = context_at(self.store, event.t_s, self.tz, bout_s_hint=event.a)
        routine = choose.choose(context, self._preferences(), self.store.recent_routines(1))
        if reason is not None:
            via = f"held: {reason}"
            self.store.record_prompt(address, event.seq, now_s, routine, via)
            self.say(f"prompt held back ({reason})")
            return Shown(key, routine, via)
        minutes = max(1, round(context.bout_s / 60))
        r = routines.routine(routine)
        note = notify.PromptNote(
            key,
            f"Time for a break: {minutes} min sitting",
            f"Try this: {routines.one_line(routine)}\n{r.why}",
            settings["snooze_s"] // 60,
        )
        self._open[key] = (address, event.seq, routine)
        via = await self.notifier.show(note, self.on_action)
        self.store.record_prompt(address, event.seq, now_s, routine, via)
        if self.notifier.last_problem and via == "terminal" and self.notifier.mode != "terminal":
            self.say(f"showing prompts in the terminal: {self.notifier.last_problem}")
        return Shown(key, routine, via)

    def on_action(self, key: str, action: str) -> None:
        """Called by a notification button or a typed answer; the work runs as a task on the loop."""
        task = asyncio.get_running_loop().create_task(self.handle_action(key, action))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle_action(self, key: str, action: str) -> None:
        opened = self._open.pop(key, None)
        if opened is None:
            return
        address, seq, routine = opened
        now_s = self.clock()
        self.store.record_response(address, seq, action, now_s)
        self.answered.append((key, action))
        if action == notify.START:
            r = routines.routine(routine)
            await self.notifier.show_card(r.title, routines.card_text(routine))
        elif action == notify.SNOOZE:
            snooze_s = self.config.device_settings()["snooze_s"]
            self.snoozed_until_s = now_s + snooze_s
            if self.device is not None:
                await self._tell_device(lambda d: d.snooze(snooze_s), "snooze")
            self.say(f"snoozed for {snooze_s // 60} min")
        elif action == notify.SKIP:
            self.say("prompt skipped")
        if self.on_answer is not None:
            self.on_answer(key, action, routine)

    async def _tell_device(self, command: Callable[[DeviceCommands], Awaitable[None]], what: str) -> None:
        device = self.device
        if device is None:
            return
        try:
            await command(device)
        except (TimeoutError, OSError, RuntimeError) as exc:
            self.say(f"could not send {what} to the device ({exc}); lumbo holds prompts back itself")

    async def drain(self) -> None:
        """Wait for answers still being handled (for an orderly shutdown and for tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
