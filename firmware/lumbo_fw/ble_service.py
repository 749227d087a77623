"""The device's GATT server on MicroPython's `bluetooth.BLE` API: status, events, history sync,
configuration, control point, raw stream, Battery Service and Device Information.

Every byte on the wire is described in lumbo_shared.protocol; this module only moves it.

Security. Posture data is health data: every characteristic is registered to need an encrypted link, and
on top the service serves only links that are also bonded (an encrypted link without a bond is
disconnected; reads from it are refused with an ATT error, writes are ignored, nothing is notified to it).
Pairing uses LE Secure Connections with bonding, Just Works (the board has no display or keypad), and
new bonds are only accepted while the pairing window is open (see ble_security). The device advertises
with a resolvable private address.

Rejected writes. MicroPython's stack acknowledges a write before the IRQ handler sees it, so the answer
to every write on the configuration and control point characteristics is a result item, notified on the
same characteristic; a rejected write changes nothing. The handler also returns the matching ATT error
code, so a stack that lets the handler answer the write (as for _IRQ_GATTS_READ_REQUEST) sends it.

History sync. The host writes sync_start (from sequence N), the device notifies records as items in
payloads of MTU - 3 bytes until it reaches the newest, then a sync_end item; the host writes sync_ack
(up to M) once it has stored them. Records never leave the log on an acknowledgement: they are only
overwritten when the ring is full.

`poll()` does the work that must not run inside the IRQ handler (flash writes, streaming); `run()` calls it
from an asyncio task.
"""

import struct
import time

from micropython import const

from lumbo_fw import FIRMWARE_VERSION
from lumbo_fw.ble_security import PAIRING_WINDOW_S
from lumbo_shared import protocol, settings

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_GATTS_READ_REQUEST = const(4)
_IRQ_MTU_EXCHANGED = const(21)
_IRQ_CONNECTION_UPDATE = const(27)
_IRQ_ENCRYPTION_UPDATE = const(28)
_IRQ_GET_SECRET = const(29)
_IRQ_SET_SECRET = const(30)
_IRQ_PASSKEY_ACTION = const(31)

_FLAG_READ = const(0x0002)
_FLAG_WRITE = const(0x0008)
_FLAG_NOTIFY = const(0x0010)
_FLAG_READ_ENCRYPTED = const(0x0200)
_FLAG_WRITE_ENCRYPTED = const(0x1000)

_IO_CAPABILITY_NO_INPUT_OUTPUT = const(3)
ADDR_MODE_RPA = const(2)
_PASSKEY_ACTION_NUMERIC_COMPARISON = const(4)

_GATTS_NO_ERROR = const(0x00)
_ATT_INSUFFICIENT_AUTHORIZATION = const(0x08)
_ATT_INSUFFICIENT_ENCRYPTION = const(0x0F)
_ENOMEM = const(12)
_KEY_SIZE_MIN = const(16)

MAX_CONNECTIONS = const(2)  # a work and a home laptop may both be in range
_SECURE_WITHIN_MS = const(30000)  # a link not encrypted and bonded by then is dropped: it holds a slot
ADV_INTERVAL_US = const(250000)
ADV_MAX_BYTES = const(31)
_CHUNKS_PER_POLL = const(8)  # notifications queued per sync per poll before other tasks get a turn
_WRITE_BUFFER = const(244)  # largest write accepted: the payload of the requested MTU
_ADV_FLAGS_GENERAL_NO_BREDR = const(0x06)
_AD_FLAGS = const(0x01)
_AD_UUID128_COMPLETE = const(0x07)
_AD_NAME_COMPLETE = const(0x09)

_RESULT_SIZE = 1 + 2 + 3


def uuid_le(uuid):
    """The 16 bytes of a 128-bit UUID string in the order BLE sends them (least significant first)."""
    hexdigits = uuid.replace("-", "")
    if len(hexdigits) != 32:
        raise ValueError("not a 128-bit UUID: %s" % uuid)
    out = bytearray(16)
    for i in range(16):
        out[15 - i] = int(hexdigits[2 * i:2 * i + 2], 16)
    return bytes(out)


