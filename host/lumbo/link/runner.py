"""`lumbo run`'s connection loop: find the device, connect, set up a session, sync, stay connected for live
status and prompts; on any failure say what happened, wait by its kind (backoff.py) and try again.

Bluetooth goes through bleak's public API only (BleakScanner, BleakClient). `bleak_kwargs` is passed to
both, which is how the emulated radio's backend is chosen in tests and the demo; `scanner_kwargs`, when
given, goes to the scanner instead (bleak's `backend=` names a scanner class there and a client class here,
as `lumbo.ble.Link` gives them).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from lumbo.link import backoff
from lumbo.link.session import LinkError, Session

# A wall-clock jump this much bigger than the monotonic clock's step means the computer slept.
SLEEP_JUMP_S = 30.0
# How long one scan for the device lasts before counting it as not found.
SCAN_S = 10.0


def classify(exc: BaseException) -> str:
    """Which backoff kind an exception from bleak or the session belongs to."""
    from bleak.exc import BleakBluetoothNotAvailableError, BleakDeviceNotFoundError, BleakError

    if isinstance(exc, BleakBluetoothNotAvailableError):
        return backoff.ADAPTER
    if isinstance(exc, BleakDeviceNotFoundError):
        return backoff.NOT_FOUND
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


async def find(address: str, timeout_s: float = SCAN_S, **bleak_kwargs: Any) -> Any:
    """The BLEDevice for address (a lumbo advertising its service), or None."""
    from bleak import BleakScanner

    return await BleakScanner.find_device_by_address(address, timeout=timeout_s, **bleak_kwargs)


class Runner:
    def __init__(
        self,
        address: str,
        make_session: Callable[[Any], Session],
        *,
        after_connect: Callable[[Session], Awaitable[None]],
        say: Callable[[str], Any] = print,
        bleak_kwargs: dict[str, Any] | None = None,
        scanner_kwargs: dict[str, Any] | None = None,
        policies: dict[str, backoff.Policy] | None = None,
        scan_s: float = SCAN_S,
    ) -> None:
        self.address = address
        self.make_session = make_session
        self.after_connect = after_connect
        self.say = say
        self.bleak_kwargs = bleak_kwargs or {}
        self.scanner_kwargs = self.bleak_kwargs if scanner_kwargs is None else scanner_kwargs
        self.backoff = backoff.Backoff(policies)
        self.scan_s = scan_s
        self.session: Session | None = None
        self.connects = 0
        self.failures: list[str] = []
        self._stop = asyncio.Event()
        self._last_wall = time.time()
        self._last_mono = time.monotonic()

    def stop(self) -> None:
        self._stop.set()

    def _woke_from_sleep(self) -> bool:
        wall, mono = time.time(), time.monotonic()
        jumped = (wall - self._last_wall) - (mono - self._last_mono) > SLEEP_JUMP_S
        self._last_wall, self._last_mono = wall, mono
        return jumped

    async def _wait(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            pass

    async def _connected_once(self) -> None:
        from bleak import BleakClient

        self.say("looking for the device…")
        device = await find(self.address, self.scan_s, **self.scanner_kwargs)
        if device is None:
            from bleak.exc import BleakDeviceNotFoundError

            raise BleakDeviceNotFoundError(self.address, "not found while scanning")
        dropped = asyncio.Event()
        client = BleakClient(device, disconnected_callback=lambda _c: dropped.set(), **self.bleak_kwargs)
        self.say("connecting…")
        await client.connect()
        try:
            session = self.make_session(client)
            self.session = session
            await session.start()
            self.connects += 1
            self.backoff.reset()
            await self.after_connect(session)
            self.say("connected; live view on")
            stop = asyncio.ensure_future(self._stop.wait())
            drop = asyncio.ensure_future(dropped.wait())
            await asyncio.wait({stop, drop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            drop.cancel()
            if dropped.is_set() and not self._stop.is_set():
                raise LinkError("the device disconnected")
        finally:
            self.session = None
            if client.is_connected:
                await client.disconnect()

    async def run(self) -> None:
        """Connect and stay connected until stop(); never returns on a device or radio failure."""
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
                self.say(f"{self.backoff.why(kind)} ({exc}); trying again in {delay:.0f} s")
                await self._wait(delay)

