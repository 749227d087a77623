"""The connection loop under `lumbo run`: wait for the device, connect, set up a session, stay connected for
live status and prompts; on any failure say what happened, wait by its kind (backoff.py) and try again.

A device that is away is the normal case, not a failure: it is out of range, or it keeps its radio off
between syncs to save its battery. The loop then scans without pause worth the name, so it connects within
seconds of the device advertising again (for the next sync, or at once for a prompt), and it says so once,
not at every scan.

Bluetooth goes through bleak's public API only (BleakScanner, BleakClient), with the backend classes of a
`lumbo.ble.Link` (the computer's own Bluetooth, or the emulated radio).
"""

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from lumbo.link import backoff
from lumbo.link.session import LinkError, Session

# A wall-clock jump this much bigger than the monotonic clock's step means the computer slept.
SLEEP_JUMP_S = 30.0
# One scan window. Windows follow each other with only the NOT_FOUND pause between them.
SCAN_S = 10.0
# After this long without seeing the device, say so once, then again after twice as long, and so on.
AWAY_NOTE_S = 3600.0
# ATT error codes that mean the link is not secured with a bond the device knows.
_ATT_INSUFFICIENT_AUTHENTICATION = 0x05
_ATT_INSUFFICIENT_ENCRYPTION = 0x0F


def classify(exc: BaseException) -> str:
    """Which backoff kind an exception from bleak or the session belongs to; anything else is re-raised."""
    from bleak.exc import BleakBluetoothNotAvailableError, BleakDeviceNotFoundError, BleakError

    if isinstance(exc, BleakBluetoothNotAvailableError):
        return backoff.ADAPTER
    if isinstance(exc, BleakDeviceNotFoundError):
        return backoff.NOT_FOUND
    if getattr(exc, "att_error", None) in (_ATT_INSUFFICIENT_AUTHENTICATION, _ATT_INSUFFICIENT_ENCRYPTION):
        return backoff.AUTH
    text = str(exc).lower()
    if any(word in text for word in ("authenticat", "encrypt", "insufficient", "not paired", "bond")):
        return backoff.AUTH
    if any(word in text for word in ("powered off", "adapter", "no bluetooth", "not available")):
        return backoff.ADAPTER
    if isinstance(exc, (LinkError, EOFError, ConnectionError)):
        return backoff.DROPPED
    if isinstance(exc, (BleakError, asyncio.TimeoutError, OSError)):
        return backoff.CONNECT_FAILED
    raise exc


def scanner_kwargs(link: Any) -> dict[str, Any]:
    """`backend=` for BleakScanner from a lumbo.ble.Link (nothing for the system's Bluetooth)."""
    return {} if link is None or link.scanner is None else {"backend": link.scanner}


def client_kwargs(link: Any) -> dict[str, Any]:
    return {} if link is None or link.client is None else {"backend": link.client}


