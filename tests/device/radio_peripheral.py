"""A small GATT peripheral on MicroPython's `bluetooth` API, for the emulated radio's tests.

    micropython radio_peripheral.py [--bonds FILE] [--io compare|display] [--mtu N] [--rpa]

It prints one line per IRQ it sees (`irq NAME args...`) so the test can follow it, keeps bond secrets in
FILE (JSON, hex) when given, and serves one service:

    OPEN    read, notify                 no security; reads count up (refreshed in the read-request IRQ)
    SECURE  read, write, notify, both encrypted
    ECHO    write, write without response: commands, below
    LONG    read, write; a 100-byte buffer; while it holds b"deny", reads are refused (ATT error 0x08)
    IND     read, indicate
    AUTH    read, authenticated (MITM-protected pairing needed)

With --rpa it advertises from resolvable private addresses (addr_mode 2). Pairing is Just Works unless
--io asks for MITM protection: `compare` (display and yes/no: accepts the
numeric comparison) or `display` (shows passkey 123456). Writes to ECHO:

    burst:N     N notifications of OPEN, each carrying its index and ticks_us
    big:N       one notification of OPEN with N bytes
    indicate:X  an indication of IND carrying X
    update:X    gatts_write(OPEN, X, send_update=True)
    bye         gap_disconnect of the writer
    pair        gap_pair of the writer
    anything else is notified back on OPEN
"""

import sys

import bluetooth
from micropython import const

try:
    import asyncio
except ImportError:
    import uasyncio as asyncio  # type: ignore[no-redef]

import json
import time

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_GATTS_READ_REQUEST = const(4)
_IRQ_GATTS_INDICATE_DONE = const(20)
_IRQ_MTU_EXCHANGED = const(21)
_IRQ_CONNECTION_UPDATE = const(27)
_IRQ_ENCRYPTION_UPDATE = const(28)
_IRQ_GET_SECRET = const(29)
_IRQ_SET_SECRET = const(30)
_IRQ_PASSKEY_ACTION = const(31)

_FLAG_READ = const(0x0002)
_FLAG_WRITE_NO_RESPONSE = const(0x0004)
_FLAG_WRITE = const(0x0008)
_FLAG_NOTIFY = const(0x0010)
_FLAG_INDICATE = const(0x0020)
_FLAG_READ_ENCRYPTED = const(0x0200)
_FLAG_READ_AUTHENTICATED = const(0x0400)
_FLAG_WRITE_ENCRYPTED = const(0x1000)
_GATTS_ERROR_INSUFFICIENT_AUTHORIZATION = const(0x08)

_ADV_INTERVAL_US = const(20000)
_IO_DISPLAY_ONLY = const(0)
_IO_DISPLAY_YESNO = const(1)
_IO_NO_INPUT_OUTPUT = const(3)
_PASSKEY_ACTION_DISPLAY = const(3)
_PASSKEY_ACTION_NUMERIC_COMPARISON = const(4)
PASSKEY = 123456

SERVICE = bluetooth.UUID("6c756d62-6f00-4000-8000-000000000001")
OPEN = (bluetooth.UUID("6c756d62-6f00-4000-8000-000000000002"), _FLAG_READ | _FLAG_NOTIFY)
SECURE = (bluetooth.UUID("6c756d62-6f00-4000-8000-000000000003"),
          _FLAG_READ | _FLAG_READ_ENCRYPTED | _FLAG_WRITE | _FLAG_WRITE_ENCRYPTED | _FLAG_NOTIFY)
ECHO = (bluetooth.UUID("6c756d62-6f00-4000-8000-000000000004"), _FLAG_WRITE | _FLAG_WRITE_NO_RESPONSE)
LONG = (bluetooth.UUID("6c756d62-6f00-4000-8000-000000000005"), _FLAG_READ | _FLAG_WRITE)
IND = (bluetooth.UUID("6c756d62-6f00-4000-8000-000000000006"), _FLAG_READ | _FLAG_INDICATE)
AUTH = (bluetooth.UUID("6c756d62-6f00-4000-8000-000000000007"), _FLAG_READ | _FLAG_READ_AUTHENTICATED)

NAME = b"lumbo-t"


def advertising_payload():
    flags = bytes((2, 0x01, 0x06))
    uuid = bytes(SERVICE)
    return flags + bytes((len(uuid) + 1, 0x07)) + uuid + bytes((len(NAME) + 1, 0x09)) + NAME


class Secrets:
    """Bond secrets by (sec_type, key), kept in a JSON file so they survive a restart."""

    def __init__(self, path):
        self.path = path
        self.entries = {}
        if path:
            try:
                with open(path) as f:
                    for sec_type, key, value in json.load(f):
                        self.entries[(sec_type, bytes.fromhex(key))] = bytes.fromhex(value)
            except OSError:
                pass

    def save(self):
        if self.path:
            with open(self.path, "w") as f:
                json.dump([[t, k.hex(), v.hex()] for (t, k), v in self.entries.items()], f)

    def get(self, sec_type, index, key):
        if key is None:
            matching = [v for (t, _), v in self.entries.items() if t == sec_type]
            return matching[index] if index < len(matching) else None
        return self.entries.get((sec_type, bytes(key)))

    def set(self, sec_type, key, value):
        if value is None:
            self.entries.pop((sec_type, bytes(key)), None)
        else:
            self.entries[(sec_type, bytes(key))] = bytes(value)
        self.save()
        return True


