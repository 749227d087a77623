"""The host session behind `lumbo run`, as a function other programs can run: keep the paired device
connected, set its clock, send the wearer's settings, sync the history, keep syncing while connected,
deliver break prompts with their routine, and report everything that happens as `Update`s.

    app = HostApp(store, config, address, link=lumbo.ble.from_environment(...), listener=print_update)
    await app.run()            # until cancelled or app.stop()

or `await run_host(store, config, address, link=..., listener=...)`. The `lumbo run` command shows the
updates in its live view; the demo shows them its own way. The listener is called on the event loop and
must not block.
"""

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Any, NamedTuple

from lumbo import routines
from lumbo.config import Config, ConfigError
from lumbo.link import wire
from lumbo.link.runner import SCAN_S, Runner
from lumbo.link.session import DeviceRefused, MtuTooSmall, Session
from lumbo.prompts import notify
from lumbo.prompts.manager import PromptManager, Shown
from lumbo.shared import vocab
from lumbo.store import Event, Store, StoreError
from lumbo.store.store import LiveStatus

# Kinds of Update.
LINK = "link"  # the link's state changed; text: a few words ("connected", "waiting for the device")
SAY = "say"  # a step or a problem, in a sentence
STATUS = "status"  # data: wire.Status, about once a second while connected
PROGRESS = "progress"  # data: (records received, records expected) during a sync
SYNC = "sync"  # data: session.SyncResult, after each sync
EVENT = "event"  # data: store.Event, each event the device sends live
PROMPT = "prompt"  # data: prompts.manager.Shown, once a prompt has been shown or held back
ANSWER = "answer"  # data: (prompt key, action, routine), once the wearer's answer has been handled

# While connected, sync again this often: events arrive live, minute summaries only through a sync.
RESYNC_S = 300.0
# How often the settings file is checked for changes made with `lumbo config set` while connected.
CONFIG_POLL_S = 2.0
# The latest status is written to the log when the posture changes, else at most this often.
STATUS_SAVE_S = 30.0


class Update(NamedTuple):
    kind: str
    text: str
    data: Any = None


def describe_event(event: Event) -> str:
    """A device event in words, for the live view."""
    kind = event.kind
    if kind == vocab.EVENT_PROMPT:
        return f"break prompt after {event.a // 60} min sitting"
    if kind == vocab.EVENT_SNOOZE:
        return "prompt snoozed" + (f" for {event.a // 60} min" if event.a else "")
    if kind == vocab.EVENT_BREAK_TAKEN:
        if event.a == vocab.ROUTINE_NONE:
            return "break taken"
        name = routines.routine(event.a).title if event.a in routines.BY_CODE else vocab.routine_name(event.a)
        return f"break taken: {name}" + (f", {event.b} reps" if event.b else "")
    if kind == vocab.EVENT_PROMPT_SKIPPED:
        return "prompt skipped"
    return vocab.event_name(kind).replace("_", " ")


