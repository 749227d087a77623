"""The host app in the demo: the real store, prompt manager and link (lumbo.link: Runner and Session), on
bleak over the emulated radio, with the device's accelerated time.

What differs from `lumbo run` is only time: the device's day runs `speed` times faster than the wall clock,
so the host's waits (reconnection back-off, scan length) shrink by the same factor, and the host reads "now"
from the device's status rather than from the computer's clock. The device's clock is the emulated board's
(its real-time clock was set when the day began), so the demo does not set it again.
"""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bleak.exc import BleakError

from lumbo import ble
from lumbo.config import Config
from lumbo.link import backoff
from lumbo.link.runner import Runner
from lumbo.link.session import LinkError, Session, SyncResult
from lumbo.link.wire import Status
from lumbo.prompts.manager import PromptManager
from lumbo.prompts.notify import Notifier
from lumbo.shared import protocol, vocab
from lumbo.store import Event, Store

# Shortest wait and scan the demo lets the host shrink to: below this the host would only spin.
MIN_WAIT_S = 0.02
MIN_SCAN_S = 0.5
PAIR_TIMEOUT_S = 20.0
# A prompt the host learns of only through a sync is shown if it is this fresh (device seconds) and the
# device still says a prompt is active.
LATE_PROMPT_S = 300
# While a link lasts, the host syncs again when the device has logged more and this much of the device's
# time has passed since the last sync (minute summaries only come by sync, not live).
RESYNC_S = 300
RESYNC_CHECK_S = 0.2


class DeviceTime:
    """The device's time as the host last heard it, run on at `speed` (never more than `ahead_s` past it)."""

    def __init__(self, speed: float, start_s: float, ahead_s: float = 60.0) -> None:
        self.speed = speed
        self.ahead_s = ahead_s
        self._t_s = float(start_s)
        self._at = time.monotonic()

    def seen(self, t_s: float) -> None:
        if t_s >= self._t_s:
            self._t_s = float(t_s)
            self._at = time.monotonic()

    def now(self) -> float:
        return self._t_s + min(self.ahead_s, (time.monotonic() - self._at) * self.speed)


def scaled_policies(speed: float) -> dict[str, backoff.Policy]:
    """The link's back-off, in the device's time: every wait divided by the speed."""
    return {kind: backoff.Policy(max(MIN_WAIT_S, p.first_s / speed), p.factor, max(MIN_WAIT_S, p.max_s / speed),
                                 p.why) for kind, p in backoff.POLICIES.items()}