async def find(address: str, timeout_s: float = SCAN_S, link: Any = None) -> Any:
    """The BLEDevice for address if it advertises within timeout_s, else None."""
    from bleak import BleakScanner

    return await BleakScanner.find_device_by_address(address, timeout=timeout_s, **scanner_kwargs(link))


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Runner:
    """Keeps one device connected until stop() or cancellation.

    make_session(client) builds the Session for a new connection; after_connect(session) runs once it is
    set up (clock, settings, sync); while_connected(session), if given, runs beside the connection and is
    cancelled when the link drops (an exception from it counts as a drop of its kind). say(text) gets each
    step in words; on_state(text) the link's state in a few words, for a status line.
    """

    def __init__(
        self,
        address: str,
        make_session: Callable[[Any], Session],
        *,
        after_connect: Callable[[Session], Awaitable[None]],
        while_connected: Callable[[Session], Awaitable[None]] | None = None,
        say: Callable[[str], Any] = print,
        on_state: Callable[[str], Any] | None = None,
        link: Any = None,
        policies: dict[str, backoff.Policy] | None = None,
        scan_s: float = SCAN_S,
        away_note_s: float = AWAY_NOTE_S,
    ) -> None:
        self.address = address
        self.make_session = make_session
        self.after_connect = after_connect
        self.while_connected = while_connected
        self.say = say
        self.on_state = on_state
        self.link = link
        self.backoff = backoff.Backoff(policies)
        self.scan_s = scan_s
        self.away_note_s = away_note_s
        self.session: Session | None = None
        self.connects = 0
        self.failures: deque[str] = deque(maxlen=100)  # the latest failures' kinds, oldest first
        self._stop = asyncio.Event()
        self._last_wall = time.time()
        self._last_mono = time.monotonic()

    def stop(self) -> None:
        self._stop.set()

    def _state(self, text: str) -> None:
        if self.on_state is not None:
            self.on_state(text)

    def _woke_from_sleep(self) -> bool:
        wall, mono = time.time(), time.monotonic()
        jumped = (wall - self._last_wall) - (mono - self._last_mono) > SLEEP_JUMP_S
        self._last_wall, self._last_mono = wall, mono
        return jumped

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _find(self) -> Any:
        """Scan until the device advertises (returns its BLEDevice) or stop() (returns None)."""
        away_since: float | None = None
        next_note_s = self.away_note_s
        while not self._stop.is_set():
            device = await find(self.address, self.scan_s, self.link)
            if device is not None:
                if away_since is not None and time.monotonic() - away_since >= 60:
                    self.say(f"the device is back after {_duration(time.monotonic() - away_since)}")
                return device
            now = time.monotonic()
            if self._woke_from_sleep():
                self.say("the computer woke from sleep; looking for the device")
                self.backoff.reset()
                continue
            if away_since is None:
                away_since = now
                self._state("waiting for the device")
                self.say("waiting for the device: it is out of range, or its radio is off until its next sync; "
                         "lumbo connects as soon as it advertises")
            elif now - away_since >= next_note_s:
                self.say(f"the device has not been seen for {_duration(now - away_since)}: is it charged, worn "
                         "and within a few metres?")
                next_note_s *= 2
            await self._wait(self.backoff.next_delay_s(backoff.NOT_FOUND))
        return None

    async def _connected_once(self) -> None:
        from bleak import BleakClient

        self._state("looking for the device")
        device = await self._find()
        if device is None:
            return
        dropped = asyncio.Event()
        client = BleakClient(device, disconnected_callback=lambda _c: dropped.set(), **client_kwargs(self.link))
        self._state("connecting")
        await client.connect()
        try:
            await self._set_up(client, dropped)
        except Exception as exc:
            if dropped.is_set() and not self._stop.is_set():
                # Whatever failed, it failed because the link went: say that, and back off as for a drop.
                raise LinkError("the device disconnected") from exc
            raise
        finally:
            self.session = None
            if client.is_connected:
                with contextlib.suppress(Exception):
                    await client.disconnect()

    async def _set_up(self, client: Any, dropped: asyncio.Event) -> None:
        """Start a session on the new connection and keep it until the link drops or stop()."""
        work: asyncio.Task[None] | None = None
        try:
            session = self.make_session(client)
            self.session = session
            await session.start()
            self.connects += 1
            self.backoff.reset()
            await self.after_connect(session)
            self._state("connected")
            if self.while_connected is not None:
                work = asyncio.ensure_future(self.while_connected(session))
            stop = asyncio.ensure_future(self._stop.wait())
            drop = asyncio.ensure_future(dropped.wait())
            waiting = {stop, drop} | ({work} if work is not None else set())
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            drop.cancel()
            if work is not None and work.done() and not work.cancelled() and work.exception() is not None:
                raise work.exception()  # type: ignore[misc]
            if dropped.is_set() and not self._stop.is_set():
                raise LinkError("the device disconnected")
        finally:
            if work is not None and not work.done():
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await work

    async def run(self) -> None:
        """Connect and stay connected until stop() or cancellation; never returns on a device or radio
        failure."""
        while not self._stop.is_set():
            try:
                await self._connected_once()
            except Exception as exc:  # classify() re-raises anything that is not a link failure
                kind = classify(exc)
                self.failures.append(kind)
                if self._stop.is_set():
                    break
                if self._woke_from_sleep():
                    self.say("the computer woke from sleep; reconnecting now")
                    self.backoff.reset()
                    continue
                delay = self.backoff.next_delay_s(kind)
                self._state(self.backoff.why(kind))
                if kind == backoff.DROPPED:
                    self.say(f"{exc}; looking for it again in {_duration(delay)}")
                else:
                    self.say(f"{self.backoff.why(kind)} ({exc}); trying again in {_duration(delay)}")
                await self._wait(delay)