class Peripheral:
    def __init__(self, ble, secrets, io, mtu):
        self.ble = ble
        self.secrets = secrets
        self.connections = set()
        self.reads = 0
        ble.irq(self.irq)
        ble.config(gap_name=NAME, bond=True, le_secure=True, mitm=io != _IO_NO_INPUT_OUTPUT, io=io, mtu=mtu)
        ((self.open, self.secure, self.echo, self.long, self.ind, self.auth),) = ble.gatts_register_services(
            ((SERVICE, (OPEN, SECURE, ECHO, LONG, IND, AUTH)),))
        ble.gatts_write(self.open, b"count:0")
        ble.gatts_write(self.secure, b"secret")
        ble.gatts_set_buffer(self.long, 100)
        ble.gatts_write(self.auth, b"for your eyes only")
        print("handles", self.open, self.secure, self.echo, self.long, self.ind, self.auth)

    def advertise(self):
        self.ble.gap_advertise(_ADV_INTERVAL_US, adv_data=advertising_payload())

    def irq(self, event, data):
        if event == _IRQ_CENTRAL_CONNECT:
            conn, addr_type, addr = data
            self.connections.add(conn)
            print("irq connect", conn, addr_type, bytes(addr).hex())
        elif event == _IRQ_CENTRAL_DISCONNECT:
            conn, addr_type, addr = data
            self.connections.discard(conn)
            print("irq disconnect", conn)
            self.advertise()
            print("advertising", self.ble.config("mac")[0], self.ble.config("mac")[1].hex())
        elif event == _IRQ_GATTS_READ_REQUEST:
            conn, handle = data
            print("irq read", conn, handle)
            if handle == self.open:
                self.reads += 1
                self.ble.gatts_write(self.open, b"count:%d" % self.reads)
            elif handle == self.long and self.ble.gatts_read(self.long) == b"deny":
                return _GATTS_ERROR_INSUFFICIENT_AUTHORIZATION
        elif event == _IRQ_GATTS_WRITE:
            conn, handle = data
            value = self.ble.gatts_read(handle)
            print("irq write", conn, handle, value.hex())
            if handle == self.echo:
                self.on_echo(conn, value)
        elif event == _IRQ_MTU_EXCHANGED:
            print("irq mtu", data[0], data[1])
        elif event == _IRQ_ENCRYPTION_UPDATE:
            print("irq encryption", *data)
        elif event == _IRQ_CONNECTION_UPDATE:
            print("irq conn_update", *data)
        elif event == _IRQ_GATTS_INDICATE_DONE:
            print("irq indicate_done", *data)
        elif event == _IRQ_PASSKEY_ACTION:
            conn, action, passkey = data
            print("irq passkey", conn, action, passkey)
            if action == _PASSKEY_ACTION_NUMERIC_COMPARISON:
                self.ble.gap_passkey(conn, action, 1)
            elif action == _PASSKEY_ACTION_DISPLAY:
                self.ble.gap_passkey(conn, action, PASSKEY)
        elif event == _IRQ_GET_SECRET:
            sec_type, index, key = data
            value = self.secrets.get(sec_type, index, key)
            print("irq get_secret", sec_type, index, "none" if key is None else bytes(key).hex(),
                  "found" if value else "missing")
            return value
        elif event == _IRQ_SET_SECRET:
            sec_type, key, value = data
            print("irq set_secret", sec_type, bytes(key).hex(), "delete" if value is None else "store")
            return self.secrets.set(sec_type, key, value)
        return None

    def on_echo(self, writer, value):
        if value.startswith(b"burst:"):
            count = int(value[6:])
            for conn in self.connections:
                for i in range(count):
                    self.ble.gatts_notify(conn, self.open, b"%d:%d" % (i, time.ticks_us()))
        elif value.startswith(b"big:"):
            self.ble.gatts_notify(writer, self.open, bytes(i & 0xFF for i in range(int(value[4:]))))
        elif value.startswith(b"indicate:"):
            self.ble.gatts_indicate(writer, self.ind, value[9:])
        elif value.startswith(b"update:"):
            self.ble.gatts_write(self.open, value[7:], True)
        elif value == b"bye":
            print("gap_disconnect", self.ble.gap_disconnect(writer))
        elif value == b"pair":
            self.ble.gap_pair(writer)
        else:
            for conn in self.connections:
                self.ble.gatts_notify(conn, self.open, value)


def option(args, name, default):
    return args[args.index(name) + 1] if name in args else default


async def main(args):
    io = {"none": _IO_NO_INPUT_OUTPUT, "compare": _IO_DISPLAY_YESNO, "display": _IO_DISPLAY_ONLY}
    ble = bluetooth.BLE()
    if "--rpa" in args:
        ble.config(addr_mode=2)
    ble.active(True)
    try:
        ble.gap_advertise(_ADV_INTERVAL_US, adv_data=advertising_payload() + b"\x03\xff\x00\x00")
    except OSError as exc:
        print("advertise_too_long", exc.args[0])
    else:
        print("advertise_too_long accepted")
    peripheral = Peripheral(ble, Secrets(option(args, "--bonds", None)), io[option(args, "--io", "none")],
                            int(option(args, "--mtu", "247")))
    peripheral.advertise()
    print("ready", ble.config("mac")[0], ble.config("mac")[1].hex())
    while True:
        await asyncio.sleep(1)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