class DemoHost:
    def __init__(self, store: Store, config: Config, notifier: Notifier, address: str, transport: str,
                 keystore: Path, device_time: DeviceTime, speed: float, say: Callable[[str], Any] = print,
                 on_status: Callable[[Status], Any] | None = None,
                 on_progress: Callable[[int, int], Any] | None = None) -> None:
        self.store = store
        self.config = config
        self.address = address
        self.device_time = device_time
        self.speed = speed
        self.say = say
        self.on_status_extra = on_status
        self.on_progress = on_progress
        self.on_event_extra: Callable[[Event], Any] | None = None  # told of each live event as it arrives
        self.link = ble.emulated(transport=transport, keystore_path=keystore)
        self.manager = PromptManager(store, notifier, config, clock=device_time.now, say=say)
        self.runner: Runner | None = None
        self._task: asyncio.Task[None] | None = None
        self._resync: asyncio.Task[None] | None = None
        self.shown: list[tuple[int, int, int, str]] = []  # (seq, device t_s, routine, where)
        self.syncs: list[SyncResult] = []
        self.sync_from: list[int] = []  # the first record each sync asked for
        self.live_events = 0
        self.connects = 0
        self.link_messages: list[str] = []
        self.last_status: Status | None = None

    # -- pairing -------------------------------------------------------------------------------------

    async def pair(self) -> None:
        """Find the device by its service, connect and bond (the device's first start opens pairing)."""
        from bleak import BleakClient, BleakScanner

        device = await BleakScanner.find_device_by_filter(
            lambda _d, adv: protocol.SERVICE_UUID in adv.service_uuids, timeout=PAIR_TIMEOUT_S,
            backend=self.link.scanner)
        if device is None:
            raise RuntimeError("the emulated device never advertised: see its output above")
        async with BleakClient(device, backend=self.link.client, pair=True):
            pass
        self.store.remember_device(self.address, protocol.DEVICE_NAME, bonded=True)

    # -- the link --------------------------------------------------------------------------------------

    def _on_status(self, status: Status) -> None:
        self.last_status = status
        self.device_time.seen(status.t_s)
        if self.on_status_extra is not None:
            self.on_status_extra(status)

    def _on_event(self, event: Event) -> None:
        self.live_events += 1
        self.device_time.seen(event.t_s)
        if self.on_event_extra is not None:
            self.on_event_extra(event)

    async def _on_prompt(self, event: Event) -> None:
        if any(seq == event.seq for seq, *_ in self.shown):
            return
        shown = await self.manager.on_prompt(self.address, event)
        self.shown.append((event.seq, event.t_s, shown.routine, shown.via))

    def _session(self, client: Any) -> Session:
        return Session(client, self.store, self.address, self.store.host_id(), say=self._link_say,
                       clock=self.device_time.now, on_status=self._on_status, on_event=self._on_event,
                       on_prompt=self._on_prompt, on_progress=self.on_progress)

    def _link_say(self, message: str) -> None:
        self.link_messages.append(message)

    async def _after_connect(self, session: Session) -> None:
        self.connects += 1
        await session.send_settings(self.config.device_overrides())
        self.sync_from.append(self.synced_to() + 1)
        result = await session.sync()
        self.syncs.append(result)
        self.manager.device = session
        await self._late_prompt(session)
        self._resync = asyncio.ensure_future(self._resync_while_connected(session))

    async def _resync_while_connected(self, session: Session) -> None:
        last_sync_s = self.device_time.now()
        while self.runner is not None and self.runner.session is session:
            await asyncio.sleep(RESYNC_CHECK_S)
            status = session.status
            if status is None or status.head_seq - 1 <= self.synced_to():
                continue
            if self.device_time.now() - last_sync_s < RESYNC_S:
                continue
            last_sync_s = self.device_time.now()
            try:
                self.sync_from.append(self.synced_to() + 1)
                self.syncs.append(await session.sync())
            except (BleakError, LinkError, TimeoutError, OSError, EOFError) as exc:
                # The runner sees the same failure and reconnects; this loop just ends.
                self._link_say(f"a sync while connected ended: {exc}")
                return

    async def _late_prompt(self, session: Session) -> None:
        """A prompt raised while the radio was off reaches the host by the sync, not live: show it now if
        the device says it is still active."""
        status = session.status
        if status is None or not status.prompt_active:
            return
        now = self.device_time.now()
        prompts = self.store.events(now - LATE_PROMPT_S, now + 1, kinds=(vocab.EVENT_PROMPT,))
        if prompts:
            await self._on_prompt(prompts[-1])

    def start(self) -> None:
        self.runner = Runner(self.address, self._session, after_connect=self._after_connect, say=self._link_say,
                             bleak_kwargs={"backend": self.link.client},
                             scanner_kwargs={"backend": self.link.scanner},
                             policies=scaled_policies(self.speed), scan_s=max(MIN_SCAN_S, 10.0 / self.speed))
        self._task = asyncio.ensure_future(self.runner.run())

    def synced_to(self) -> int:
        """The highest sequence number up to which the log holds every record of the device."""
        position = self.store.sync_position(self.address)
        return position[0] if position else 0

    async def stop(self) -> None:
        if self._resync is not None:
            self._resync.cancel()
        if self.runner is not None:
            self.runner.stop()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 10)
            except TimeoutError:
                self._task.cancel()
        await self.manager.drain()
        await self.link.close()
