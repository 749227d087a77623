"""The BLE stack behind the emulated `bluetooth` module: a bumble Device in the peripheral role that does
what the ESP32's NimBLE host does for MicroPython, on behalf of the firmware that connects to it.

The firmware (under `micropython`, with `host/lumbo/emu/upy/bluetooth.py`) connects to this bridge over a
socket on 127.0.0.1 and speaks `ble_wire`. The bridge

* mirrors the services the firmware registers as a bumble GATT server, with NimBLE's handle layout
  (declaration, value, then the CCCD, then the firmware's descriptors) and NimBLE's security checks;
* sends every remote read and write to the firmware, which holds the values and runs its IRQ handler;
* pairs with LE Secure Connections (as configured by `BLE.config`), and keeps no bond of its own: bond keys
  are stored and fetched through the firmware's `_IRQ_SET_SECRET` / `_IRQ_GET_SECRET`, so bonds persist on
  the device as they do on the board;
* joins the emulated air through `lumbo.emu.radio` (a bumble HCI transport, or an in-process host).

When the firmware's socket closes (it stopped BLE, exited or was killed) the bridge ends its connections as
a power cut would, stops advertising and waits for the next firmware run.

Run it with `python -m lumbo.emu.bridge --radio tcp-client:127.0.0.1:PORT`; it prints
`bridge firmware=PORT address=ADDRESS` when ready.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import logging
import secrets
import socket
import struct
import sys
from collections.abc import Awaitable
from typing import Any

from bumble import att, core, gatt, hci, pairing, smp
from bumble.device import AdvertisingType, Connection, Device, DeviceConfiguration
from bumble.host import Host
from bumble.keys import KeyStore, PairingKeys

from lumbo.emu import process
from lumbo.emu.radio import open_hci_transport
from lumbo.emu.upy import ble_wire as wire

logger = logging.getLogger(__name__)

# The IRQ numbers of MicroPython's bluetooth module (the codes of EVENT and ASK messages).
IRQ_CENTRAL_CONNECT = 1
IRQ_CENTRAL_DISCONNECT = 2
IRQ_GATTS_WRITE = 3
IRQ_GATTS_READ_REQUEST = 4
IRQ_GATTS_INDICATE_DONE = 20
IRQ_MTU_EXCHANGED = 21
IRQ_CONNECTION_UPDATE = 27
IRQ_ENCRYPTION_UPDATE = 28
IRQ_GET_SECRET = 29
IRQ_SET_SECRET = 30
IRQ_PASSKEY_ACTION = 31

# MicroPython's characteristic flags (the low byte is the GATT properties byte).
FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020
FLAG_READ_ENCRYPTED = 0x0200
FLAG_READ_AUTHENTICATED = 0x0400
FLAG_WRITE_ENCRYPTED = 0x1000
FLAG_WRITE_AUTHENTICATED = 0x2000

PASSKEY_ACTION_INPUT = 2
PASSKEY_ACTION_DISPLAY = 3
PASSKEY_ACTION_NUMERIC_COMPARISON = 4

# NimBLE's store object type for a peer's security keys; the firmware keeps the values opaque.
SEC_TYPE_PEER = 2
MAX_BONDS = 32  # how many stored bonds the resolving list reads back at most

ADV_DATA_MAX = 31  # legacy advertising PDU payload
# A firmware reconnecting after switching its radio off waits this long for the bridge to finish with the
# last session (a power cut's disconnects take a few milliseconds).
SESSION_HANDOVER_S = 2.0
DEFAULT_GAP_NAME = "MPY NIMBLE"  # MicroPython's default on NimBLE ports
DEFAULT_MTU = 256  # MicroPython's preferred ATT MTU on NimBLE ports

ASK_TIMEOUT_S = 5.0  # a firmware that does not answer a read or write within this is treated as stuck
PASSKEY_TIMEOUT_S = 30.0  # SMP's own timeout
# NimBLE status codes carried by _IRQ_GATTS_INDICATE_DONE on failure.
BLE_HS_ENOTCONN = 7
BLE_HS_ETIMEOUT = 13
# What the central is told when the firmware vanishes or switches its radio off: what it would see from a
# board that lost power, a supervision timeout.
POWER_OFF_REASON = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR


class FirmwareGone(Exception):
    """The firmware's socket closed, or it did not answer in time."""


