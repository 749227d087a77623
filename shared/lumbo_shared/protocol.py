"""lumbo's wire protocol: the one description of every byte the device and the host exchange over BLE.

Framing. Every payload (a characteristic value, a write, a notification) is

    [version byte] [item] [item] ...
    item = [item code: u8] [body length: u8] [body: `length` bytes]

All integers are little-endian. The version byte carries the major version in its high nibble and the
minor version in its low nibble: 0x10 is version 1.0.

Versioning policy.
- Minor (additive): a new minor may add new item codes and may append new fields at the end of an
  item's body. It never moves, resizes or changes the meaning of an existing field. A reader of any minor
  skips items whose code it does not know (codec.Message.skipped lists them) and ignores body bytes
  beyond the fields it knows.
- Major (breaking): anything else. A reader rejects a payload whose major it does not know, with
  `ProtocolError`, and neither side guesses.
- Codes are never reused. A retired item keeps its row below with a name starting "retired_", so its code
  stays taken.

Items (code, name, fields: name and struct code; the body is the fields in this order):
- 0x01 status: state (vocab state code), tilt_cdeg (sagittal pelvic tilt from the wearer's upright,
  centidegrees, positive backwards: as when slumping in a chair), bout_s (seconds into the current
  sitting bout, saturating at 65535), battery_pct (0-100; 255 unknown), flags (STATUS_FLAG_*), head_seq
  (sequence number the next log record will get), t_s (device clock, seconds).
- 0x10 minute: one minute's summary as stored in the device log: seq, t_s (start of the minute),
  tilt mean/min/max in centidegrees (seated, positive backwards as in status), transitions (posture
  changes in the minute) and seconds_per_state (6 bytes, indexed by vocab state code).
- 0x11 event: seq, t_s, kind (vocab event code), a and b (meaning set by the kind; see docs/protocol.md).
- 0x12 gap: records first_seq .. first_seq + count - 1 do not exist any more; reason is GAP_OVERWRITTEN
  (the ring was full) or GAP_CORRUPT (the record failed its CRC and was skipped).
- 0x13 sync_end: the end of a history sync: next_seq (the first sequence number not sent), oldest_seq,
  lost (records overwritten before this host acknowledged them), overwritten (records the ring has
  overwritten in total), corrupt (records found damaged since boot) and log_id (a random number the log
  drew when it was created: a new log_id means the sequence numbers started again, after a factory reset).
- 0x20 sync_start (host -> device): host_id (a random number the host chose once), from_seq
  (SYNC_FROM_CURSOR: from just after what this host last acknowledged).
- 0x21 sync_ack (host -> device): host_id, acked_seq (every record up to and including it is stored).
- 0x30 setting: setting_id (SETTING_IDS), value.
- 0x40-0x46 control commands (host -> device): calibrate, set_time (epoch_s: seconds since 1970-01-01
  UTC; utc_offset_min: local time minus UTC), snooze (duration_s; 0: the snooze_s setting), raw_start,
  raw_stop, factory_reset (confirm must be FACTORY_RESET_CONFIRM), open_pairing (window_s).
- 0x4F result (device -> host): the outcome of a write on the configuration or control point:
  request (the item code answered), status (RESULT_*), detail (setting id for a bad setting, else 0).
- 0x50 raw: one notification of the raw sample stream: counter (u16, wraps; a jump means dropped
  notifications), t_end_us (device ticks at the last sample), accel_lsb_per_g, gyro_lsb_per_dps, then
  int16 samples to the end of the body, six per sample (ax, ay, az, gx, gy, gz, board frame, chip counts).

The device log stores history items exactly as they travel (see lumbo_fw.devlog), so a sync copies bytes.

This module is what the device needs: the tables, packing into a caller's buffer, and walking a payload.
lumbo_shared.codec decodes whole payloads into named fields and encodes them from dicts (for the host and
for tests); both raise ProtocolError, the one error for malformed input.
"""

import struct

from micropython import const

# ---------------------------------------------------------------------------------------------------------
# Version

VERSION_MAJOR = const(1)
VERSION_MINOR = const(0)
VERSION_BYTE = const(0x10)  # (VERSION_MAJOR << 4) | VERSION_MINOR
PROTOCOL_VERSION = "1.0"

# ---------------------------------------------------------------------------------------------------------
# GATT: one custom 128-bit service (its UUID goes in the advertisement), plus Battery and Device Information.

