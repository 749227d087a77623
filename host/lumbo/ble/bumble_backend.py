"""A bleak backend on bumble: lets the host app talk to the emulated device (or to any bumble controller)
through bleak's public API, `BleakScanner(..., backend=...)` and `BleakClient(..., backend=...)`.

One `Central` (a bumble Device in the central role, with its own bond store) serves every scanner and
client made from the classes that `backend_classes(central)` returns. Differences from the platform
backends, on purpose:

* Pairing is explicit: `BleakClient(..., pair=True)` or `await client.pair()`. A read that fails with
  "insufficient authentication" raises `AttError` and does not start pairing by itself.
* A peer with stored keys is encrypted with them right after connecting, as an operating system does for
  a bonded device; if the peer has forgotten the bond, the link stays unencrypted and reads fail with
  `AttError` until the app pairs again.
* A resolvable private address of a bonded device is reported as its identity address.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import uuid as uuid_module
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bumble import att, core, hci, pairing
from bumble.device import Advertisement, Connection, Device, DeviceConfiguration, Peer
from bumble.gatt import Characteristic
from bumble.gatt_client import CharacteristicProxy
from bumble.host import Host
from bumble.keys import JsonKeyStore, KeyStore, MemoryKeyStore

from lumbo.emu.radio import open_hci_transport

# The ATT MTU the client asks for: what a phone or laptop asks of the ESP32 (NimBLE accepts up to 256).
REQUESTED_MTU = 247

_PROPERTY_NAMES = {
    Characteristic.Properties.BROADCAST: "broadcast",
    Characteristic.Properties.READ: "read",
    Characteristic.Properties.WRITE_WITHOUT_RESPONSE: "write-without-response",
    Characteristic.Properties.WRITE: "write",
    Characteristic.Properties.NOTIFY: "notify",
    Characteristic.Properties.INDICATE: "indicate",
    Characteristic.Properties.AUTHENTICATED_SIGNED_WRITES: "authenticated-signed-writes",
    Characteristic.Properties.EXTENDED_PROPERTIES: "extended-properties",
}


class AttError(BleakError):
    """The peer answered with an ATT error; `att_error` is its code (5: insufficient authentication,
    15: insufficient encryption, 14 and up: the application's own)."""

    def __init__(self, what: str, att_error: int) -> None:
        name = att.ErrorCode(att_error).name if att_error in att.ErrorCode._value2member_map_ else "application"
        super().__init__(f"{what} failed with ATT error 0x{att_error:02X} ({name})")
        self.att_error = att_error


def uuid_str(uuid: core.UUID) -> str:
    """bleak's form of a UUID: 128-bit, lower case, with dashes."""
    return str(uuid_module.UUID(bytes=bytes(reversed(uuid.to_bytes(force_128=True)))))


def advertisement_data(advertisement: Advertisement) -> tuple[str | None, AdvertisementData]:
    """bleak's AdvertisementData from a bumble advertisement (AD structures read raw, per the spec)."""
    name: str | None = None
    uuids: list[str] = []
    service_data: dict[str, bytes] = {}
    manufacturer: dict[int, bytes] = {}
    tx_power: int | None = None
    for ad_type, value in advertisement.data.ad_structures:
        if ad_type in (0x08, 0x09):
            if name is None or ad_type == 0x09:
                name = value.decode("utf-8", "replace")
        elif ad_type in (0x02, 0x03, 0x04, 0x05, 0x06, 0x07):
            size = {0x02: 2, 0x03: 2, 0x04: 4, 0x05: 4, 0x06: 16, 0x07: 16}[ad_type]
            uuids += [uuid_str(core.UUID.from_bytes(value[i:i + size])) for i in range(0, len(value), size)]
        elif ad_type in (0x16, 0x20, 0x21):
            size = {0x16: 2, 0x20: 4, 0x21: 16}[ad_type]
            service_data[uuid_str(core.UUID.from_bytes(value[:size]))] = bytes(value[size:])
        elif ad_type == 0xFF and len(value) >= 2:
            manufacturer[value[0] | value[1] << 8] = bytes(value[2:])
        elif ad_type == 0x0A and value:
            tx_power = value[0] - 256 if value[0] > 127 else value[0]
    return name, AdvertisementData(
        local_name=name,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=uuids,
        tx_power=tx_power,
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
    )


class Central:
    """The host's side of the emulated air: a bumble Device in the central role, started on first use.

    `transport` is a bumble transport name (`tcp-client:127.0.0.1:PORT` for a radio process), or `host` a
    bumble Host already wired to a controller (from `InProcessRadio.attach()`). Bonds are kept in
    `keystore_path` (JSON), or in memory without one. With a keystore and no `address`, the central's
    identity (address and IRK) is kept beside it, so bonds stay valid across runs."""

    def __init__(self, transport: str | None = None, host: Host | Callable[[], Host] | None = None,
                 address: str | None = None, keystore_path: Path | str | None = None,
                 delegate: pairing.PairingDelegate | None = None) -> None:
        if (transport is None) == (host is None):
            raise ValueError("give a Central either a transport name or a bumble Host")
        self.transport_name = transport
        self.host = host
        self.keystore_path = Path(keystore_path) if keystore_path is not None else None
        self.address, self.irk = self._identity(address)
        self.delegate = delegate or pairing.PairingDelegate(
            io_capability=pairing.PairingDelegate.IoCapability.DISPLAY_OUTPUT_AND_KEYBOARD_INPUT)
        self._device: Device | None = None
        self._transport: Any = None
        self._lock = asyncio.Lock()
        self.scanners = 0

    def _identity(self, address: str | None) -> tuple[hci.Address, bytes]:
        """The central's identity (static random address and IRK): given, kept beside the keystore, or new."""
        sidecar = self.keystore_path.with_suffix(".identity.json") if self.keystore_path else None
        if address is None and sidecar is not None and sidecar.exists():
            stored = json.loads(sidecar.read_text())
            return hci.Address(stored["address"]), bytes.fromhex(stored["irk"])
        identity = (hci.Address(address) if address else hci.Address.generate_static_address(),
                    secrets.token_bytes(16))
        if address is None and sidecar is not None:
            sidecar.parent.mkdir(parents=True, exist_ok=True)
            sidecar.write_text(json.dumps({"address": identity[0].to_string(False), "irk": identity[1].hex()}))
        return identity

    async def device(self) -> Device:
        async with self._lock:
            if self._device is None:
                if self.transport_name is not None:
                    self._transport = await open_hci_transport(self.transport_name)
                    host = Host(self._transport.source, self._transport.sink)
                else:
                    assert self.host is not None
                    host = self.host() if callable(self.host) else self.host
                config = DeviceConfiguration(name="lumbo host", address=self.address, irk=self.irk,
                                             identity_address_type=hci.Address.RANDOM_DEVICE_ADDRESS)
                device = Device(config=config, host=host)
                keystore: KeyStore = (JsonKeyStore(str(self.address), str(self.keystore_path))
                                      if self.keystore_path else MemoryKeyStore())
                device.keystore = keystore
                device.pairing_config_factory = lambda _connection: pairing.PairingConfig(
                    sc=True, mitm=True, bonding=True, delegate=self.delegate,
                    identity_address_type=pairing.PairingConfig.AddressType.RANDOM)
                await device.power_on()
                self._device = device
            return self._device

    def resolve(self, address: hci.Address) -> hci.Address:
        """The identity address behind a resolvable private address we hold an IRK for, else the address."""
        resolver = self._device.address_resolver if self._device else None
        if resolver is not None and address.is_resolvable:
            return resolver.resolve(address) or address
        return address

    async def close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            for connection in list(device.connections.values()):
                with contextlib.suppress(Exception):
                    await connection.disconnect()
            with contextlib.suppress(Exception):
                await device.power_off()
        if self._transport is not None:
            await self._transport.close()
            self._transport = None


class BumbleScanner(BaseBleakScanner):
    """bleak scanner backend; `backend_classes()` makes a subclass bound to one Central."""

    central: Central

    def __init__(self, detection_callback: AdvertisementDataCallback | None, service_uuids: list[str] | None,
                 scanning_mode: str = "active", **kwargs: Any) -> None:
        super().__init__(detection_callback, service_uuids)
        self._active = scanning_mode != "passive"
        self._device: Device | None = None

    async def start(self) -> None:
        self.seen_devices.clear()
        device = await self.central.device()
        device.on(device.EVENT_ADVERTISEMENT, self._on_advertisement)
        self._device = device
        if not device.is_scanning:
            await device.start_scanning(active=self._active, filter_duplicates=False)
        self.central.scanners += 1

    async def stop(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        device.remove_listener(device.EVENT_ADVERTISEMENT, self._on_advertisement)
        self.central.scanners -= 1
        if self.central.scanners == 0 and device.is_scanning:
            await device.stop_scanning()

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        name, data = advertisement_data(advertisement)
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = self.central.resolve(advertisement.address)
        key = address.to_string(False)
        seen = self.seen_devices.get(key)
        if name is None and seen is not None:
            name = seen[0].name
        bled = self.create_or_update_device(key, key, name, address, data)
        self.call_detection_callbacks(bled, data)


class BumbleClient(BaseBleakClient):
    """bleak client backend; `backend_classes()` makes a subclass bound to one Central."""

    central: Central

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=kwargs.get("disconnected_callback"),
                         timeout=kwargs.get("timeout", 30.0))
        details = address_or_ble_device.details if isinstance(address_or_ble_device, BLEDevice) else None
        self._peer_address = details if isinstance(details, hci.Address) else self._parse(self.address)
        self._name = address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._disconnecting = False
        self._disconnected = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    @staticmethod
    def _parse(address: str) -> hci.Address:
        if address.upper().endswith("/P"):
            return hci.Address(address[:-2], hci.Address.PUBLIC_DEVICE_ADDRESS)
        return hci.Address(address, hci.Address.RANDOM_DEVICE_ADDRESS)

    @property
    def name(self) -> str:
        return self._name or self.address

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection else att.ATT_DEFAULT_MTU

    @property
    def is_connected(self) -> bool:
        return self._connection is not None and not self._disconnected.is_set()

    def _require(self) -> tuple[Connection, Peer]:
        if self._connection is None or self._peer is None or self._disconnected.is_set():
            raise BleakError("Not connected")
        return self._connection, self._peer

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        device = await self.central.device()
        timeout_s = kwargs.get("timeout", self._timeout)
        try:
            connection = await device.connect(self._peer_address, transport=core.PhysicalTransport.LE,
                                              timeout=timeout_s)
        except (TimeoutError, core.TimeoutError) as exc:
            raise TimeoutError(f"no device at {self.address} answered within {timeout_s} s") from exc
        except core.ConnectionError as exc:
            raise BleakError(f"could not connect to {self.address}: {exc}") from exc
        self._connection = connection
        self._disconnected.clear()
        self._disconnecting = False
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        connection.on(connection.EVENT_SECURITY_REQUEST, lambda _auth_req: self._spawn(self._secure(connection)))
        try:
            keys = await device.keystore.get(str(connection.peer_address)) if device.keystore else None
            if keys is not None:
                with contextlib.suppress(hci.HCI_Error, core.BaseBumbleError):
                    await device.encrypt(connection)
            elif pair:
                await self.pair()
            self._peer = Peer(connection)
            await self._unless_lost("exchanging the MTU", self._peer.request_mtu(REQUESTED_MTU))
            self.services = await self._unless_lost("discovering services", self._discover(self._peer))
        except BaseException:
            with contextlib.suppress(Exception):
                await self.disconnect()
            raise

    async def _unless_lost(self, what: str, operation: Any) -> Any:
        """Await operation, or raise BleakError as soon as the link is lost (a request sent just as the
        peer disconnects would otherwise wait for the full GATT timeout)."""
        work = asyncio.ensure_future(operation)
        lost = asyncio.ensure_future(self._disconnected.wait())
        try:
            done, _ = await asyncio.wait({work, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
        if work in done:
            return work.result()
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await work
        raise BleakError(f"{what} failed: the link to {self.address} was lost")

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _secure(self, connection: Connection) -> None:
        """The peripheral asked for security: encrypt with a stored key, or pair, as an OS does."""
        device = await self.central.device()
        try:
            if device.keystore is not None and await device.keystore.get(str(connection.peer_address)):
                await device.encrypt(connection)
            else:
                await connection.pair()
        except (hci.HCI_Error, core.BaseBumbleError, core.ProtocolError):
            return

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service in await peer.discover_services():
            bleak_service = BleakGATTService(service, service.handle, uuid_str(service.uuid))
            collection.add_service(bleak_service)
            for characteristic in await peer.discover_characteristics(service=service):
                properties = [name for bit, name in _PROPERTY_NAMES.items() if characteristic.properties & bit]
                bleak_characteristic = BleakGATTCharacteristic(
                    characteristic, characteristic.handle, uuid_str(characteristic.uuid), properties,  # type: ignore[arg-type]
                    lambda: self.mtu_size - 3, bleak_service)
                collection.add_characteristic(bleak_characteristic)
                for descriptor in await peer.discover_descriptors(characteristic):
                    collection.add_descriptor(BleakGATTDescriptor(
                        descriptor, descriptor.handle, uuid_str(descriptor.type), bleak_characteristic))
        return collection

    def _on_disconnection(self, reason: int) -> None:
        self._disconnected.set()
        if not self._disconnecting and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None or self._disconnected.is_set():
            return
        self._disconnecting = True
        with contextlib.suppress(hci.HCI_Error, core.BaseBumbleError):
            await connection.disconnect()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._disconnected.wait(), 5.0)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        if self._connection is None or self._disconnected.is_set():
            raise BleakError("Not connected")
        try:
            await self._connection.pair()
        except core.ProtocolError as exc:
            raise BleakError(f"pairing with {self.address} failed: {exc}") from exc

    async def unpair(self) -> None:
        device = await self.central.device()
        if device.keystore is not None:
            with contextlib.suppress(KeyError):
                await device.keystore.delete(str(self._connection.peer_address if self._connection
                                                 else self._peer_address))
        await self.disconnect()

    async def _gatt(self, what: str, operation: Any) -> Any:
        """Run one GATT operation; ATT errors become AttError, a link lost under it a BleakError."""
        try:
            return await self._unless_lost(what, operation)
        except att.ATT_Error as exc:
            raise AttError(what, exc.error_code) from exc
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            raise BleakError(f"{what} failed: the link to {self.address} was lost") from None

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False,
                             **kwargs: Any) -> bytearray:
        _, peer = self._require()
        return bytearray(await self._gatt(f"reading {characteristic.uuid}", peer.read_value(characteristic.handle)))

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False,
                                   **kwargs: Any) -> bytearray:
        _, peer = self._require()
        return bytearray(await self._gatt(f"reading descriptor {descriptor.uuid}", peer.read_value(descriptor.handle)))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any, response: bool) -> None:
        _, peer = self._require()
        await self._gatt(f"writing {characteristic.uuid}",
                         peer.write_value(characteristic.handle, bytes(data), with_response=response))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        _, peer = self._require()
        await self._gatt(f"writing descriptor {descriptor.uuid}",
                         peer.write_value(descriptor.handle, bytes(data), with_response=True))

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback,
                           **kwargs: Any) -> None:
        _, peer = self._require()
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        await self._gatt(f"subscribing to {characteristic.uuid}",
                         peer.subscribe(proxy, lambda value: callback(bytearray(value)), prefer_notify=True))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        _, peer = self._require()
        await self._gatt(f"unsubscribing from {characteristic.uuid}", peer.unsubscribe(characteristic.obj))


def backend_classes(central: Central) -> tuple[type[BumbleScanner], type[BumbleClient]]:
    """Scanner and client backend classes bound to `central`, for `backend=` in BleakScanner/BleakClient."""
    scanner = type("BumbleScanner", (BumbleScanner,), {"central": central})
    client = type("BumbleClient", (BumbleClient,), {"central": central})
    return scanner, client