class HostApp:
    """One wearer's host session. `address` is the paired device's (identity) address; `link` a
    lumbo.ble.Link (None: the computer's own Bluetooth); `notifier` shows prompts (default: desktop
    notifications, else the terminal)."""

    def __init__(
        self,
        store: Store,
        config: Config,
        address: str,
        *,
        link: Any = None,
        notifier: notify.Notifier | None = None,
        listener: Callable[[Update], Any] | None = None,
        clock: Callable[[], float] = time.time,
        tz: tzinfo | None = None,
        utc_offset_min: int | None = None,
        scan_s: float = SCAN_S,
        resync_s: float = RESYNC_S,
        config_poll_s: float = CONFIG_POLL_S,
        policies: Any = None,
    ) -> None:
        self.store = store
        self.config = config
        self.address = address
        self.listener = listener
        self.clock = clock
        self.utc_offset_min = utc_offset_min
        self.resync_s = resync_s
        self.config_poll_s = config_poll_s
        self.host_id = store.host_id()
        self.notifier = notifier or notify.Notifier(config.get("notifications"))
        self.manager = PromptManager(store, self.notifier, config, clock=clock, tz=tz, say=self.say)
        self.manager.on_answer = self._on_answer
        self.runner = Runner(address, self._make_session, after_connect=self._after_connect,
                             while_connected=self._while_connected, say=self.say, on_state=self._on_state,
                             link=link, policies=policies, scan_s=scan_s)
        self.status: wire.Status | None = None
        self.link_state = ""
        self.syncs: deque[Any] = deque(maxlen=100)  # the latest sync results, oldest first
        self._saved_status: tuple[float, int] | None = None
        self._config_mtime = self._mtime()

    # -- updates ---------------------------------------------------------------------------------------

    def _emit(self, kind: str, text: str, data: Any = None) -> None:
        if self.listener is not None:
            self.listener(Update(kind, text, data))

    def say(self, text: str) -> None:
        self._emit(SAY, text)

    def _on_state(self, text: str) -> None:
        if text != self.link_state:
            self.link_state = text
            self._emit(LINK, text)

    def _on_status(self, status: wire.Status) -> None:
        self.status = status
        self._emit(STATUS, "", status)
        now = self.clock()
        saved = self._saved_status
        if saved is None or saved[1] != status.state or now - saved[0] >= STATUS_SAVE_S:
            self._saved_status = (now, status.state)
            try:
                self.store.save_status(self.address, LiveStatus(now, status.state, status.tilt_cdeg, status.bout_s,
                                                                status.battery_pct, status.flags, status.head_seq))
            except StoreError as exc:  # only `lumbo status` misses it; records are kept safe by ingest
                self.say(f"could not note the device's status in the log: {exc}")

    def _on_event(self, event: Event) -> None:
        self._emit(EVENT, describe_event(event), event)

    async def _on_prompt(self, event: Event) -> Shown:
        shown = await self.manager.on_prompt(self.address, event)
        name = routines.routine(shown.routine).title
        if shown.via.startswith("held"):
            text = f"break prompt {shown.via.replace('held: ', 'held back: ')} (would suggest {name})"
        else:
            text = f"break prompt shown ({shown.via}): {name}"
        self._emit(PROMPT, text, shown)
        return shown

    def _on_answer(self, key: str, action: str, routine: int) -> None:
        words = {notify.START: "started the routine", notify.SNOOZE: "snoozed", notify.SKIP: "skipped"}
        self._emit(ANSWER, f"prompt {words.get(action, action)}", (key, action, routine))

    # -- the connection -------------------------------------------------------------------------------

    def _make_session(self, client: Any) -> Session:
        return Session(client, self.store, self.address, self.host_id, say=self.say, clock=self.clock,
                       on_status=self._on_status, on_event=self._on_event, on_prompt=self._on_prompt,
                       on_progress=lambda done, total: self._emit(PROGRESS, "", (done, total)))

    async def _sync(self, session: Session) -> None:
        self._on_state("syncing")
        result = await session.sync()
        self.syncs.append(result)
        self.store.seen(self.address)
        parts = [f"synced {result.new} new records"]
        if result.duplicates:
            parts.append(f"{result.duplicates} already stored")
        if result.lost:
            parts.append(f"{result.lost} lost on the device")
        if result.spooled:
            parts.append(f"{result.spooled} waiting in the spool")
        self._emit(SYNC, parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else ""), result)
        self._on_state("connected")

    async def _send_settings(self, session: Session) -> None:
        overrides = self.config.device_overrides()
        try:
            await session.send_settings(overrides)
        except DeviceRefused as exc:
            self.say(f"{exc}; change it with `lumbo config set`")

    async def _after_connect(self, session: Session) -> None:
        self._on_state("setting the clock")
        try:
            await session.set_clock(self.utc_offset_min)
        except DeviceRefused as exc:
            self.say(f"{exc}; its records keep the time it has")
        await self._send_settings(session)
        try:
            await self._sync(session)
        except MtuTooSmall as exc:
            session.use_current_log()
            self.say(str(exc))
        self.manager.device = session
        self.say("connected: live status on")

    def _mtime(self) -> float | None:
        path = Path(self.config.path)
        try:
            return path.stat().st_mtime_ns
        except OSError:
            return None

    async def _config_changed(self, session: Session) -> None:
        mtime = self._mtime()
        if mtime == self._config_mtime:
            return
        self._config_mtime = mtime
        try:
            config = Config.load(Path(self.config.path))
        except ConfigError as exc:
            self.say(f"the settings file changed but cannot be used ({exc}); keeping the previous settings")
            return
        before = self.config.device_overrides()
        self.config.values = config.values
        if config.device_overrides() != before:
            await self._send_settings(session)
            self.say("sent the changed settings to the device")

    async def _while_connected(self, session: Session) -> None:
        try:
            last_sync = time.monotonic()
            while True:
                await asyncio.sleep(self.config_poll_s)
                await self._config_changed(session)
                if time.monotonic() - last_sync >= self.resync_s:
                    last_sync = time.monotonic()
                    try:
                        await self._sync(session)
                    except MtuTooSmall:
                        continue
        finally:
            self.manager.device = None
            await session.drain()

    # -- running --------------------------------------------------------------------------------------

    def stop(self) -> None:
        self.runner.stop()

    async def run(self) -> None:
        """Run until stop() or cancellation; answers being handled are finished first."""
        try:
            await self.runner.run()
        finally:
            with contextlib.suppress(Exception):
                await self.manager.drain()


async def run_host(store: Store, config: Config, address: str, **kwargs: Any) -> None:
    """Run the host session (see HostApp for the keyword arguments) until cancelled."""
    await HostApp(store, config, address, **kwargs).run()