SERVICE_UUID = "e8ba0001-7882-43ee-b5ff-a26c5dd11d1e"
STATUS_UUID = "e8ba0002-7882-43ee-b5ff-a26c5dd11d1e"  # read, notify: one status item
EVENTS_UUID = "e8ba0003-7882-43ee-b5ff-a26c5dd11d1e"  # notify: one event item as it happens
HISTORY_UUID = "e8ba0004-7882-43ee-b5ff-a26c5dd11d1e"  # write sync_start/sync_ack; notify records
CONFIG_UUID = "e8ba0005-7882-43ee-b5ff-a26c5dd11d1e"  # read all settings; write some; notify result
CONTROL_UUID = "e8ba0006-7882-43ee-b5ff-a26c5dd11d1e"  # write one command; notify result
RAW_UUID = "e8ba0007-7882-43ee-b5ff-a26c5dd11d1e"  # notify: raw items while the stream is on

BATTERY_SERVICE_UUID = const(0x180F)
BATTERY_LEVEL_UUID = const(0x2A19)
DEVICE_INFO_SERVICE_UUID = const(0x180A)
MODEL_NUMBER_UUID = const(0x2A24)
FIRMWARE_REVISION_UUID = const(0x2A26)
SOFTWARE_REVISION_UUID = const(0x2A28)  # carries PROTOCOL_VERSION
MANUFACTURER_NAME_UUID = const(0x2A29)

DEVICE_NAME = "lumbo"

# ATT MTU: the device asks for REQUESTED_MTU; until an exchange says otherwise the MTU is DEFAULT_MTU, so a
# notification carries at most DEFAULT_MTU - 3 = 20 bytes. Status, event, result and every host write of
# one item fit in those 20. A history notification must hold its largest item (sync_end, 26 bytes) after
# the version byte, so a sync needs an MTU of at least HISTORY_MIN_MTU; below it the device answers
# sync_start with RESULT_MTU_TOO_SMALL and the host exchanges the MTU first (desktop stacks do so on
# connect, and the device asks for REQUESTED_MTU).
DEFAULT_MTU = const(23)
REQUESTED_MTU = const(247)
ATT_NOTIFY_OVERHEAD = const(3)
HISTORY_MIN_MTU = const(30)

# ---------------------------------------------------------------------------------------------------------
# Item codes

ITEM_STATUS = const(0x01)
ITEM_MINUTE = const(0x10)
ITEM_EVENT = const(0x11)
ITEM_GAP = const(0x12)
ITEM_SYNC_END = const(0x13)
ITEM_SYNC_START = const(0x20)
ITEM_SYNC_ACK = const(0x21)
ITEM_SETTING = const(0x30)
ITEM_CALIBRATE = const(0x40)
ITEM_SET_TIME = const(0x41)
ITEM_SNOOZE = const(0x42)
ITEM_RAW_START = const(0x43)
ITEM_RAW_STOP = const(0x44)
ITEM_FACTORY_RESET = const(0x45)
ITEM_OPEN_PAIRING = const(0x46)
ITEM_RESULT = const(0x4F)
ITEM_RAW = const(0x50)

ITEM_HEADER_SIZE = const(2)

STATE_COUNT = const(6)  # len(vocab.STATES): the length of a minute's seconds_per_state

# (code, name, struct format of the fields in wire order, field names, tail). A count in the format is an
# array field with one name ("6B": seconds_per_state). tail: None, or the struct code of an array that
# fills the rest of the body. The format is used as it stands, so the table costs the device few objects.
ITEMS = (
    (ITEM_STATUS, "status", "<BhHBBII", "state tilt_cdeg bout_s battery_pct flags head_seq t_s", None),
    (ITEM_MINUTE, "minute", "<IIhhhB6B",
     "seq t_s tilt_mean_cdeg tilt_min_cdeg tilt_max_cdeg transitions seconds_per_state", None),
    (ITEM_EVENT, "event", "<IIBii", "seq t_s kind a b", None),
    (ITEM_GAP, "gap", "<IIB", "first_seq count reason", None),
    (ITEM_SYNC_END, "sync_end", "<IIIIII", "next_seq oldest_seq lost overwritten corrupt log_id", None),
    (ITEM_SYNC_START, "sync_start", "<II", "host_id from_seq", None),
    (ITEM_SYNC_ACK, "sync_ack", "<II", "host_id acked_seq", None),
    (ITEM_SETTING, "setting", "<Bi", "setting_id value", None),
    (ITEM_CALIBRATE, "calibrate", "<", "", None),
    (ITEM_SET_TIME, "set_time", "<Ih", "epoch_s utc_offset_min", None),
    (ITEM_SNOOZE, "snooze", "<H", "duration_s", None),
    (ITEM_RAW_START, "raw_start", "<", "", None),
    (ITEM_RAW_STOP, "raw_stop", "<", "", None),
    (ITEM_FACTORY_RESET, "factory_reset", "<I", "confirm", None),
    (ITEM_OPEN_PAIRING, "open_pairing", "<H", "window_s", None),
    (ITEM_RESULT, "result", "<BBB", "request status detail", None),
    (ITEM_RAW, "raw", "<HIHH", "counter t_end_us accel_lsb_per_g gyro_lsb_per_dps", "h"),
)