def advertising_payload(name=protocol.DEVICE_NAME, service_uuid=protocol.SERVICE_UUID):
    """Flags, the complete list of 128-bit service UUIDs (ours) and the complete local name."""
    name_bytes = name.encode()
    payload = (bytes((2, _AD_FLAGS, _ADV_FLAGS_GENERAL_NO_BREDR))
               + bytes((17, _AD_UUID128_COMPLETE)) + uuid_le(service_uuid)
               + bytes((len(name_bytes) + 1, _AD_NAME_COMPLETE)) + name_bytes)
    if len(payload) > ADV_MAX_BYTES:
        raise ValueError("advertising payload is %d bytes; the limit is %d: shorten the name '%s'" % (
            len(payload), ADV_MAX_BYTES, name))
    return payload


class _Conn:
    def __init__(self, handle, since_ms):
        self.handle = handle
        self.since_ms = since_ms
        self.encrypted = False
        self.bonded = False
        self.mtu = protocol.DEFAULT_MTU
        self.sync = None

    def authorized(self):
        return self.encrypted and self.bonded


class _Sync:
    """One host's history sync in progress: where it is, and the notification being sent."""

    def __init__(self, reader, host_id, payload):
        self.reader = reader
        self.host_id = host_id
        self.buf = bytearray(payload)
        self.len = 0  # bytes of buf waiting to be notified
        self.ended = False


