"""MicroPython's `bluetooth` module for a machine without a radio: the documented `bluetooth.BLE` API
(peripheral role and GATT server), served by a real BLE stack (bumble) in a bridge process.

The firmware's BLE code runs unchanged against it, under the MicroPython unix port or CPython. The bridge
address comes from the environment, as `LUMBO_BLE_BRIDGE=127.0.0.1:PORT` (`lumbo.emu.launch` sets it).

What behaves as on an ESP32 running MicroPython's NimBLE binding:

* The attribute values live here, in the firmware's own interpreter: `gatts_read`/`gatts_write` are local,
  a remote read first raises `_IRQ_GATTS_READ_REQUEST` (a non-zero return denies it with that ATT error)
  and then returns the local value, so the handler may refresh it; a remote write is stored (cut to the
  buffer size, 20 bytes unless `gatts_set_buffer` or a longer local write made it larger; appended in
  append mode) before `_IRQ_GATTS_WRITE` runs. A remote client cannot get an ATT error from a write
  handler: the API has no way to say one.
* Security flags (`FLAG_READ_ENCRYPTED`, ...) are enforced by the stack before any IRQ, with NimBLE's
  error codes: an unencrypted link to a peer without a bond gets "insufficient authentication" (0x05),
  one with a bond "insufficient encryption" (0x0F).
* Bond keys go through `_IRQ_SET_SECRET`/`_IRQ_GET_SECRET`, so the firmware keeps them (and they survive
  its reboots as far as its own storage does).
* IRQ handlers run in the firmware's interpreter, one at a time, never nested: from an asyncio task that
  waits on the bridge socket (started by `active(True)`), or during any call into this module.
* Advertising payloads over 31 bytes raise OSError(EIO), as a current ESP32 build does.
* Notifications longer than MTU - 3 are cut to fit, silently, as the stack does on the board.
* Addresses in IRQ data are read-only memoryviews, most significant byte first; copy them with bytes().

Not emulated: the central role (gap_scan, gap_connect, gattc_*), L2CAP channels, and a real PUBLIC address
(the emulated device always has a random static identity address, addr_type 1).
"""

import errno
import select
import socket
import sys

import ble_wire as _w

FLAG_BROADCAST = 0x0001
FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020
FLAG_AUTHENTICATED_SIGNED_WRITE = 0x0040
FLAG_AUX_WRITE = 0x0100
FLAG_READ_ENCRYPTED = 0x0200
FLAG_READ_AUTHENTICATED = 0x0400
FLAG_READ_AUTHORIZED = 0x0800
FLAG_WRITE_ENCRYPTED = 0x1000
FLAG_WRITE_AUTHENTICATED = 0x2000
FLAG_WRITE_AUTHORIZED = 0x4000

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_GATTS_READ_REQUEST = 4
_IRQ_GET_SECRET = 29
_IRQ_SET_SECRET = 30

_DEFAULT_ATTR_LEN = 20  # MicroPython's default buffer for a characteristic or descriptor value
_CALL_TIMEOUT_MS = 5000
_ENV = "LUMBO_BLE_BRIDGE"
_ON_MICROPYTHON = sys.implementation.name == "micropython"


class UUID:
    """A 16-, 32- or 128-bit Bluetooth UUID; stored little-endian, as MicroPython stores it."""

    def __init__(self, value):
        if isinstance(value, UUID):
            self._b = value._b
        elif isinstance(value, int):
            if 0 <= value <= 0xFFFF:
                self._b = bytes((value & 0xFF, value >> 8))
            elif 0 <= value <= 0xFFFFFFFF:
                self._b = bytes((value & 0xFF, (value >> 8) & 0xFF, (value >> 16) & 0xFF, value >> 24))
            else:
                raise ValueError("invalid UUID")
        elif isinstance(value, str):
            digits = value.replace("-", "")
            if len(digits) != 32:
                raise ValueError("invalid UUID")
            self._b = bytes(reversed(bytes(int(digits[i:i + 2], 16) for i in range(0, 32, 2))))
        else:
            data = bytes(value)
            if len(data) not in (2, 4, 16):
                raise ValueError("invalid UUID")
            self._b = data

    # bytes(uuid) gives the little-endian bytes, as the board's UUID (a buffer) does.
    def __iter__(self):
        return iter(self._b)

    def __len__(self):
        return len(self._b)

    def __bytes__(self):
        return self._b

    def __eq__(self, other):
        return isinstance(other, UUID) and self._b == other._b

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self._b)

    def __repr__(self):
        if len(self._b) == 16:
            h = "".join("%02x" % b for b in reversed(self._b))
            return "UUID('%s-%s-%s-%s-%s')" % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
        return "UUID(0x%s)" % "".join("%02x" % b for b in reversed(self._b))

    __str__ = __repr__