# Status flags (bits of status.flags).
STATUS_FLAG_PROMPT = const(0x01)  # a break prompt is active
STATUS_FLAG_SNOOZED = const(0x02)
STATUS_FLAG_RAW_STREAM = const(0x04)
STATUS_FLAG_PAIRING_OPEN = const(0x08)
STATUS_FLAG_CLOCK_SET = const(0x10)
STATUS_FLAG_CALIBRATED = const(0x20)

SYNC_FROM_CURSOR = const(0xFFFFFFFF)

# Gap reasons.
GAP_OVERWRITTEN = const(1)
GAP_CORRUPT = const(2)

# Result statuses.
RESULT_OK = const(0)
RESULT_UNKNOWN_REQUEST = const(1)  # an item code the device does not handle on this characteristic
RESULT_OUT_OF_RANGE = const(2)  # a setting value outside its range, or a pair of settings inconsistent
RESULT_MALFORMED = const(3)  # the bytes are not a valid payload (see ProtocolError)
RESULT_NOT_PERMITTED = const(4)  # the link is not encrypted and bonded, or a confirmation was wrong
RESULT_BUSY = const(5)
RESULT_UNSUPPORTED_VERSION = const(6)
RESULT_MTU_TOO_SMALL = const(7)  # a history sync needs HISTORY_MIN_MTU

# The ATT error that goes with a rejected write: 0xFF ("out of range", the Core Specification Supplement's
# common profile error) or 0x80 + the RESULT_* code (the application range). MicroPython's bluetooth API,
# on the ESP32 and in the emulator, cannot answer a write with an error: there the result item is the
# answer (docs/protocol.md, "Rejected writes").
ATT_ERROR_OUT_OF_RANGE = const(0xFF)
ATT_ERROR_APPLICATION = const(0x80)

FACTORY_RESET_CONFIRM = const(0x52534554)  # a value no stray write carries; "RSET" in ASCII hex

# Settings on the wire: "setting_id:name" (a name in lumbo_shared.settings). Ids are never reused.
SETTING_IDS = ("1:sit_limit_s 2:reprompt_s 3:break_min_s 4:snooze_s 5:quiet_start_min 6:quiet_end_min "
               "7:not_worn_after_s 8:imu_rate_hz 9:haptic")

# ---------------------------------------------------------------------------------------------------------

_RANGES = {
    "B": (0, 0xFF), "b": (-0x80, 0x7F), "H": (0, 0xFFFF), "h": (-0x8000, 0x7FFF),
    "I": (0, 0xFFFFFFFF), "i": (-0x80000000, 0x7FFFFFFF),
}
_BY_CODE = {}
for _row in ITEMS:
    _BY_CODE[_row[0]] = _row
_SETTING_NAME = {}
_SETTING_ID = {}
for _pair in SETTING_IDS.split():
    _sid = int(_pair[0:_pair.index(":")])
    _SETTING_NAME[_sid] = _pair[_pair.index(":") + 1:]
    _SETTING_ID[_SETTING_NAME[_sid]] = _sid
del _row, _pair, _sid


class ProtocolError(ValueError):
    """The one error for bytes that are not a valid lumbo payload, or values that cannot be encoded.

    Decoders raise nothing else for any input. The message says what is wrong and where.
    """


def entry(code):
    """The ITEMS row of an item code: (code, name, struct format, field names, tail code). ProtocolError
    for a code this version does not know."""
    found = _BY_CODE.get(code)
    if found is None:
        raise ProtocolError("unknown item code 0x%02x" % code)
    return found


def known(code):
    return code in _BY_CODE


def value_range(kind):
    """(smallest, largest) value of a struct code used in the tables."""
    return _RANGES[kind]


def body_size(code):
    """Body size in bytes of an item's fields as this version knows them (without a tail array)."""
    return struct.calcsize(entry(code)[2])


def setting_id(name):
    sid = _SETTING_ID.get(name)
    if sid is None:
        raise ProtocolError("setting '%s' has no wire id" % name)
    return sid


def settings_in_order():
    """(setting_id, name) for every setting, by id."""
    return sorted(_SETTING_NAME.items())


def setting_name(sid):
    """The settings-table name of a wire id, or None for an id this version does not know."""
    return _SETTING_NAME.get(sid)


def max_payload(mtu):
    """Largest notification or write payload for a negotiated ATT MTU."""
    if mtu < DEFAULT_MTU:
        mtu = DEFAULT_MTU
    return mtu - ATT_NOTIFY_OVERHEAD


# ---------------------------------------------------------------------------------------------------------
# Encoding on the device: into a caller's buffer, no intermediate objects beyond the arguments.