class BleService:
    """The GATT server. `ble` is the bluetooth.BLE() object; log, settings store, bonds and pairing window
    are made by main.py. `actions` carries out what hosts ask for, with the methods calibrate(),
    set_time(epoch_s, utc_offset_min), snooze(duration_s), raw_stream(on), factory_reset() and
    settings_changed(values); one that cannot do it raises ValueError, which the host gets as a result."""

    def __init__(self, ble, log, store, bonds, pairing, actions, board="xiao-esp32s3",
                 name=protocol.DEVICE_NAME, adv_interval_us=ADV_INTERVAL_US, first_window_s=PAIRING_WINDOW_S,
                 addr_mode=ADDR_MODE_RPA):
        self._ble = ble
        self._log = log
        self._store = store
        self._bonds = bonds
        self._pairing = pairing
        self._actions = actions
        self._board = board
        self._name = name
        self._adv_interval_us = adv_interval_us
        self._first_window_s = first_window_s  # pairing window at a start without bonds; 0: none
        self._addr_mode = addr_mode  # the board: always ADDR_MODE_RPA; 1 (random static) for debugging
        self._conns = {}
        self._bond_allowed = None
        self._commands = []  # (conn handle, item code, values) waiting for poll()
        self._acks = []  # (host id, acked seq) waiting for poll()
        self._raw_conn = None
        self._raw_counter = 0
        self._status = bytearray(1 + protocol.ITEM_HEADER_SIZE + protocol.body_size(protocol.ITEM_STATUS))
        self._status[0] = protocol.VERSION_BYTE
        self._status_values = (0, 0, 0, 255, 0, 0, 0)
        self._event = bytearray(1 + protocol.ITEM_HEADER_SIZE + protocol.body_size(protocol.ITEM_EVENT))
        self._event[0] = protocol.VERSION_BYTE
        self._result = bytearray(_RESULT_SIZE)
        self._result[0] = protocol.VERSION_BYTE
        self._config = bytearray(store.payload_size())
        self._raw = None
        self._raw_out = bytearray(1)
        self.notify_failures = 0  # live notifications the stack had no room for (they are in the history)
        self.handles = None

    # -- start-up ----------------------------------------------------------------------------------------

    def start(self):
        from bluetooth import UUID

        ble = self._ble
        ble.active(True)
        ble.config(gap_name=self._name)
        ble.config(mtu=protocol.REQUESTED_MTU)
        ble.config(io=_IO_CAPABILITY_NO_INPUT_OUTPUT, le_secure=True, mitm=False)
        ble.config(addr_mode=self._addr_mode)
        ble.irq(self._irq)
        read = _FLAG_READ | _FLAG_READ_ENCRYPTED
        write = _FLAG_WRITE | _FLAG_WRITE_ENCRYPTED
        services = (
            (UUID(protocol.SERVICE_UUID), (
                (UUID(protocol.STATUS_UUID), read | _FLAG_NOTIFY),
                (UUID(protocol.EVENTS_UUID), _FLAG_NOTIFY),
                (UUID(protocol.HISTORY_UUID), write | _FLAG_NOTIFY),
                (UUID(protocol.CONFIG_UUID), read | write | _FLAG_NOTIFY),
                (UUID(protocol.CONTROL_UUID), write | _FLAG_NOTIFY),
                (UUID(protocol.RAW_UUID), _FLAG_NOTIFY),
            )),
            (UUID(protocol.BATTERY_SERVICE_UUID), (
                (UUID(protocol.BATTERY_LEVEL_UUID), read | _FLAG_NOTIFY),
            )),
            (UUID(protocol.DEVICE_INFO_SERVICE_UUID), (
                (UUID(protocol.MANUFACTURER_NAME_UUID), read),
                (UUID(protocol.MODEL_NUMBER_UUID), read),
                (UUID(protocol.FIRMWARE_REVISION_UUID), read),
                (UUID(protocol.SOFTWARE_REVISION_UUID), read),
            )),
        )
        ((self._status_h, self._events_h, self._history_h, self._config_h, self._control_h, self._raw_h),
         (self._battery_h,),
         (manufacturer_h, model_h, firmware_h, software_h)) = ble.gatts_register_services(services)
        self.handles = {"status": self._status_h, "events": self._events_h, "history": self._history_h,
                        "config": self._config_h, "control": self._control_h, "raw": self._raw_h,
                        "battery": self._battery_h}
        for handle in (self._history_h, self._config_h, self._control_h):
            ble.gatts_set_buffer(handle, _WRITE_BUFFER)
        ble.gatts_write(manufacturer_h, b"lumbo project")
        ble.gatts_write(model_h, self._board.encode())
        ble.gatts_write(firmware_h, FIRMWARE_VERSION.encode())
        ble.gatts_write(software_h, protocol.PROTOCOL_VERSION.encode())
        ble.gatts_write(self._battery_h, b"\x00")
        self._write_config_value()
        self._write_status()
        self._log.listener = self._on_record
        if len(self._bonds) == 0 and self._first_window_s:
            self._pairing.open(self._first_window_s)  # first start: nobody bonded yet, so pairing is open
        # Opened once per boot, not each time a duty-cycled radio starts the service again.
        self._first_window_s = 0
        self._update_bonding()
        self._advertise()

    def stop(self):
        """Store what the hosts acknowledged, drop the links and switch the radio off; start() undoes it."""
        self.poll()
        self._stop_raw()
        for handle in list(self._conns):
            try:
                self._ble.gap_disconnect(handle)
            except OSError:
                pass  # the link is already gone
        self._conns = {}
        self._ble.active(False)
        self._bond_allowed = None

    def bonded_links(self):
        """How many connected hosts are bonded and encrypted."""
        count = 0
        for conn in self._conns.values():
            if conn.authorized():
                count += 1
        return count

    def _advertise(self):
        if len(self._conns) < MAX_CONNECTIONS:
            self._ble.gap_advertise(self._adv_interval_us, advertising_payload(self._name))

    def _update_bonding(self):
        allowed = self._pairing.is_open()
        if allowed != self._bond_allowed:
            self._ble.config(bond=allowed)
            self._bond_allowed = allowed
            self._write_status()

    # -- the IRQ handler ---------------------------------------------------------------------------------------

    def _irq(self, event, data):
        if event == _IRQ_CENTRAL_CONNECT:
            handle = data[0]
            if len(self._conns) >= MAX_CONNECTIONS:
                self._ble.gap_disconnect(handle)
                return None
            self._conns[handle] = _Conn(handle, self._pairing.now_ms())
            self._advertise()
        elif event == _IRQ_CENTRAL_DISCONNECT:
            handle = data[0]
            self._conns.pop(handle, None)
            if self._raw_conn == handle:
                self._stop_raw()
            self._advertise()
        elif event == _IRQ_ENCRYPTION_UPDATE:
            handle, encrypted, _authenticated, bonded, key_size = data
            conn = self._conns.get(handle)
            if conn is not None:
                conn.encrypted = bool(encrypted)
                conn.bonded = bool(bonded)
                if conn.encrypted and (not conn.bonded or key_size < _KEY_SIZE_MIN):
                    # Paired without a bond (or with a short key): the service does not serve it.
                    self._ble.gap_disconnect(handle)
        elif event == _IRQ_MTU_EXCHANGED:
            conn = self._conns.get(data[0])
            if conn is not None:
                conn.mtu = data[1]
        elif event == _IRQ_GATTS_READ_REQUEST:
            return self._refusal(self._conns.get(data[0])) or None  # None: let the read through
        elif event == _IRQ_GATTS_WRITE:
            return self._on_write(data[0], data[1])
        elif event == _IRQ_GET_SECRET:
            sec_type, index, key = data
            return self._bonds.get(sec_type, index, key)
        elif event == _IRQ_SET_SECRET:
            sec_type, key, value = data
            return self._bonds.set(sec_type, key, value, self._pairing.is_open())
        elif event == _IRQ_PASSKEY_ACTION:
            handle, action, _passkey = data
            accept = action == _PASSKEY_ACTION_NUMERIC_COMPARISON and self._pairing.is_open()
            self._ble.gap_passkey(handle, action, 1 if accept else 0)
        return None

    def _refusal(self, conn):
        """The ATT error for a request on conn, or _GATTS_NO_ERROR if the link may use the service."""
        if conn is None or not conn.encrypted:
            return _ATT_INSUFFICIENT_ENCRYPTION
        if not conn.bonded:
            return _ATT_INSUFFICIENT_AUTHORIZATION
        return _GATTS_NO_ERROR

    # -- writes --------------------------------------------------------------------------------------------

    def _on_write(self, handle, value_handle):
        conn = self._conns.get(handle)
        refusal = self._refusal(conn)
        if value_handle == self._config_h:
            if refusal:
                self._write_config_value()
                return refusal
            return self._on_config(conn, self._ble.gatts_read(value_handle))
        if value_handle == self._control_h:
            return refusal or self._on_control(conn, self._ble.gatts_read(value_handle))
        if value_handle == self._history_h:
            return refusal or self._on_history(conn, self._ble.gatts_read(value_handle))
        return _GATTS_NO_ERROR

    def _answer(self, conn, value_handle, request, status, detail=0):
        """Notify a result item; return the ATT error that goes with it (0 for success)."""
        struct.pack_into("<BBBBB", self._result, 1, protocol.ITEM_RESULT, 3, request, status, detail)
        self._notify(conn, value_handle, self._result)
        if status == protocol.RESULT_OK:
            return _GATTS_NO_ERROR
        if status == protocol.RESULT_OUT_OF_RANGE:
            return protocol.ATT_ERROR_OUT_OF_RANGE
        return protocol.ATT_ERROR_APPLICATION + status

    def _malformed(self, conn, value_handle, payload):
        """The result for a payload that fails its version check or framing, or None if it is sound."""
        try:
            protocol.check_version(payload)
            for _code, _body, _length in protocol.iter_items(payload):
                pass
        except protocol.ProtocolError:
            return self._answer_bad(conn, value_handle, payload)
        return None

    def _answer_bad(self, conn, value_handle, payload):
        if len(payload) and payload[0] >> 4 != protocol.VERSION_MAJOR:
            return self._answer(conn, value_handle, 0, protocol.RESULT_UNSUPPORTED_VERSION)
        return self._answer(conn, value_handle, 0, protocol.RESULT_MALFORMED)

    def _on_config(self, conn, payload):
        bad = self._malformed(conn, self._config_h, payload)
        if bad is not None:
            self._write_config_value()
            return bad
        changes = {}
        for code, body, length in protocol.iter_items(payload):
            if code != protocol.ITEM_SETTING:
                self._write_config_value()
                return self._answer(conn, self._config_h, code, protocol.RESULT_UNKNOWN_REQUEST)
            if length < protocol.body_size(code):
                self._write_config_value()
                return self._answer(conn, self._config_h, code, protocol.RESULT_MALFORMED)
            sid, value = protocol.unpack_fields(code, payload, body, length)
            name = protocol.setting_name(sid)
            if name is None:
                self._write_config_value()
                return self._answer(conn, self._config_h, code, protocol.RESULT_UNKNOWN_REQUEST, sid)
            changes[name] = value
        try:
            self._store.update(changes)
        except settings.SettingError:
            self._write_config_value()
            return self._answer(conn, self._config_h, protocol.ITEM_SETTING, protocol.RESULT_OUT_OF_RANGE,
                                self._culprit(changes))
        self._write_config_value()
        self._commands.append((conn.handle, protocol.ITEM_SETTING, None))
        return self._answer(conn, self._config_h, protocol.ITEM_SETTING, protocol.RESULT_OK)

    def _culprit(self, changes):
        """Wire id of the first setting in changes that is wrong on its own, else of the first one."""
        first = 0
        for name in changes:
            sid = protocol.setting_id(name)
            if not first:
                first = sid
            try:
                settings.validate(name, changes[name])
            except settings.SettingError:
                return sid
        return first

    def _write_config_value(self):
        end = self._store.encode_into(self._config, 0)
        self._ble.gatts_write(self._config_h, memoryview(self._config)[0:end])

    def _on_control(self, conn, payload):
        bad = self._malformed(conn, self._control_h, payload)
        if bad is not None:
            return bad
        count = 0
        for _item in protocol.iter_items(payload):
            count += 1
        if count > 1:  # one command per write: none of them is carried out
            return self._answer(conn, self._control_h, 0, protocol.RESULT_MALFORMED)
        for code, body, length in protocol.iter_items(payload):
            if code < protocol.ITEM_CALIBRATE or code > protocol.ITEM_OPEN_PAIRING:
                return self._answer(conn, self._control_h, code, protocol.RESULT_UNKNOWN_REQUEST)
            if length < protocol.body_size(code):
                return self._answer(conn, self._control_h, code, protocol.RESULT_MALFORMED)
            values = protocol.unpack_fields(code, payload, body, length)
            if code == protocol.ITEM_FACTORY_RESET and values[0] != protocol.FACTORY_RESET_CONFIRM:
                return self._answer(conn, self._control_h, code, protocol.RESULT_NOT_PERMITTED)
            if code == protocol.ITEM_OPEN_PAIRING and not 1 <= values[0] <= 600:
                return self._answer(conn, self._control_h, code, protocol.RESULT_OUT_OF_RANGE)
            self._commands.append((conn.handle, code, values))
            return _GATTS_NO_ERROR  # answered once poll() has carried it out
        return self._answer(conn, self._control_h, 0, protocol.RESULT_MALFORMED)

    def _on_history(self, conn, payload):
        bad = self._malformed(conn, self._history_h, payload)
        if bad is not None:
            return bad
        for code, body, length in protocol.iter_items(payload):
            if code != protocol.ITEM_SYNC_START and code != protocol.ITEM_SYNC_ACK:
                return self._answer(conn, self._history_h, code, protocol.RESULT_UNKNOWN_REQUEST)
            if length < protocol.body_size(code):
                return self._answer(conn, self._history_h, code, protocol.RESULT_MALFORMED)
            host_id, seq = protocol.unpack_fields(code, payload, body, length)
            if code == protocol.ITEM_SYNC_ACK:
                self._acks.append((host_id, seq))
                continue
            if conn.mtu < protocol.HISTORY_MIN_MTU:
                return self._answer(conn, self._history_h, code, protocol.RESULT_MTU_TOO_SMALL)
            size = protocol.max_payload(conn.mtu)
            if size > _WRITE_BUFFER:
                size = _WRITE_BUFFER
            if seq == protocol.SYNC_FROM_CURSOR:
                acked = self._log.acked(host_id)
                for pending_host, pending_seq in self._acks:  # acknowledgements not stored yet count too
                    if pending_host == host_id and (acked is None or pending_seq > acked):
                        acked = pending_seq
                seq = self._log.oldest_seq if acked is None else acked + 1
            conn.sync = _Sync(self._log.reader(seq), host_id, size)
        return _GATTS_NO_ERROR

    # -- work outside the IRQ handler ----------------------------------------------------------------------------

    def poll(self):
        """Carry out queued commands, store acknowledgements and stream history. True if work is left."""
        self._update_bonding()
        while self._commands:
            handle, code, values = self._commands.pop(0)
            self._carry_out(self._conns.get(handle), code, values)
        if self._acks:
            acks = self._acks
            self._acks = []
            for host_id, seq in acks:
                self._log.ack(host_id, seq)
        self._bonds.save()
        busy = False
        now = self._pairing.now_ms()
        for conn in list(self._conns.values()):
            if conn.sync is not None and conn.authorized():
                busy = self._stream(conn) or busy
            elif not conn.authorized() and time.ticks_diff(now, conn.since_ms) > _SECURE_WITHIN_MS:
                self._ble.gap_disconnect(conn.handle)  # once: it leaves the table when the stack says so
                conn.since_ms = now
        return busy or bool(self._commands) or bool(self._acks)

    async def run(self, idle_s=0.05):
        import asyncio

        while True:
            busy = self.poll()
            await asyncio.sleep(0 if busy else idle_s)

    def _carry_out(self, conn, code, values):
        if code == protocol.ITEM_SETTING:
            self._store.save()
            self._actions.settings_changed(self._store.values)
            return
        status = protocol.RESULT_OK
        try:
            if code == protocol.ITEM_CALIBRATE:
                self._actions.calibrate()
            elif code == protocol.ITEM_SET_TIME:
                self._actions.set_time(values[0], values[1])
            elif code == protocol.ITEM_SNOOZE:
                self._actions.snooze(values[0])
            elif code == protocol.ITEM_RAW_START:
                if conn is not None:
                    self._actions.raw_stream(True)
                    self._raw_conn = conn.handle
                    self._write_status()
            elif code == protocol.ITEM_RAW_STOP:
                self._stop_raw()
            elif code == protocol.ITEM_OPEN_PAIRING:
                self.open_pairing_window(values[0])
            elif code == protocol.ITEM_FACTORY_RESET:
                self._answer(conn, self._control_h, code, protocol.RESULT_OK)
                self._factory_reset()
                return
        except ValueError:
            status = protocol.RESULT_OUT_OF_RANGE
        if conn is not None:
            self._answer(conn, self._control_h, code, status)

    def _factory_reset(self):
        self._bonds.clear()
        self._bonds.save()
        self._store.reset()
        self._store.save()
        self._log.erase()
        self._write_config_value()
        for handle in list(self._conns):
            self._ble.gap_disconnect(handle)
        self._actions.factory_reset()

    def _stream(self, conn):
        """Send up to _CHUNKS_PER_POLL history notifications; True if more remain."""
        sync = conn.sync
        for _ in range(_CHUNKS_PER_POLL):
            if sync.len == 0:
                if sync.ended:
                    conn.sync = None
                    return False
                self._fill(sync)
            try:
                self._ble.gatts_notify(conn.handle, self._history_h, memoryview(sync.buf)[0:sync.len])
            except OSError as exc:
                if exc.args and exc.args[0] == _ENOMEM:
                    return True  # the stack's buffers are full: try again at the next poll
                conn.sync = None  # the link went
                return False
            sync.len = 0
        return True

    def _fill(self, sync):
        buf = sync.buf
        buf[0] = protocol.VERSION_BYTE
        end = sync.reader.fill(buf, 1, len(buf))
        if sync.reader.done:
            size = protocol.ITEM_HEADER_SIZE + protocol.body_size(protocol.ITEM_SYNC_END)
            if end + size <= len(buf):
                log = self._log
                end = protocol.pack_item(buf, end, protocol.ITEM_SYNC_END, sync.reader.seq, log.oldest_seq,
                                         log.lost(sync.host_id), log.stats.overwritten, log.stats.corrupt,
                                         log.log_id)
                sync.ended = True
        sync.len = end

    # -- what the rest of the firmware calls ---------------------------------------------------------------------

    def _notify(self, conn, value_handle, data):
        if conn is None or not conn.authorized():
            return
        if len(data) > protocol.max_payload(conn.mtu):
            return  # the host reads it instead (status, configuration) or syncs it (events)
        try:
            self._ble.gatts_notify(conn.handle, value_handle, data)
        except OSError:
            self.notify_failures += 1

    def _notify_all(self, value_handle, data):
        for conn in self._conns.values():
            self._notify(conn, value_handle, data)

    def _on_record(self, seq, slot):
        """The log's listener: each new event goes out live; minute summaries wait for a sync."""
        if slot[0] != protocol.ITEM_EVENT:
            return
        size = 2 + slot[1]
        self._event[1:1 + size] = slot[0:size]
        self._notify_all(self._events_h, memoryview(self._event)[0:1 + size])

    def _write_status(self):
        state, tilt_cdeg, bout_s, battery_pct, flags, head_seq, t_s = self._status_values
        flags &= ~(protocol.STATUS_FLAG_RAW_STREAM | protocol.STATUS_FLAG_PAIRING_OPEN)
        if self._raw_conn is not None:
            flags |= protocol.STATUS_FLAG_RAW_STREAM
        if self._bond_allowed:
            flags |= protocol.STATUS_FLAG_PAIRING_OPEN
        if bout_s > 0xFFFF:
            bout_s = 0xFFFF
        protocol.pack_item(self._status, 1, protocol.ITEM_STATUS, state, tilt_cdeg, bout_s, battery_pct, flags,
                           head_seq, t_s)
        if self.handles is not None:
            self._ble.gatts_write(self._status_h, self._status)

    def set_status(self, state, tilt_cdeg, bout_s, battery_pct, flags, t_s):
        """Once a second from the posture code: store the status value and notify bonded hosts."""
        self._status_values = (state, tilt_cdeg, bout_s, battery_pct, flags, self._log.next_seq, t_s)
        self._write_status()
        self._notify_all(self._status_h, self._status)

    def set_battery(self, percent):
        if not 0 <= percent <= 100:
            raise ValueError("battery level is 0-100 %%, not %d" % percent)
        self._ble.gatts_write(self._battery_h, bytes((percent,)))
        self._notify_all(self._battery_h, bytes((percent,)))

    def open_pairing_window(self, seconds):
        """After a long button press (or a bonded host's request): accept new bonds for a while."""
        self._pairing.open(seconds)
        self._update_bonding()

    def _stop_raw(self):
        if self._raw_conn is None:
            return
        self._raw_conn = None
        self._write_status()
        try:
            self._actions.raw_stream(False)
        except ValueError:
            return

    @property
    def raw_streaming(self):
        return self._raw_conn is not None

    def send_raw(self, samples, count, t_end_us, accel_lsb_per_g, gyro_lsb_per_dps):
        """Send `count` samples (six int16 values each, as in a Burst) to the host that started the stream."""
        conn = self._conns.get(self._raw_conn) if self._raw_conn is not None else None
        if conn is None or not conn.authorized():
            return 0
        room = protocol.max_payload(conn.mtu) - 1 - protocol.ITEM_HEADER_SIZE - protocol.body_size(protocol.ITEM_RAW)
        per = room // 12
        if per < 1:
            return 0
        if self._raw is None or len(self._raw) < 12 * per:
            self._raw = bytearray(12 * per)
            self._raw_out = bytearray(1 + protocol.ITEM_HEADER_SIZE + protocol.body_size(protocol.ITEM_RAW) + 12 * per)
            self._raw_out[0] = protocol.VERSION_BYTE
        out = self._raw_out
        sent = 0
        while sent < count:
            n = count - sent if count - sent < per else per
            for k in range(6 * n):
                struct.pack_into("<h", self._raw, 2 * k, samples[6 * sent + k])
            end = protocol.pack_tail_item(out, 1, protocol.ITEM_RAW, memoryview(self._raw)[0:12 * n],
                                          self._raw_counter, t_end_us & 0xFFFFFFFF, accel_lsb_per_g,
                                          gyro_lsb_per_dps)
            self._raw_counter = (self._raw_counter + 1) & 0xFFFF
            try:
                self._ble.gatts_notify(conn.handle, self._raw_h, memoryview(out)[0:end])
            except OSError:
                self.notify_failures += 1
            sent += n
        return sent

    def connections(self):
        """(handle, encrypted, bonded, mtu) of each connected central."""
        return [(c.handle, c.encrypted, c.bonded, c.mtu) for c in self._conns.values()]
