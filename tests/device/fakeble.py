"""A model of MicroPython's `bluetooth.BLE` object and the NimBLE stack behind it, for unit tests of the GATT
service under both interpreters. The end-to-end tests use the emulated radio instead.

What it models, as NimBLE in MicroPython does it:
- gatts_register_services assigns handles in order (service declaration, then per characteristic a
  declaration, the value, and a CCCD if it notifies) and returns the value handles per service.
- A client write lands in the value buffer, truncated to its size (20 bytes until gatts_set_buffer), then
  _IRQ_GATTS_WRITE is raised; a characteristic flagged *_ENCRYPTED refuses unencrypted links with ATT
  error 0x0F before the application hears of it. A read raises _IRQ_GATTS_READ_REQUEST first; a non-zero
  return is the ATT error.
- Pairing asks the application to store the bond secrets (_IRQ_SET_SECRET) when bonding is configured;
  a refused secret leaves the link encrypted but not bonded. Reconnecting with a bond looks the secret up
  (_IRQ_GET_SECRET).
- gatts_notify raises OSError(ENOMEM) when the stack's buffers are full (`room` notifications left), and
  OSError(ENOTCONN) for a handle that is not connected. Disconnections requested by the application are
  delivered as _IRQ_CENTRAL_DISCONNECT on the next pump(), as the stack does asynchronously.

The central side is driven by the test: connect, pair, read, write, exchange_mtu.
"""

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_GATTS_READ_REQUEST = 4
_IRQ_MTU_EXCHANGED = 21
_IRQ_ENCRYPTION_UPDATE = 28
_IRQ_GET_SECRET = 29
_IRQ_SET_SECRET = 30

FLAG_READ = 0x0002
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020
FLAG_READ_ENCRYPTED = 0x0200
FLAG_WRITE_ENCRYPTED = 0x1000

ATT_INSUFFICIENT_ENCRYPTION = 0x0F
ENOMEM = 12
ENOTCONN = 107
SEC_OUR = 1
SEC_PEER = 2


class UUID:
    def __init__(self, value):
        self.value = value.lower() if isinstance(value, str) else value

    def __eq__(self, other):
        return isinstance(other, UUID) and self.value == other.value

    def __hash__(self):
        return hash(self.value)

    def __repr__(self):
        return "UUID(%r)" % (self.value,)


class AttError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


