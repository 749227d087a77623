"""Finding lumbo devices, pairing (bonding) with one and remembering it; and one-off connections for the
commands that talk to the device briefly (status, calibrate, config, record).

Every lumbo advertises its service UUID from a resolvable private address that changes each time it
advertises. Once bonded, the computer's Bluetooth stack resolves it: the device then appears under its
identity address, which is what lumbo remembers and connects to. Pairing therefore learns the identity
address by looking again, while still connected (the device keeps advertising for a second computer),
for the one lumbo that now shows a stable address it did not show before.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, NamedTuple

from lumbo.link.runner import classify, client_kwargs, find, scanner_kwargs
from lumbo.link.session import LinkError, Session
from lumbo.shared import protocol
from lumbo.store import Store

SCAN_S = 10.0
# When pairing without an address: after the first lumbo is seen, how long to look for others.
SETTLE_S = 1.5
# After pairing, how long to look for the device under its identity address.
IDENTITY_SCAN_S = 10.0


class PairError(LinkError):
    """Pairing did not give a bond the device keeps; the message says what to do."""


class DeviceAway(LinkError):
    """The device did not advertise in time."""


class Found(NamedTuple):
    address: str
    name: str
    rssi: int | None
    device: Any  # bleak's BLEDevice


def looks_resolvable(address: str) -> bool:
    """True for a resolvable private address (the two top bits of its first byte are 01): it changes, so it
    is not worth remembering. Other forms (a platform's device UUID) are taken as stable."""
    parts = address.split(":")
    if len(parts) != 6:
        return False
    try:
        first = int(parts[0], 16)
    except ValueError:
        return False
    return first >> 6 == 0b01


async def scan(link: Any = None, seconds: float = SCAN_S, stop_when: Callable[[list[Found]], bool] | None = None,
               settle_s: float | None = None) -> list[Found]:
    """Every device advertising the lumbo service within `seconds`, or until stop_when(found) is true, or
    (settle_s) that long after the first one was seen."""
    from bleak import BleakScanner

    found: dict[str, Found] = {}
    done = asyncio.Event()

    def seen(device: Any, adv: Any) -> None:
        if protocol.SERVICE_UUID not in adv.service_uuids:
            return
        found[device.address] = Found(device.address, adv.local_name or device.name or "", adv.rssi, device)
        if stop_when is not None and stop_when(list(found.values())):
            done.set()
        elif settle_s is not None and not settle:
            settle.append(asyncio.get_running_loop().call_later(settle_s, done.set))

    settle: list[asyncio.TimerHandle] = []
    async with BleakScanner(detection_callback=seen, service_uuids=[protocol.SERVICE_UUID], **scanner_kwargs(link)):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), seconds)
    for handle in settle:
        handle.cancel()
    return sorted(found.values(), key=lambda f: -(f.rssi if f.rssi is not None else -999))


async def _read_status_or_fail(client: Any) -> None:
    """Read the status: only a bonded, encrypted link may. A PairError says why not."""
    from bleak.exc import BleakError

    await asyncio.sleep(0.2)  # the device drops a link it will not bond with right after encrypting it
    try:
        await client.read_gatt_char(protocol.STATUS_UUID)
    except BleakError as exc:
        raise PairError(
            "the device did not accept the pairing: it takes new computers only while its pairing window is "
            "open (for 5 minutes after its first start, or after a long press of its button, or when a "
            f"computer already paired runs `lumbo pair --allow-another`). Open it and try again. ({exc})"
        ) from None