class FirmwareChannel:
    """The socket to one run of the firmware's `bluetooth` module."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._tags = 0
        self._asks: dict[int, asyncio.Future[list[Any]]] = {}
        self.closed = False

    def send(self, kind: int, tag: int, code: int, items: tuple[Any, ...] | list[Any]) -> None:
        if not self.closed:
            self.writer.write(wire.encode(kind, tag, code, items))

    def event(self, code: int, *items: Any) -> None:
        self.send(wire.EVENT, 0, code, items)

    async def ask(self, code: int, *items: Any, timeout_s: float = ASK_TIMEOUT_S) -> list[Any]:
        if self.closed:
            raise FirmwareGone("the firmware is not connected")
        self._tags = (self._tags + 1) & 0xFFFF
        tag = self._tags
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._asks[tag] = future
        self.send(wire.ASK, tag, code, items)
        try:
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError as exc:
            raise FirmwareGone(f"the firmware did not answer IRQ {code} within {timeout_s} s") from exc
        finally:
            self._asks.pop(tag, None)

    def on_answer(self, tag: int, items: list[Any]) -> None:
        future = self._asks.get(tag)
        if future is not None and not future.done():
            future.set_result(items)

    def close(self) -> None:
        self.closed = True
        for future in self._asks.values():
            if not future.done():
                future.set_exception(FirmwareGone("the firmware disconnected"))
        self.writer.close()


def _address_key(address: hci.Address) -> bytes:
    """A peer identity as NimBLE keys it: address type, then the six address bytes, least significant
    first."""
    return bytes([address.address_type & 1]) + bytes(address)


class FirmwareKeyStore(KeyStore):
    """Bonds kept by the firmware: every get and update is an `_IRQ_GET_SECRET` / `_IRQ_SET_SECRET`."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def _ask(self, code: int, *items: Any) -> list[Any] | None:
        channel = self.bridge.channel
        if channel is None:
            return None
        try:
            return await channel.ask(code, *items)
        except FirmwareGone:
            return None

    @staticmethod
    def _encode(name: str, keys: PairingKeys) -> bytes:
        return json.dumps({"address": name, "keys": keys.to_dict()}, separators=(",", ":")).encode()

    @staticmethod
    def _decode(value: bytes | None) -> tuple[str, PairingKeys] | None:
        if not value:
            return None
        try:
            record = json.loads(bytes(value))
            return record["address"], PairingKeys.from_dict(record["keys"])
        except (ValueError, KeyError, TypeError):
            logger.warning("the firmware returned a bond record that is not one of ours; ignoring it")
            return None

    async def get(self, name: str) -> PairingKeys | None:
        answer = await self._ask(IRQ_GET_SECRET, SEC_TYPE_PEER, 0, _address_key(hci.Address(name)))
        record = self._decode(answer[0] if answer else None)
        return record[1] if record else None

    async def get_all(self) -> list[tuple[str, PairingKeys]]:
        found = []
        for index in range(MAX_BONDS):
            answer = await self._ask(IRQ_GET_SECRET, SEC_TYPE_PEER, index, None)
            if not answer or answer[0] is None:
                break
            record = self._decode(answer[0])
            if record:
                found.append(record)
        return found

    async def update(self, name: str, keys: PairingKeys) -> None:
        await self._ask(IRQ_SET_SECRET, SEC_TYPE_PEER, _address_key(hci.Address(name)), self._encode(name, keys))

    async def delete(self, name: str) -> None:
        await self._ask(IRQ_SET_SECRET, SEC_TYPE_PEER, _address_key(hci.Address(name)), None)