def _check_values(row, values):
    """ProtocolError unless values are as many as the format's fields and each fits its field."""
    fmt = row[2]
    i = 0
    repeat = 0
    for kind in fmt[1:]:
        if "0" <= kind <= "9":
            repeat = repeat * 10 + ord(kind) - 48
            continue
        low, high = _RANGES[kind]
        for _ in range(repeat if repeat else 1):
            if i >= len(values):
                raise ProtocolError("%s takes more values than the %d given" % (row[1], len(values)))
            value = values[i]
            if not isinstance(value, int) or value < low or value > high:
                raise ProtocolError("%s value %d (%r) does not fit its field: %d to %d" % (
                    row[1], i, value, low, high))
            i += 1
        repeat = 0
    if i != len(values):
        raise ProtocolError("%s takes %d values, got %d" % (row[1], i, len(values)))


def pack_item(buf, offset, code, *values):
    """Write one item with its fields `values` (arrays flattened in place) at buf[offset:].

    Returns the offset after the item. Raises ProtocolError for an unknown code, a wrong number of
    values, a value that does not fit its field or a buffer too small.
    """
    row = entry(code)
    _check_values(row, values)
    size = struct.calcsize(row[2])
    end = offset + ITEM_HEADER_SIZE + size
    if end > len(buf):
        raise ProtocolError("%s needs %d bytes at offset %d; the buffer holds %d" % (
            row[1], end - offset, offset, len(buf)))
    struct.pack_into(row[2], buf, offset + ITEM_HEADER_SIZE, *values)
    buf[offset] = code
    buf[offset + 1] = size
    return end


def pack_tail_item(buf, offset, code, tail, *values):
    """Write an item whose body ends in an array: the fixed fields `values`, then the bytes of `tail`.

    `tail` is bytes-like: the array's elements as little-endian bytes (a whole number of elements).
    Returns the offset after the item.
    """
    row = entry(code)
    if row[4] is None:
        raise ProtocolError("%s has no tail array" % row[1])
    _check_values(row, values)
    n = len(tail)
    element = struct.calcsize(row[4])
    if n % element:
        raise ProtocolError("%s tail of %d bytes is not a whole number of %d-byte elements" % (
            row[1], n, element))
    fixed = struct.calcsize(row[2])
    size = fixed + n
    if size > 255:
        raise ProtocolError("%s body would be %d bytes; an item body holds 255" % (row[1], size))
    end = offset + ITEM_HEADER_SIZE + size
    if end > len(buf):
        raise ProtocolError("%s needs %d bytes; the buffer has %d after offset %d" % (
            row[1], end - offset, len(buf) - offset, offset))
    struct.pack_into(row[2], buf, offset + ITEM_HEADER_SIZE, *values)
    start = offset + ITEM_HEADER_SIZE + fixed
    buf[start:start + n] = tail
    buf[offset] = code
    buf[offset + 1] = size
    return end


# ---------------------------------------------------------------------------------------------------------
# Decoding on the device: walk items without building dicts (lumbo_shared.codec builds them for the host).

def check_version(payload):
    """Return (major, minor) of a payload; ProtocolError if it is empty or from an unknown major."""
    if len(payload) == 0:
        raise ProtocolError("empty payload: every lumbo payload starts with a version byte")
    major = payload[0] >> 4
    minor = payload[0] & 0x0F
    if major != VERSION_MAJOR:
        raise ProtocolError("protocol version %d.%d is not supported (this side speaks %d.x): update the %s" % (
            major, minor, VERSION_MAJOR, "host app" if major > VERSION_MAJOR else "device firmware"))
    return major, minor


def unpack_fields(code, payload, offset, length):
    """The field values of a known item whose body is payload[offset:offset+length], as a tuple.

    Arrays stay flattened; a tail array is not included (see tail_of). ProtocolError if the body is
    shorter than this version's fields.
    """
    row = entry(code)
    size = struct.calcsize(row[2])
    if length < size:
        raise ProtocolError("%s body is %d bytes; version %d.0 needs at least %d" % (
            row[1], length, VERSION_MAJOR, size))
    return struct.unpack_from(row[2], payload, offset)


def iter_items(payload, offset=1):
    """Yield (code, body offset, body length) for each item of an already version-checked payload.

    The device uses this to walk a write without building dicts. ProtocolError if the framing is broken.
    """
    end = len(payload)
    while offset < end:
        if offset + ITEM_HEADER_SIZE > end:
            raise ProtocolError("item header cut short at byte %d of %d" % (offset, end))
        length = payload[offset + 1]
        body = offset + ITEM_HEADER_SIZE
        if body + length > end:
            raise ProtocolError("item 0x%02x at byte %d claims %d body bytes; only %d remain" % (
                payload[offset], offset, length, end - body))
        yield payload[offset], body, length
        offset = body + length
