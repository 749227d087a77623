"""Showing a prompt: as a desktop notification with three actions, or in the terminal where there is none.

Desktop notifications go through desktop-notifier (D-Bus org.freedesktop.Notifications on Linux, the
notification centres on macOS and Windows). That library logs and swallows a failed send; lumbo probes the
service first and watches for the "dispatched" callback, so a prompt that did not reach the desktop is shown
in the terminal instead. Nothing here raises because a notification service is missing or broken.
"""

import asyncio
from collections.abc import Callable
from typing import Any, NamedTuple

from rich.console import Console
from rich.panel import Panel

START = "start"
SNOOZE = "snooze"
SKIP = "skip"
ACTIONS = (START, SNOOZE, SKIP)

ActionHandler = Callable[[str, str], Any]  # (prompt key, action)


class PromptNote(NamedTuple):
    key: str  # names the prompt, e.g. "device-address/seq"
    title: str
    body: str
    snooze_min: int


def action_titles(snooze_min: int) -> dict[str, str]:
    return {START: "Start routine", SNOOZE: f"Snooze {snooze_min} min", SKIP: "Skip"}


class DesktopChannel:
    """Desktop notifications through desktop-notifier. `notifier` is made on first use unless passed in."""

    name = "desktop"

    def __init__(self, app_name: str = "lumbo", notifier: Any = None) -> None:
        self._app_name = app_name
        self._notifier = notifier
        self.unavailable: str | None = None
        self.has_actions = False
        self._probed = False

    def _get_notifier(self) -> Any:
        if self._notifier is None:
            from desktop_notifier import DesktopNotifier

            self._notifier = DesktopNotifier(app_name=self._app_name)
        return self._notifier

    async def probe(self) -> str | None:
        """None when notifications can be shown, else why not. Asked once; the answer is kept."""
        if self._probed:
            return self.unavailable
        self._probed = True
        from desktop_notifier import Capability

        try:
            capabilities = await asyncio.wait_for(self._get_notifier().get_capabilities(), 5.0)
        # The library raises whatever its platform backend raises (D-Bus address, connection and
        # service errors, OS errors on macOS and Windows); any of them means "no notification service".
        except Exception as exc:
            self.unavailable = f"no desktop notification service ({type(exc).__name__}: {exc})"
            return self.unavailable
        self.has_actions = Capability.BUTTONS in capabilities
        return None

    async def _send(self, title: str, body: str, buttons: tuple[Any, ...] = ()) -> bool:
        from desktop_notifier import Notification

        dispatched = asyncio.Event()
        notification = Notification(title, body, buttons=buttons, on_dispatched=dispatched.set)
        try:
            await self._get_notifier().send_notification(notification)
        # As in probe(): whatever the backend raises means this notification did not get through.
        except Exception as exc:
            self.unavailable = f"the desktop notification failed ({type(exc).__name__}: {exc})"
            return False
        return dispatched.is_set()

    async def show(self, note: PromptNote, on_action: ActionHandler) -> bool:
        """True if the notification reached the service (the library calls back when it has)."""
        if await self.probe() is not None:
            return False
        from desktop_notifier import Button

        titles = action_titles(note.snooze_min)
        buttons = tuple(
            Button(title=titles[action], identifier=action, on_pressed=lambda a=action: on_action(note.key, a))
            for action in ACTIONS
        )
        return await self._send(note.title, note.body, buttons)

    async def show_card(self, title: str, text: str) -> bool:
        if await self.probe() is not None:
            return False
        return await self._send(title, text)


class TerminalChannel:
    """Prompts printed to the terminal; the wearer answers by typing s (start), z (snooze) or k (skip)."""

    name = "terminal"
    KEYS = {"s": START, "start": START, "z": SNOOZE, "snooze": SNOOZE, "k": SKIP, "skip": SKIP}

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._pending: tuple[PromptNote, ActionHandler] | None = None

    async def show(self, note: PromptNote, on_action: ActionHandler) -> bool:
        titles = action_titles(note.snooze_min)
        choices = f"[bold]s[/] {titles[START]}   [bold]z[/] {titles[SNOOZE]}   [bold]k[/] {titles[SKIP]}"
        self.console.print(Panel(f"{note.body}\n\n{choices}", title=note.title, border_style="yellow"))
        self._pending = (note, on_action)
        return True

    async def show_card(self, title: str, text: str) -> bool:
        self.console.print(Panel(text, title=title, border_style="green"))
        return True

    def answer(self, line: str) -> str | None:
        """Take one typed line; if it answers the open prompt, call its handler and return the action."""
        action = self.KEYS.get(line.strip().lower())
        if action is None or self._pending is None:
            return None
        note, handler = self._pending
        self._pending = None
        handler(note.key, action)
        return action

    @property
    def waiting(self) -> bool:
        return self._pending is not None


class Notifier:
    """Shows prompts and routine cards where the wearer will see them.

    mode "auto": the desktop when a notification service answers, the terminal otherwise (and also the
    terminal when the service cannot show buttons, so the wearer can still answer). "desktop" or
    "terminal" force one; a forced desktop that fails still falls back to the terminal rather than
    dropping the prompt.
    """

    def __init__(self, mode: str = "auto", desktop: DesktopChannel | None = None,
                 terminal: TerminalChannel | None = None) -> None:
        self.mode = mode
        self.desktop = desktop or DesktopChannel()
        self.terminal = terminal or TerminalChannel()
        self.last_problem: str | None = None

    async def show(self, note: PromptNote, on_action: ActionHandler) -> str:
        """Show the prompt; return where it went ("desktop", "terminal" or "desktop+terminal")."""
        if self.mode != "terminal":
            if await self.desktop.show(note, on_action):
                if self.desktop.has_actions:
                    return "desktop"
                await self.terminal.show(note, on_action)
                return "desktop+terminal"
            self.last_problem = self.desktop.unavailable or "the desktop notification was not delivered"
        await self.terminal.show(note, on_action)
        return "terminal"

    async def show_card(self, title: str, text: str) -> str:
        """The routine card: always in the terminal (it is long), and on the desktop when there is one."""
        await self.terminal.show_card(title, text)
        if self.mode != "terminal" and await self.desktop.show_card(title, text):
            return "desktop+terminal"
        return "terminal"