class BondingAwareManager(smp.Manager):
    """How NimBLE ends a pairing, where bumble differs: keys are stored only when both sides asked for
    bonding, they are stored before the encryption update is reported, and a central that disconnects
    right after pairing does not stop the device from storing the bond."""

    def __init__(self, device: Device, pairing_config_factory: Any, on_paired: Any) -> None:
        super().__init__(device, pairing_config_factory)
        self.on_paired = on_paired  # (connection, keys, bonded) -> None

    async def on_pairing(self, session: smp.Session, identity_address: hci.Address | None,
                         keys: PairingKeys) -> None:
        await asyncio.shield(self._finish(session, identity_address, keys))

    async def _finish(self, session: smp.Session, identity_address: hci.Address | None,
                      keys: PairingKeys) -> None:
        bonded = bool(session.bonding and identity_address is not None and self.device.keystore)
        if bonded:
            assert self.device.keystore is not None
            await self.device.keystore.update(str(identity_address), keys)
        self.on_paired(session.connection, keys, bonded)
        if bonded:
            await self.device.refresh_resolving_list()
        self.device.on_pairing(session.connection, identity_address, keys, session.sc)


class FirmwarePairingDelegate(pairing.PairingDelegate):
    """Passkey actions go to the firmware as `_IRQ_PASSKEY_ACTION`; it answers with `gap_passkey`."""

    def __init__(self, bridge: Bridge, link: Link, io_capability: int) -> None:
        super().__init__(io_capability=pairing.PairingDelegate.IoCapability(io_capability))
        self.bridge = bridge
        self.link = link

    async def _passkey(self, action: int, number: int) -> int | None:
        channel = self.bridge.channel
        if channel is None:
            return None
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.link.passkey_waiters[action] = future
        channel.event(IRQ_PASSKEY_ACTION, self.link.handle, action, number)
        try:
            return await asyncio.wait_for(future, PASSKEY_TIMEOUT_S)
        except TimeoutError:
            return None
        finally:
            self.link.passkey_waiters.pop(action, None)

    async def compare_numbers(self, number: int, digits: int) -> bool:
        return bool(await self._passkey(PASSKEY_ACTION_NUMERIC_COMPARISON, number))

    async def get_number(self) -> int | None:
        return await self._passkey(PASSKEY_ACTION_INPUT, 0)

    async def generate_passkey(self) -> int:
        passkey = await self._passkey(PASSKEY_ACTION_DISPLAY, 0)
        if passkey is None:
            raise core.InvalidStateError("the firmware gave no passkey to display")
        return passkey

    async def display_number(self, number: int, digits: int) -> None:
        return None