async def pair(store: Store, link: Any = None, *, address: str | None = None, scan_s: float = SCAN_S,
               identity_scan_s: float = IDENTITY_SCAN_S, say: Callable[[str], Any] = print,
               clock: Callable[[], float] = time.time, utc_offset_min: int | None = None) -> str:
    """Bond with a lumbo and remember it; returns the address lumbo will connect to from now on."""
    from bleak import BleakClient
    from bleak.exc import BleakError

    say("looking for lumbo devices…")
    before = await scan(link, scan_s, stop_when=(lambda f: any(x.address == address for x in f)) if address else None,
                        settle_s=None if address else SETTLE_S)
    candidates = [f for f in before if address is None or f.address == address]
    if not candidates:
        where = f"{address} is not" if address else "no lumbo device is"
        raise DeviceAway(f"{where} advertising nearby: bring the device close, move it so it wakes, and try again")
    known = {d.address for d in store.devices() if d.bonded}
    new = [f for f in candidates if f.address not in known]
    if address is None and len(new) > 1:
        listing = ", ".join(f"{f.address} ({f.rssi} dBm)" for f in new)
        raise PairError(f"{len(new)} lumbo devices are advertising: choose one with --address ({listing})")
    target = (new or candidates)[0]
    say(f"pairing with {target.name or 'lumbo'} at {target.address}…")
    client = BleakClient(target.device, **client_kwargs(link))
    try:
        await client.connect()
    except (BleakError, TimeoutError) as exc:
        raise PairError(f"could not connect to the device to pair ({exc}); bring it closer and try again") from None
    try:
        try:
            await client.pair()
        except BleakError as exc:
            if client.is_connected:
                raise PairError(f"pairing failed ({exc}); try again") from None
        try:
            await _read_status_or_fail(client)
        except PairError:
            if not client.is_connected:
                raise
            # Still connected but refused: this computer holds keys the device has forgotten (it was reset).
            with contextlib.suppress(BleakError):
                await client.unpair()
            raise PairError("this computer held old keys for the device, which the device no longer has (it was "
                            "reset); they are removed now: run `lumbo pair` again") from None
        identity = target.address
        if looks_resolvable(target.address):
            say("paired; learning the device's identity address…")
            others = {f.address for f in before}
            again = await scan(link, identity_scan_s, stop_when=lambda f: any(
                x.address not in others and not looks_resolvable(x.address) for x in f))
            stable = [f.address for f in again if f.address not in others and not looks_resolvable(f.address)]
            if len(stable) != 1:
                raise PairError("paired, but the device's identity address did not show up "
                                f"({len(stable)} candidates); run `lumbo pair` again with only this device nearby")
            identity = stable[0]
        store.remember_device(identity, target.name, bonded=True)
        session = Session(client, store, identity, store.host_id(), say=say, clock=clock)
        await session.start()
        await session.identify()
        await session.set_clock(utc_offset_min)
    finally:
        with contextlib.suppress(BleakError):
            await client.disconnect()
    say(f"paired with {target.name or 'lumbo'}: {identity} (remembered; `lumbo run` connects to it)")
    return identity


@contextlib.asynccontextmanager
async def connected(store: Store, address: str, link: Any = None, *, scan_s: float = SCAN_S,
                    say: Callable[[str], Any] = print, clock: Callable[[], float] = time.time,
                    **session_kwargs: Any) -> AsyncIterator[Session]:
    """A Session with the paired device for a one-off command: found within scan_s, subscribed, its log
    identified. Raises DeviceAway, or a LinkError/BleakError whose message says what went wrong."""
    from bleak import BleakClient

    device = await find(address, scan_s, link)
    if device is None:
        raise DeviceAway(f"the device did not advertise within {scan_s:.0f} s: bring it close and move it so it "
                         "wakes (it keeps its radio off between syncs), then try again")
    client = BleakClient(device, **client_kwargs(link))
    await client.connect()
    try:
        session = Session(client, store, address, store.host_id(), say=say, clock=clock, **session_kwargs)
        try:
            await session.start()
        except Exception as exc:  # classify() re-raises what is not a link failure
            if classify(exc) == "auth":
                raise PairError("the device does not know this computer any more (it was reset or unpaired): "
                                "run `lumbo pair` again") from None
            raise
        await session.identify()
        yield session
        await session.drain()
    finally:
        if client.is_connected:
            with contextlib.suppress(Exception):
                await client.disconnect()