def _current_task():
    import asyncio

    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


class _Attr:
    """One local value, as MicroPython's GATT database keeps it."""

    def __init__(self):
        self.value = b""
        self.size = _DEFAULT_ATTR_LEN
        self.append = False


def _print_irq_exception(exc):
    print("Uncaught exception in IRQ callback handler")
    if _ON_MICROPYTHON:
        sys.print_exception(exc)  # type: ignore[attr-defined]
    else:
        import traceback

        traceback.print_exception(exc)


class _BLE:
    def __init__(self):
        self._sock = None
        self._poll = None
        self._rx = bytearray()
        self._events = []
        self._dispatching = False
        self._handler = None
        self._tag = 0
        self._waiting_for = None  # the tag of the call waiting for its result
        self._db = {}
        self._conns = set()
        self._mac = None
        self._config = {"gap_name": b"MPY NIMBLE", "mtu": 256, "addr_mode": 1, "bond": 0, "mitm": 0,
                        "io": 3, "le_secure": 0}
        self._loop_hooked = None

    # Life cycle ----------------------------------------------------------------------------------------

    def active(self, state=None):
        if state is not None:
            if state and self._sock is None:
                self._start()
            elif not state and self._sock is not None:
                self._stop()
        return self._sock is not None

    def _start(self):
        import os

        target = os.getenv(_ENV)
        if not target or ":" not in target:
            raise OSError(errno.ENODEV, "no emulated radio: set %s=127.0.0.1:PORT (lumbo.emu starts one)" % _ENV)
        host, port = target.rsplit(":", 1)
        sock = socket.socket()
        try:
            sock.connect(socket.getaddrinfo(host, int(port))[0][-1])
        except OSError:
            sock.close()
            message = "the emulated radio at %s does not answer: is the bridge running?" % target
            raise OSError(errno.ENODEV, message) from None
        try:
            sock.setsockopt(6, 1, 1)  # TCP_NODELAY: small frames, each waiting on the last
        except OSError:
            pass
        sock.setblocking(False)
        self._sock = sock
        self._poll = select.poll()
        self._poll.register(sock, select.POLLIN)
        self._rx = bytearray()
        self._db = {}
        self._conns = set()
        result = self._call(_w.OP_HELLO, (_w.VERSION,))
        self._mac = (result[1], result[2])
        for name in ("gap_name", "mtu", "addr_mode", "bond", "mitm", "io", "le_secure"):
            self._send_config(name, self._config[name])
        self._hook_event_loop()

    def _stop(self):
        try:
            self._call(_w.OP_STOP, ())
        finally:
            self._drop_socket()

    def _drop_socket(self):
        sock = self._sock
        self._sock = None
        self._conns = set()
        self._events = []
        self._unhook(sock)
        if sock is not None:
            sock.close()

    def _unhook(self, sock):
        hooked = self._loop_hooked
        self._loop_hooked = None
        if hooked is None:
            return
        if _ON_MICROPYTHON:
            if hooked is not _current_task():
                hooked.cancel()
        elif not hooked.is_closed():
            hooked.remove_reader(sock.fileno())

    def _hook_event_loop(self):
        """Deliver IRQs while the firmware waits in asyncio, as the board's stack does: a task reading the
        socket under MicroPython, a reader on the running loop under CPython (joined again if the firmware
        starts another loop)."""
        if self._sock is None:
            return
        import asyncio

        if _ON_MICROPYTHON:
            if self._loop_hooked is None:
                self._loop_hooked = asyncio.create_task(self._pump(self._sock))
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if loop is not self._loop_hooked:
            self._unhook(self._sock)
            loop.add_reader(self._sock.fileno(), self._service)
            self._loop_hooked = loop

    async def _pump(self, sock):
        import asyncio

        reader = asyncio.StreamReader(sock)
        while self._sock is sock:
            data = await reader.read(4096)
            if self._sock is not sock:
                return
            if not data:
                self._lost()
                return
            self._rx.extend(data)
            self._take_frames()
            self._dispatch()

    def _service(self):
        if self._sock is None:
            return
        self._read_available()
        self._dispatch()

    def _lost(self):
        print("bluetooth: the emulated radio went away; BLE is now inactive")
        self._drop_socket()

    def _check(self):
        if self._sock is None:
            raise OSError(errno.ENODEV)
        if not _ON_MICROPYTHON:
            self._hook_event_loop()
        self._service()
        if self._sock is None:
            raise OSError(errno.ENODEV)

    # Socket --------------------------------------------------------------------------------------------

    def _write(self, frame):
        view = memoryview(frame)
        while len(view):
            try:
                sent = self._sock.send(view)
            except OSError as exc:
                if exc.args[0] != errno.EAGAIN:
                    raise
                sent = 0
            if sent:
                view = view[sent:]
            else:
                self._wait_writable()

    def _wait_writable(self):
        poll = select.poll()
        poll.register(self._sock, select.POLLOUT)
        poll.poll(100)

    def _read_available(self):
        while self._sock is not None:
            try:
                data = self._sock.recv(4096)
            except OSError as exc:
                if exc.args[0] == errno.EAGAIN:
                    break
                raise
            if not data:
                self._lost()
                break
            self._rx.extend(data)
            if len(data) < 4096:
                break
        self._take_frames()

    def _take_frames(self):
        for body in _w.split(self._rx):
            kind, tag, code, items = _w.decode(body)
            self._events.append((kind, tag, code, items))

    def _next_tag(self):
        self._tag = (self._tag + 1) & 0xFFFF
        return self._tag

    def _call(self, op, items):
        tag = self._next_tag()
        outer = self._waiting_for
        self._waiting_for = tag
        try:
            self._write(_w.encode(_w.CALL, tag, op, items))
            result = self._wait_result(tag)
        finally:
            self._waiting_for = outer
        self._dispatch()
        if result[0]:
            raise OSError(result[0])
        return result

    def _wait_result(self, tag):
        waited_ms = 0
        while True:
            for i in range(len(self._events)):
                kind, got_tag, _, result = self._events[i]
                if kind == _w.RESULT and got_tag == tag:
                    self._events.pop(i)
                    return result
            if self._sock is None:
                raise OSError(errno.ENODEV)
            if waited_ms >= _CALL_TIMEOUT_MS:
                raise OSError(errno.ETIMEDOUT, "the emulated radio did not answer")
            self._poll.poll(50)
            waited_ms += 50
            self._read_available()

    def _send(self, op, items):
        self._write(_w.encode(_w.SEND, 0, op, items))

    # IRQs ----------------------------------------------------------------------------------------------

    def irq(self, handler):
        self._handler = handler

    def _irq(self, event, data):
        handler = self._handler
        if handler is None:
            return None
        try:
            return handler(event, data)
        except Exception as exc:  # the board prints an IRQ handler's exception and goes on
            _print_irq_exception(exc)
            return None

    def _dispatch(self):
        if self._dispatching:
            return
        self._dispatching = True
        try:
            i = 0
            while i < len(self._events):
                kind, tag, code, items = self._events[i]
                if kind == _w.RESULT and tag == self._waiting_for:
                    i += 1
                    continue
                self._events.pop(i)  # a result nobody waits for any more (its call timed out) is dropped
                if kind == _w.EVENT:
                    self._event(code, items)
                elif kind == _w.ASK:
                    answer = self._ask(code, items)
                    if self._sock is not None:
                        self._write(_w.encode(_w.ANSWER, tag, code, answer))
        finally:
            self._dispatching = False

    def _event(self, code, items):
        if code == _IRQ_CENTRAL_CONNECT:
            self._conns.add(items[0])
            self._irq(code, (items[0], items[1], memoryview(items[2])))
        elif code == _IRQ_CENTRAL_DISCONNECT:
            self._conns.discard(items[0])
            self._irq(code, (items[0], items[1], memoryview(items[2])))
        else:
            self._irq(code, tuple(items))

    def _ask(self, code, items):
        if code == _IRQ_GATTS_WRITE:
            attr = self._db.get(items[1])
            if attr is None:
                return (0x01,)  # invalid handle
            data = items[2]
            if attr.append:
                attr.value = (attr.value + data)[:attr.size]
            else:
                attr.value = data[:attr.size]
            self._irq(code, (items[0], items[1]))
            return (0,)
        if code == _IRQ_GATTS_READ_REQUEST:
            status = self._irq(code, (items[0], items[1]))
            if status:
                return (status,)
            attr = self._db.get(items[1])
            return (0, attr.value if attr is not None else b"")
        if code == _IRQ_GET_SECRET:
            key = items[2]
            value = self._irq(code, (items[0], items[1], None if key is None else memoryview(key)))
            return (None if value is None else bytes(value),)
        if code == _IRQ_SET_SECRET:
            value = items[2]
            ok = self._irq(code, (items[0], memoryview(items[1]), None if value is None else memoryview(value)))
            return (1 if ok else 0,)
        return (self._irq(code, tuple(items)),)

    # Configuration -------------------------------------------------------------------------------------

    def config(self, *args, **kwargs):
        if args:
            if len(args) != 1 or kwargs:
                raise TypeError("config takes one parameter name to read, or keywords to set")
            name = args[0]
            if name == "mac":
                if self._sock is None:
                    raise OSError(errno.ENODEV)
                return (self._mac[0], bytes(self._mac[1]))
            if name in ("gap_name", "mtu", "addr_mode", "bond", "mitm", "io", "le_secure"):
                return self._config[name]
            if name == "rxbuf":
                return 1024
            raise ValueError("unknown config param")
        for name, value in kwargs.items():
            if name == "gap_name":
                value = value.encode() if isinstance(value, str) else bytes(value)
            elif name in ("mtu", "addr_mode", "io"):
                value = int(value)
            elif name in ("bond", "mitm", "le_secure"):
                value = 1 if value else 0
            elif name == "rxbuf":
                continue
            else:
                raise ValueError("unknown config param")
            if name == "mtu" and not 23 <= value <= 517:
                raise ValueError("mtu must be between 23 and 517")
            if name == "addr_mode" and value not in (0, 1, 2, 3):
                raise ValueError("addr_mode must be 0 to 3")
            if name == "io" and value not in (0, 1, 2, 3, 4):
                raise ValueError("io must be 0 to 4")
            self._config[name] = value
            if self._sock is not None:
                self._send_config(name, value)
        return None

    def _send_config(self, name, value):
        result = self._call(_w.OP_CONFIG, (name.encode(), value))
        self._mac = (result[1], result[2])

    # GAP -----------------------------------------------------------------------------------------------

    def gap_advertise(self, interval_us, adv_data=None, *, resp_data=None, connectable=True):
        self._check()
        result = self._call(_w.OP_ADVERTISE, (
            None if interval_us is None else int(interval_us),
            None if adv_data is None else bytes(adv_data),
            None if resp_data is None else bytes(resp_data),
            1 if connectable else 0,
        ))
        self._mac = (result[1], result[2])

    def gap_disconnect(self, conn_handle):
        self._check()
        if conn_handle not in self._conns:
            return False
        self._send(_w.OP_DISCONNECT, (conn_handle,))
        return True

    def gap_pair(self, conn_handle):
        self._check()
        if conn_handle not in self._conns:
            raise OSError(errno.ENOTCONN)
        self._send(_w.OP_PAIR, (conn_handle,))

    def gap_passkey(self, conn_handle, action, passkey):
        self._check()
        if conn_handle not in self._conns:
            raise OSError(errno.ENOTCONN)
        self._send(_w.OP_PASSKEY, (conn_handle, action, passkey))

    # GATT server ---------------------------------------------------------------------------------------

    def gatts_register_services(self, services_definition):
        self._check()
        items = []
        shape = []
        for service in services_definition:
            items += [_w.REG_SERVICE, UUID(service[0])._b, 0]
            count = 0
            for characteristic in service[1]:
                items += [_w.REG_CHARACTERISTIC, UUID(characteristic[0])._b, int(characteristic[1])]
                count += 1
                descriptors = characteristic[2] if len(characteristic) > 2 else ()
                for descriptor in descriptors:
                    items += [_w.REG_DESCRIPTOR, UUID(descriptor[0])._b, int(descriptor[1])]
                    count += 1
            shape.append(count)
        handles = self._call(_w.OP_REGISTER, items)[1:]
        self._db = {}
        for handle in handles:
            self._db[handle] = _Attr()
        result = []
        start = 0
        for count in shape:
            result.append(tuple(handles[start:start + count]))
            start += count
        return tuple(result)

    def _attr(self, value_handle):
        attr = self._db.get(value_handle)
        if attr is None:
            raise OSError(errno.EINVAL)
        return attr

    def gatts_read(self, value_handle):
        self._check()
        attr = self._attr(value_handle)
        value = attr.value
        if attr.append:
            attr.value = b""
        return value

    def gatts_write(self, value_handle, data, send_update=False):
        self._check()
        attr = self._attr(value_handle)
        value = bytes(data)
        attr.value = value
        if len(value) > attr.size:
            attr.size = len(value)
        if send_update:
            self._send(_w.OP_UPDATE, (value_handle, value))

    def gatts_notify(self, conn_handle, value_handle, data=None):
        self._check()
        if conn_handle not in self._conns:
            raise OSError(errno.ENOTCONN)
        value = self._attr(value_handle).value if data is None else bytes(data)
        self._send(_w.OP_NOTIFY, (conn_handle, value_handle, value))

    def gatts_indicate(self, conn_handle, value_handle, data=None):
        self._check()
        if conn_handle not in self._conns:
            raise OSError(errno.ENOTCONN)
        value = self._attr(value_handle).value if data is None else bytes(data)
        self._send(_w.OP_INDICATE, (conn_handle, value_handle, value))

    def gatts_set_buffer(self, value_handle, length, append=False):
        self._check()
        attr = self._attr(value_handle)
        attr.size = int(length)
        attr.value = b""
        attr.append = bool(append)


_ble = None


def BLE():
    """The one BLE object, as on the board."""
    global _ble
    if _ble is None:
        _ble = _BLE()
    return _ble