class FakeBLE:
    def __init__(self):
        self.is_active = False
        self.settings = {"mtu": 23, "bond": False, "le_secure": False, "mitm": False, "io": None,
                         "addr_mode": 0, "gap_name": ""}
        self.handler = None
        self.values = {}
        self.sizes = {}
        self.flags = {}
        self.uuids = {}
        self.adv = None
        self.adv_interval_us = None
        self.notified = []  # (conn, handle, bytes)
        self.room = -1  # notifications the stack can still take; -1: unlimited
        self.conns = {}  # handle -> {"addr", "encrypted", "bonded", "mtu"}
        self.pending = []
        self.passkeys = []
        self._next_conn = 64

    # -- the MicroPython API ------------------------------------------------------------------------------

    def active(self, value=None):
        if value is not None:
            self.is_active = bool(value)
        return self.is_active

    def config(self, *names, **values):
        if names:
            return self.settings[names[0]]
        for key in values:
            if key not in self.settings:
                raise ValueError("unknown config param")
            self.settings[key] = values[key]
        return None

    def irq(self, handler):
        self.handler = handler

    def gatts_register_services(self, services):
        if self.adv is not None:
            raise OSError(16)  # EBUSY: advertising must be stopped first
        handle = 0
        out = []
        for _service_uuid, chars in services:
            handle += 1  # service declaration
            values = []
            for char in chars:
                uuid, flags = char[0], char[1]
                handle += 2  # declaration, value
                self.values[handle] = bytearray()
                self.sizes[handle] = 20
                self.flags[handle] = flags
                self.uuids[handle] = uuid
                values.append(handle)
                if flags & (FLAG_NOTIFY | FLAG_INDICATE):
                    handle += 1  # CCCD
            out.append(tuple(values))
        return tuple(out)

    def gatts_read(self, handle):
        return bytes(self.values[handle])

    def gatts_write(self, handle, data, send_update=False):
        self.values[handle] = bytearray(data)
        if len(data) > self.sizes[handle]:
            self.sizes[handle] = len(data)

    def gatts_set_buffer(self, handle, size, append=False):
        self.sizes[handle] = size

    def gatts_notify(self, conn, handle, data=None):
        if conn not in self.conns:
            raise OSError(ENOTCONN)
        if self.room == 0:
            raise OSError(ENOMEM)
        if self.room > 0:
            self.room -= 1
        payload = bytes(self.values[handle] if data is None else data)
        limit = self.conns[conn]["mtu"] - 3
        self.notified.append((conn, handle, payload[:limit]))
        if len(payload) > limit:
            raise AssertionError("notification of %d bytes on an MTU of %d would be cut" % (
                len(payload), self.conns[conn]["mtu"]))

    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        if interval_us is None:
            self.adv = None
            return
        if adv_data is not None:
            if len(adv_data) > 31:
                raise ValueError("advertising data is %d bytes" % len(adv_data))
            self.adv = bytes(adv_data)
        self.adv_interval_us = interval_us

    def gap_disconnect(self, conn):
        if conn not in self.conns:
            return False
        self.pending.append(conn)
        return True

    def gap_passkey(self, conn, action, passkey):
        self.passkeys.append((conn, action, passkey))

    # -- the central side, driven by tests ---------------------------------------------------------------------

    def pump(self):
        """Deliver disconnections the application asked for."""
        while self.pending:
            conn = self.pending.pop(0)
            info = self.conns.pop(conn, None)
            if info is not None:
                self.handler(_IRQ_CENTRAL_DISCONNECT, (conn, 1, info["addr"]))

    def connect(self, addr):
        conn = self._next_conn
        self._next_conn += 1
        self.conns[conn] = {"addr": addr, "encrypted": False, "bonded": False, "mtu": 23}
        self.adv = None  # NimBLE stops advertising on a connection
        self.handler(_IRQ_CENTRAL_CONNECT, (conn, 1, memoryview(addr)))
        return conn

    def drop(self, conn):
        """The link goes (out of range, host asleep)."""
        info = self.conns.pop(conn)
        self.handler(_IRQ_CENTRAL_DISCONNECT, (conn, 1, memoryview(info["addr"])))

    def pair(self, conn, central_bonds=True):
        """LE Secure Connections pairing, Just Works. Bonded only if both sides bond and the keys are kept."""
        info = self.conns[conn]
        bonded = central_bonds and self.settings["bond"]
        if bonded:
            for sec_type in (SEC_OUR, SEC_PEER):
                stored = self.handler(_IRQ_SET_SECRET, (sec_type, memoryview(info["addr"]),
                                                        memoryview(bytes((sec_type,)) + info["addr"])))
                if not stored:
                    bonded = False
        info["encrypted"] = True
        info["bonded"] = bonded
        self.handler(_IRQ_ENCRYPTION_UPDATE, (conn, 1, 0, 1 if bonded else 0, 16))

    def encrypt(self, conn):
        """A central that holds a bond starts encryption with the stored key. False if the device lacks it."""
        info = self.conns[conn]
        if self.handler(_IRQ_GET_SECRET, (SEC_PEER, 0, memoryview(info["addr"]))) is None:
            return False
        info["encrypted"] = True
        info["bonded"] = True
        self.handler(_IRQ_ENCRYPTION_UPDATE, (conn, 1, 0, 1, 16))
        return True

    def exchange_mtu(self, conn, mtu):
        agreed = min(mtu, self.settings["mtu"])
        self.conns[conn]["mtu"] = agreed
        self.handler(_IRQ_MTU_EXCHANGED, (conn, agreed))
        return agreed

    def read(self, conn, handle):
        """The value as the client gets it; AttError if refused."""
        if not self.flags[handle] & FLAG_READ:
            raise AttError(0x02)
        if self.flags[handle] & FLAG_READ_ENCRYPTED and not self.conns[conn]["encrypted"]:
            raise AttError(ATT_INSUFFICIENT_ENCRYPTION)
        refused = self.handler(_IRQ_GATTS_READ_REQUEST, (conn, handle))
        if refused:
            raise AttError(refused)
        return bytes(self.values[handle])

    def write(self, conn, handle, data):
        """A write with response. Returns what the application's IRQ handler returned."""
        if not self.flags[handle] & FLAG_WRITE:
            raise AttError(0x03)
        if self.flags[handle] & FLAG_WRITE_ENCRYPTED and not self.conns[conn]["encrypted"]:
            raise AttError(ATT_INSUFFICIENT_ENCRYPTION)
        self.values[handle] = bytearray(data[:self.sizes[handle]])
        return self.handler(_IRQ_GATTS_WRITE, (conn, handle))

    def taken(self, conn=None, handle=None):
        """Notifications sent so far (to conn, on handle), removed from the record."""
        keep = []
        out = []
        for entry in self.notified:
            if (conn is None or entry[0] == conn) and (handle is None or entry[1] == handle):
                out.append(entry[2])
            else:
                keep.append(entry)
        self.notified = keep
        return out


class FakeBluetoothModule:
    """Stands in for the `bluetooth` module itself (the service imports UUID from it)."""

    UUID = UUID
