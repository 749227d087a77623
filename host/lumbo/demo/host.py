"""The host app in the demo: `lumbo run`'s own host session (lumbo.link.host.HostApp: store, prompts, link
with its Runner and Session) on bleak over the emulated radio, with the device's accelerated time.

What differs from `lumbo run` is only time: the device's day runs `speed` times faster than the wall clock,
so the host's waits (reconnection back-off, scan length, syncing again while connected) shrink by the same
factor, and the host reads "now" from the device (its status and its console) rather than from the
computer's clock.
"""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lumbo import ble
from lumbo.config import Config
from lumbo.link import backoff
from lumbo.link import host as host_app
from lumbo.link.wire import Status
from lumbo.prompts.notify import Notifier
from lumbo.shared import protocol
from lumbo.store import Event, Store

# Shortest wait and scan the demo lets the host shrink to: below this the host would only spin.
MIN_WAIT_S = 0.02
MIN_SCAN_S = 0.5
PAIR_TIMEOUT_S = 20.0


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
        self.address = address
        self.device_time = device_time
        self.speed = speed
        self.say = say
        self.on_status_extra = on_status
        self.on_progress = on_progress
        self.on_event_extra: Callable[[Event], Any] | None = None  # told of each live event as it arrives
        self.on_link: Callable[[str], Any] | None = None  # told the link's state in a few words
        self.link = ble.emulated(transport=transport, keystore_path=keystore)
        self.app = host_app.HostApp(
            store, config, address, link=self.link, notifier=notifier, listener=self._update,
            clock=device_time.now, scan_s=max(MIN_SCAN_S, host_app.SCAN_S / speed),
            resync_s=max(MIN_WAIT_S, host_app.RESYNC_S / speed),
            config_poll_s=max(MIN_WAIT_S, host_app.CONFIG_POLL_S / speed), policies=scaled_policies(speed))
        self._task: asyncio.Task[None] | None = None
        self.shown: list[Any] = []  # prompts.manager.Shown, in order
        self.syncs: list[Any] = []  # session.SyncResult, in order
        self.link_messages: list[str] = []
        self.last_status: Status | None = None

    def _update(self, update: host_app.Update) -> None:
        kind = update.kind
        if kind == host_app.STATUS:
            self.last_status = update.data
            self.device_time.seen(update.data.t_s)
            if self.on_status_extra is not None:
                self.on_status_extra(update.data)
        elif kind == host_app.EVENT:
            self.device_time.seen(update.data.t_s)
            if self.on_event_extra is not None:
                self.on_event_extra(update.data)
        elif kind == host_app.PROMPT:
            self.shown.append(update.data)
            self.say(update.text)
        elif kind == host_app.SYNC:
            self.syncs.append(update.data)
        elif kind == host_app.PROGRESS:
            if self.on_progress is not None:
                self.on_progress(*update.data)
        elif kind in (host_app.SAY, host_app.LINK):
            self.link_messages.append(update.text)
            if kind == host_app.LINK and self.on_link is not None:
                self.on_link(update.text)

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

    def start(self) -> None:
        self._task = asyncio.ensure_future(self.app.run())

    def synced_to(self) -> int:
        """The highest sequence number up to which the log holds every record of the device."""
        position = self.store.sync_position(self.address)
        return position[0] if position else 0

    async def stop(self) -> None:
        if self._task is not None:
            self.app.stop()
            try:
                await asyncio.wait_for(self._task, 10)
            except TimeoutError:
                self._task.cancel()
            self._task = None
        await self.link.close()