class Link:
    """One central connected to the emulated device, and its security state as NimBLE reports it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.handle = connection.handle
        self.encrypted = False
        self.authenticated = False
        self.bonded = False
        self.pairing = False
        self.passkey_waiters: dict[int, asyncio.Future[int]] = {}


class Bridge:
    """The emulated device's BLE host. `attach()` it to the air, then `serve()` the firmware."""

    def __init__(self, address: hci.Address, irk: bytes | None = None) -> None:
        self.address = address
        self.irk = irk or secrets.token_bytes(16)
        self.device: Device | None = None
        self.channel: FirmwareChannel | None = None
        self.links: dict[int, Link] = {}
        self.flags: dict[int, int] = {}  # attribute handle -> MicroPython flags
        self.server: asyncio.Server | None = None
        self.port = 0
        self._base_attributes = 0
        self._adv_data = b""
        self._resp_data = b""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._session_lock = asyncio.Lock()
        self.config: dict[str, Any] = {}
        self._reset_config()

    def _reset_config(self) -> None:
        self.config = {"gap_name": DEFAULT_GAP_NAME.encode(), "mtu": DEFAULT_MTU, "addr_mode": 1, "bond": 0,
                       "mitm": 0, "io": 3, "le_secure": 0}

    # Joining the air -----------------------------------------------------------------------------------

    async def attach(self, host: Host) -> None:
        config = DeviceConfiguration(name=DEFAULT_GAP_NAME, address=self.address, irk=self.irk,
                                     identity_address_type=hci.Address.RANDOM_DEVICE_ADDRESS)
        device = Device(config=config, host=host)
        device.smp_manager = BondingAwareManager(device, self._pairing_config, self._on_paired)
        device.keystore = FirmwareKeyStore(self)
        device.on(device.EVENT_CONNECTION, self._on_connection)
        self.device = device
        await device.power_on()
        self._base_attributes = len(device.gatt_server.attributes)

    async def attach_transport(self, transport_name: str) -> Any:
        transport = await open_hci_transport(transport_name)
        await self.attach(Host(transport.source, transport.sink))
        return transport

    # Serving the firmware ------------------------------------------------------------------------------

    async def listen(self, port: int = 0) -> int:
        self.server = await asyncio.start_server(self._serve_firmware, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        if self.channel is not None:
            self.channel.close()
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("bridge task failed", exc_info=task.exception())

    async def _serve_firmware(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            # A firmware that switches its radio off and on again reconnects at once, while the bridge may
            # still be tidying up after it: wait that long before taking it for a second firmware.
            await asyncio.wait_for(self._session_lock.acquire(), SESSION_HANDOVER_S)
        except TimeoutError:
            logger.warning("a second firmware tried to use this bridge; refusing it")
            writer.close()
            return
        try:
            writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            channel = FirmwareChannel(reader, writer)
            self.channel = channel
            try:
                await self._read_frames(channel)
            finally:
                channel.close()
                self.channel = None
                await self._power_cut()
        finally:
            self._session_lock.release()

    async def _read_frames(self, channel: FirmwareChannel) -> None:
        while True:
            try:
                header = await channel.reader.readexactly(2)
                body = await channel.reader.readexactly(struct.unpack("<H", header)[0])
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            kind, tag, code, items = wire.decode(body)
            if kind == wire.ANSWER:
                channel.on_answer(tag, items)
            elif kind == wire.CALL:
                try:
                    result = await self._call(code, items)
                except OSError as exc:
                    result = (exc.errno or errno.EIO,)
                except Exception:  # a fault of the bridge must not take the firmware's radio down with it
                    logger.exception("the bridge failed on operation %d", code)
                    result = (errno.EIO,)
                channel.send(wire.RESULT, tag, code, result)
            elif kind == wire.SEND:
                self._on_send(code, items)

    async def _power_cut(self) -> None:
        """The firmware is gone: as if the board lost power."""
        device = self.device
        assert device is not None
        with contextlib.suppress(Exception):
            await device.stop_advertising()
        for link in list(self.links.values()):
            with contextlib.suppress(Exception):
                await link.connection.disconnect(POWER_OFF_REASON)
        self.links.clear()
        self._clear_services()
        self._reset_config()
        self._adv_data = self._resp_data = b""

    # Calls from the firmware ---------------------------------------------------------------------------

    def _mac(self) -> tuple[int, int, bytes]:
        assert self.device is not None
        return (0, self.device.random_address.address_type & 1, bytes(reversed(bytes(self.device.random_address))))

    async def _call(self, code: int, items: list[Any]) -> tuple[Any, ...]:
        if code == wire.OP_HELLO:
            if items[0] != wire.VERSION:
                raise OSError(errno.EINVAL, f"this bridge speaks ble_wire version {wire.VERSION}")
            self._reset_config()
            return self._mac()
        if code == wire.OP_CONFIG:
            self._configure(items[0].decode(), items[1])
            return self._mac()
        if code == wire.OP_ADVERTISE:
            await self._advertise(*items)
            return self._mac()
        if code == wire.OP_REGISTER:
            return (0, *self._register(items))
        if code == wire.OP_STOP:
            await self._power_cut()
            return (0,)
        raise OSError(errno.EINVAL, f"unknown operation {code}")

    def _configure(self, name: str, value: Any) -> None:
        device = self.device
        assert device is not None
        if name not in self.config:
            raise OSError(errno.EINVAL, f"unknown config {name}")
        self.config[name] = value
        if name == "gap_name":
            device.name = value.decode("utf-8", "replace")
            gap = device.gatt_server.services[0]
            gap.characteristics[0].value = bytes(value)
        elif name == "mtu":
            device.gatt_server.max_mtu = int(value)
        elif name == "addr_mode":
            self._apply_address_mode()

    def _apply_address_mode(self) -> None:
        device = self.device
        assert device is not None
        mode = self.config["addr_mode"]
        if mode == 2:
            device.random_address = hci.Address.generate_private_address(self.irk)
        elif mode == 3:
            device.random_address = hci.Address.generate_private_address()
        else:
            device.random_address = self.address

    async def _advertise(self, interval_us: int | None, adv_data: bytes | None, resp_data: bytes | None,
                         connectable: int) -> None:
        device = self.device
        assert device is not None
        for payload in (adv_data, resp_data):
            if payload is not None and len(payload) > ADV_DATA_MAX:
                # NimBLE refuses it (invalid HCI command parameters); MicroPython reports that as EIO.
                raise OSError(errno.EIO, f"advertising payload of {len(payload)} bytes; at most 31 fit")
        if adv_data is not None:
            self._adv_data = adv_data
        if resp_data is not None:
            self._resp_data = resp_data
        await device.stop_advertising()
        if interval_us is None:
            return
        interval_ms = (int(interval_us) // 625) * 0.625
        if connectable:
            kind = AdvertisingType.UNDIRECTED_CONNECTABLE_SCANNABLE
        elif self._resp_data:
            kind = AdvertisingType.UNDIRECTED_SCANNABLE
        else:
            kind = AdvertisingType.UNDIRECTED
        if self.config["addr_mode"] >= 2:
            self._apply_address_mode()
        await device.start_advertising(
            advertising_type=kind,
            own_address_type=hci.OwnAddressType.RANDOM,
            advertising_data=self._adv_data,
            scan_response_data=self._resp_data,
            advertising_interval_min=interval_ms,
            advertising_interval_max=interval_ms,
        )

    # The GATT database ---------------------------------------------------------------------------------

    def _clear_services(self) -> None:
        server = self.device.gatt_server if self.device else None
        if server is None:
            return
        del server.attributes[self._base_attributes:]
        server.services = [s for s in server.services if s.handle <= self._base_attributes]
        server.attributes_by_handle.clear()
        self.flags.clear()

    def _register(self, items: list[Any]) -> list[int]:
        device = self.device
        assert device is not None
        if device.is_advertising or self.links:
            raise OSError(errno.EBUSY, "stop advertising and close connections before registering services")
        self._clear_services()
        entries = [(items[i], items[i + 1], items[i + 2]) for i in range(0, len(items), 3)]
        services: list[gatt.Service] = []
        registered: list[tuple[gatt.Characteristic | gatt.Descriptor, int]] = []
        characteristics: list[gatt.Characteristic] = []
        service_uuid: bytes | None = None

        def close_service() -> None:
            if service_uuid is not None:
                services.append(gatt.Service(core.UUID.from_bytes(service_uuid), list(characteristics)))

        for kind, uuid, flags in entries:
            if kind == wire.REG_SERVICE:
                close_service()
                service_uuid, characteristics = uuid, []
            elif kind == wire.REG_CHARACTERISTIC:
                characteristic = gatt.Characteristic(
                    core.UUID.from_bytes(uuid), gatt.Characteristic.Properties(flags & 0xFF),
                    att.Attribute.READABLE | att.Attribute.WRITEABLE, None)
                characteristic.value = self._attribute_value(characteristic)
                if flags & (FLAG_NOTIFY | FLAG_INDICATE):
                    cccd = gatt.Descriptor(gatt.GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR,
                                           att.Attribute.READABLE | att.Attribute.WRITEABLE,
                                           device.gatt_server.make_descriptor_value(characteristic))
                    characteristic.descriptors = [*characteristic.descriptors, cccd]
                characteristics.append(characteristic)
                registered.append((characteristic, flags))
            elif kind == wire.REG_DESCRIPTOR:
                if not characteristics:
                    raise OSError(errno.EINVAL, "a descriptor must follow a characteristic")
                descriptor = gatt.Descriptor(core.UUID.from_bytes(uuid),
                                             att.Attribute.READABLE | att.Attribute.WRITEABLE, None)
                descriptor.value = self._attribute_value(descriptor)
                characteristics[-1].descriptors = [*characteristics[-1].descriptors, descriptor]
                registered.append((descriptor, flags))
        close_service()
        device.gatt_server.add_services(services)
        handles = []
        for attribute, flags in registered:
            self.flags[attribute.handle] = flags
            handles.append(attribute.handle)
        return handles

    def _attribute_value(self, attribute: att.Attribute[Any]) -> att.AttributeValue[bytes]:
        async def read(connection: Connection) -> bytes:
            await self._check_access(connection, attribute.handle, True)
            answer = await self._ask(IRQ_GATTS_READ_REQUEST, connection.handle, attribute.handle)
            if answer[0]:
                raise att.ATT_Error(answer[0], attribute.handle)
            return bytes(answer[1])

        async def write(connection: Connection, value: bytes) -> None:
            await self._check_access(connection, attribute.handle, False)
            answer = await self._ask(IRQ_GATTS_WRITE, connection.handle, attribute.handle, bytes(value))
            if answer[0]:
                raise att.ATT_Error(answer[0], attribute.handle)

        return att.AttributeValue(read=read, write=write)

    async def _ask(self, code: int, *items: Any) -> list[Any]:
        channel = self.channel
        if channel is None:
            raise att.ATT_Error(att.ATT_UNLIKELY_ERROR_ERROR)
        try:
            return await channel.ask(code, *items)
        except FirmwareGone as exc:
            raise att.ATT_Error(att.ATT_UNLIKELY_ERROR_ERROR) from exc

    async def _check_access(self, connection: Connection, handle: int, is_read: bool) -> None:
        """NimBLE's permission check (ble_att_svr_check_perms), before the firmware sees anything."""
        flags = self.flags.get(handle, 0)
        if is_read:
            if not flags & FLAG_READ:
                raise att.ATT_Error(att.ATT_READ_NOT_PERMITTED_ERROR, handle)
            enc, authen = flags & FLAG_READ_ENCRYPTED, flags & FLAG_READ_AUTHENTICATED
        else:
            if not flags & (FLAG_WRITE | FLAG_WRITE_NO_RESPONSE):
                raise att.ATT_Error(att.ATT_WRITE_NOT_PERMITTED_ERROR, handle)
            enc, authen = flags & FLAG_WRITE_ENCRYPTED, flags & FLAG_WRITE_AUTHENTICATED
        if not (enc or authen):
            return
        link = self.links.get(connection.handle)
        encrypted = link.encrypted if link else False
        if not encrypted:
            keys = await self._stored_keys(connection)
            bonded = keys is not None and (keys.ltk or keys.ltk_peripheral) is not None
            raise att.ATT_Error(att.ATT_INSUFFICIENT_ENCRYPTION_ERROR if bonded
                                else att.ATT_INSUFFICIENT_AUTHENTICATION_ERROR, handle)
        if authen and not (link and link.authenticated):
            raise att.ATT_Error(att.ATT_INSUFFICIENT_AUTHENTICATION_ERROR, handle)

    async def _stored_keys(self, connection: Connection) -> PairingKeys | None:
        assert self.device is not None and self.device.keystore is not None
        return await self.device.keystore.get(str(connection.peer_address))

    # Sends from the firmware ---------------------------------------------------------------------------

    def _on_send(self, code: int, items: list[Any]) -> None:
        if code == wire.OP_NOTIFY:
            self._spawn(self._notify(*items))
        elif code == wire.OP_INDICATE:
            self._spawn(self._indicate(*items))
        elif code == wire.OP_UPDATE:
            self._spawn(self._update(*items))
        elif code == wire.OP_DISCONNECT:
            link = self.links.get(items[0])
            if link is not None:
                self._spawn(link.connection.disconnect(hci.HCI_ErrorCode.REMOTE_USER_TERMINATED_CONNECTION_ERROR))
        elif code == wire.OP_PAIR:
            link = self.links.get(items[0])
            if link is not None:
                self._request_security(link)
        elif code == wire.OP_PASSKEY:
            link = self.links.get(items[0])
            waiter = link.passkey_waiters.get(items[1]) if link else None
            if waiter is not None and not waiter.done():
                waiter.set_result(items[2])
        else:
            logger.warning("unknown operation %d from the firmware", code)

    def _request_security(self, link: Link) -> None:
        """gap_pair on a peripheral: a Security Request, as NimBLE sends; the central pairs or encrypts."""
        assert self.device is not None
        self.device.request_pairing(link.connection)

    async def _notify(self, conn_handle: int, value_handle: int, data: bytes) -> None:
        link = self.links.get(conn_handle)
        attribute = self.device.gatt_server.get_attribute(value_handle) if self.device else None
        if link is None or attribute is None:
            return
        await self.device.notify_subscriber(link.connection, attribute, data, force=True)  # type: ignore[union-attr]

    async def _indicate(self, conn_handle: int, value_handle: int, data: bytes) -> None:
        link = self.links.get(conn_handle)
        attribute = self.device.gatt_server.get_attribute(value_handle) if self.device else None
        if link is None or attribute is None:
            if self.channel is not None:
                self.channel.event(IRQ_GATTS_INDICATE_DONE, conn_handle, value_handle, BLE_HS_ENOTCONN)
            return
        status = 0
        try:
            await self.device.indicate_subscriber(link.connection, attribute, data, force=True)  # type: ignore[union-attr]
        except TimeoutError:
            status = BLE_HS_ETIMEOUT
        except (core.BaseBumbleError, asyncio.CancelledError):
            status = BLE_HS_ENOTCONN
        if self.channel is not None:
            self.channel.event(IRQ_GATTS_INDICATE_DONE, conn_handle, value_handle, status)

    async def _update(self, value_handle: int, data: bytes) -> None:
        """A local write with send_update: notify or indicate each subscribed central, as its CCCD says."""
        device = self.device
        assert device is not None
        for link in list(self.links.values()):
            cccd = device.gatt_server.subscribers.get(link.connection, {}).get(value_handle, b"\0\0")
            if cccd[0] & 0x01:
                await self._notify(link.handle, value_handle, data)
            elif cccd[0] & 0x02:
                await self._indicate(link.handle, value_handle, data)

    # Connections ---------------------------------------------------------------------------------------

    def _pairing_config(self, connection: Connection) -> pairing.PairingConfig:
        link = self.links.get(connection.handle) or Link(connection)
        return pairing.PairingConfig(
            sc=bool(self.config["le_secure"]),
            mitm=bool(self.config["mitm"]),
            bonding=bool(self.config["bond"]),
            delegate=FirmwarePairingDelegate(self, link, self.config["io"]),
            identity_address_type=pairing.PairingConfig.AddressType.RANDOM,
        )

    def _on_connection(self, connection: Connection) -> None:
        if connection.role != hci.Role.PERIPHERAL or self.channel is None:
            if self.channel is None:
                self._spawn(connection.disconnect())
            return
        link = Link(connection)
        self.links[connection.handle] = link
        peer = connection.peer_address
        self.channel.event(IRQ_CENTRAL_CONNECT, connection.handle, peer.address_type & 1, bytes(reversed(bytes(peer))))

        connection.on(connection.EVENT_DISCONNECTION, lambda reason: self._on_disconnection(link))
        connection.on(connection.EVENT_CONNECTION_ATT_MTU_UPDATE, lambda: self._event(
            IRQ_MTU_EXCHANGED, link.handle, connection.att_mtu))
        connection.on(connection.EVENT_CONNECTION_PARAMETERS_UPDATE, lambda: self._on_parameters(link))
        connection.on(connection.EVENT_PAIRING_START, lambda: setattr(link, "pairing", True))
        connection.on(connection.EVENT_PAIRING_FAILURE, lambda reason: self._on_pairing_failure(link))
        connection.on(connection.EVENT_CONNECTION_ENCRYPTION_CHANGE, lambda: self._on_encryption(link))

    def _event(self, code: int, *items: Any) -> None:
        if self.channel is not None:
            self.channel.event(code, *items)

    def _on_disconnection(self, link: Link) -> None:
        if self.links.pop(link.handle, None) is None:
            return
        for waiter in link.passkey_waiters.values():
            if not waiter.done():
                waiter.cancel()
        peer = link.connection.peer_address
        self._event(IRQ_CENTRAL_DISCONNECT, link.handle, peer.address_type & 1, bytes(reversed(bytes(peer))))

    def _on_parameters(self, link: Link) -> None:
        parameters = link.connection.parameters
        self._event(IRQ_CONNECTION_UPDATE, link.handle, round(parameters.connection_interval / 1.25),
                    parameters.peripheral_latency, round(parameters.supervision_timeout / 10), 0)

    def _report_security(self, link: Link) -> None:
        connection = link.connection
        self._event(IRQ_ENCRYPTION_UPDATE, link.handle, int(link.encrypted), int(link.authenticated),
                    int(link.bonded), (connection.encryption_key_size or 16) if link.encrypted else 0)

    def _on_encryption(self, link: Link) -> None:
        link.encrypted = bool(link.connection.is_encrypted)
        if not link.pairing:  # after a pairing, it is reported once the pairing has finished, as NimBLE does
            self._spawn(self._report_reencryption(link))

    async def _report_reencryption(self, link: Link) -> None:
        """Encrypted with a stored key: the peer is bonded, and as authenticated as that key is."""
        keys = await self._stored_keys(link.connection) if link.encrypted else None
        ltk = (keys.ltk or keys.ltk_peripheral) if keys else None
        link.authenticated = bool(ltk and ltk.authenticated)
        link.bonded = ltk is not None
        self._report_security(link)

    def _on_paired(self, connection: Connection, keys: PairingKeys, bonded: bool) -> None:
        link = self.links.get(connection.handle)
        if link is None:
            return
        link.pairing = False
        ltk = keys.ltk or keys.ltk_peripheral
        link.encrypted = bool(connection.is_encrypted)
        link.authenticated = bool(ltk and ltk.authenticated)
        link.bonded = bonded
        self._report_security(link)

    def _on_pairing_failure(self, link: Link) -> None:
        link.pairing = False
        self._report_security(link)


async def _serve(args: argparse.Namespace) -> None:
    address = hci.Address(args.address) if args.address else hci.Address.generate_static_address()
    bridge = Bridge(address, bytes.fromhex(args.irk) if args.irk else None)
    transport = await bridge.attach_transport(args.radio)
    port = await bridge.listen(args.port)
    print(f"bridge firmware={port} address={address.to_string(False)}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await bridge.close()
        await transport.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lumbo.emu.bridge", description=__doc__.split("\n\n")[0])
    parser.add_argument("--radio", required=True, help="bumble transport to the radio, e.g. tcp-client:127.0.0.1:PORT")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 for the firmware (0: any)")
    parser.add_argument("--address", help="the device's static random identity address (default: a new one)")
    parser.add_argument("--irk", help="the device's identity resolving key, 32 hex digits (default: a new one)")
    parser.add_argument(process.LIFELINE_FLAG, action="store_true", help="exit when stdin closes")
    parser.add_argument("--log-level", default="WARNING", help="logging level for the stack (e.g. DEBUG)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(name)s: %(levelname)s: %(message)s")
    return process.run_until_stopped(_serve(args), lifeline=args.lifeline_stdin)


if __name__ == "__main__":
    sys.exit(main())
