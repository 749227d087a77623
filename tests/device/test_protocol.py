"""Golden bytes of the wire protocol: literal payloads, each derived by hand in its comment.

Runs under CPython and under MicroPython, so both interpreters read and write the same bytes.
Integers are little-endian; the first byte is the version (0x10 = 1.0); each item is [code][len][body].
"""

from devtest import raises
from lumbo_shared import codec, protocol, settings, vocab
from lumbo_shared.protocol import ProtocolError

# status: state 1 (sitting) = 01; tilt -1234 cdeg = 0x10000-1234 = 0xFB2E -> 2E FB; bout 754 s = 0x02F2
# -> F2 02; battery 87 % = 0x57; flags PROMPT (0x01) | RAW_STREAM (0x04) = 0x05; head_seq 1000 =
# 0x3E8 -> E8 03 00 00; t_s 1700000000 = 0x6553F100 -> 00 F1 53 65. Body 1+2+2+1+1+4+4 = 15 = 0x0F.
STATUS = bytes((0x10, 0x01, 0x0F, 0x01, 0x2E, 0xFB, 0xF2, 0x02, 0x57, 0x05,
                0xE8, 0x03, 0x00, 0x00, 0x00, 0xF1, 0x53, 0x65))

# minute: seq 258 = 0x102 -> 02 01 00 00; t_s 1700000040 = 0x6553F128 -> 28 F1 53 65; tilt mean -1500 =
# 0xFA24 -> 24 FA; min -2000 = 0xF830 -> 30 F8; max 300 = 0x012C -> 2C 01; transitions 2; seconds per
# state (unknown 0, sitting 40, standing 15, walking 5, lying 0, not worn 0) = 00 28 0F 05 00 00.
# Body 4+4+2+2+2+1+6 = 21 = 0x15.
MINUTE = bytes((0x10, 0x10, 0x15, 0x02, 0x01, 0x00, 0x00, 0x28, 0xF1, 0x53, 0x65, 0x24, 0xFA, 0x30, 0xF8,
                0x2C, 0x01, 0x02, 0x00, 0x28, 0x0F, 0x05, 0x00, 0x00))

# event: seq 7; t_s 1700000100 = 0x6553F164 -> 64 F1 53 65; kind 18 (prompt) = 0x12; a 1800 = 0x708 ->
# 08 07 00 00; b -1 -> FF FF FF FF. Body 4+4+1+4+4 = 17 = 0x11; the payload is 20 bytes, so it fits a
# notification before any MTU exchange.
EVENT = bytes((0x10, 0x11, 0x11, 0x07, 0x00, 0x00, 0x00, 0x64, 0xF1, 0x53, 0x65, 0x12,
               0x08, 0x07, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF))

# sync_start: host_id 0xA1B2C3D4 -> D4 C3 B2 A1; from_seq 1000 -> E8 03 00 00. Body 8.
SYNC_START = bytes((0x10, 0x20, 0x08, 0xD4, 0xC3, 0xB2, 0xA1, 0xE8, 0x03, 0x00, 0x00))

# Two settings in one write: sit_limit_s (id 1) = 1800 = 0x708; haptic (id 9) = 0. Each body 1+4 = 5.
SETTINGS_WRITE = bytes((0x10, 0x30, 0x05, 0x01, 0x08, 0x07, 0x00, 0x00,
                        0x30, 0x05, 0x09, 0x00, 0x00, 0x00, 0x00))

# set_time: epoch 1700000000 -> 00 F1 53 65; UTC offset +60 min = 3C 00. Body 6.
SET_TIME = bytes((0x10, 0x41, 0x06, 0x00, 0xF1, 0x53, 0x65, 0x3C, 0x00))

# result: answering a setting write (0x30) with out_of_range (2) for setting id 1.
RESULT = bytes((0x10, 0x4F, 0x03, 0x30, 0x02, 0x01))

# gap then sync_end in one history notification: gap first 5, count 3, reason overwritten (1): body 9;
# sync_end next 20 = 0x14, oldest 8, lost 3, overwritten 7, corrupt 0, log_id 0xCAFEF00D -> 0D F0 FE CA:
# body 24 = 0x18.
GAP_END = bytes((0x10, 0x12, 0x09, 0x05, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
                 0x13, 0x18, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
                 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0D, 0xF0, 0xFE, 0xCA))

# raw: counter 1; t_end_us 5; 4096 LSB/g = 00 10; 16 LSB/dps = 10 00; one sample (1, -2, 3, 4, 5, 6) =
# 01 00 FE FF 03 00 04 00 05 00 06 00. Body 2+4+2+2 + 12 = 22 = 0x16.
RAW = bytes((0x10, 0x50, 0x16, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x10, 0x10, 0x00,
             0x01, 0x00, 0xFE, 0xFF, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00))


def _one(payload):
    message = codec.decode(payload)
    assert (message.major, message.minor) == (1, 0)
    assert message.skipped == []
    assert len(message.items) == 1, message.items
    return message.items[0]


def test_status_golden_bytes():
    buf = bytearray(20)
    buf[0] = protocol.VERSION_BYTE
    end = protocol.pack_item(buf, 1, protocol.ITEM_STATUS, vocab.STATE_SITTING, -1234, 754, 87,
                             protocol.STATUS_FLAG_PROMPT | protocol.STATUS_FLAG_RAW_STREAM, 1000, 1700000000)
    assert bytes(buf[:end]) == STATUS
    item = _one(STATUS)
    assert item.name == "status"
    assert item.fields == {"state": 1, "tilt_cdeg": -1234, "bout_s": 754, "battery_pct": 87, "flags": 5,
                           "head_seq": 1000, "t_s": 1700000000}
    assert len(STATUS) <= protocol.max_payload(protocol.DEFAULT_MTU)


def test_minute_golden_bytes():
    spent = (0, 40, 15, 5, 0, 0)
    encoded = codec.encode([("minute", {"seq": 258, "t_s": 1700000040, "tilt_mean_cdeg": -1500,
                                           "tilt_min_cdeg": -2000, "tilt_max_cdeg": 300, "transitions": 2,
                                           "seconds_per_state": spent})])
    assert encoded == MINUTE
    item = _one(MINUTE)
    assert item.fields == {"seq": 258, "t_s": 1700000040, "tilt_mean_cdeg": -1500, "tilt_min_cdeg": -2000,
                           "tilt_max_cdeg": 300, "transitions": 2, "seconds_per_state": spent}
    assert len(item["seconds_per_state"]) == len(vocab.STATES)


def test_event_golden_bytes_fit_twenty_bytes():
    buf = bytearray(20)
    buf[0] = protocol.VERSION_BYTE
    end = protocol.pack_item(buf, 1, protocol.ITEM_EVENT, 7, 1700000100, vocab.EVENT_PROMPT, 1800, -1)
    assert end == 20 and bytes(buf) == EVENT
    assert _one(EVENT).fields == {"seq": 7, "t_s": 1700000100, "kind": 18, "a": 1800, "b": -1}


def test_host_to_device_golden_bytes():
    assert codec.encode([("sync_start", {"host_id": 0xA1B2C3D4, "from_seq": 1000})]) == SYNC_START
    assert _one(SYNC_START).fields == {"host_id": 0xA1B2C3D4, "from_seq": 1000}
    assert codec.encode([("set_time", {"epoch_s": 1700000000, "utc_offset_min": 60})]) == SET_TIME
    written = codec.encode([
        ("setting", {"setting_id": protocol.setting_id("sit_limit_s"), "value": 1800}),
        ("setting", {"setting_id": protocol.setting_id("haptic"), "value": 0}),
    ])
    assert written == SETTINGS_WRITE
    message = codec.decode(SETTINGS_WRITE)
    assert [(protocol.setting_name(i["setting_id"]), i["value"]) for i in message.items] == [
        ("sit_limit_s", 1800), ("haptic", 0)]


def test_result_gap_and_raw_golden_bytes():
    assert _one(RESULT).fields == {"request": 0x30, "status": protocol.RESULT_OUT_OF_RANGE, "detail": 1}
    message = codec.decode(GAP_END)
    assert [i.name for i in message.items] == ["gap", "sync_end"]
    assert message.items[0].fields == {"first_seq": 5, "count": 3, "reason": protocol.GAP_OVERWRITTEN}
    assert message.items[1].fields == {"next_seq": 20, "oldest_seq": 8, "lost": 3, "overwritten": 7,
                                       "corrupt": 0, "log_id": 0xCAFEF00D}
    buf = bytearray(30)
    buf[0] = protocol.VERSION_BYTE
    samples = bytes((0x01, 0x00, 0xFE, 0xFF, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00))
    end = protocol.pack_tail_item(buf, 1, protocol.ITEM_RAW, samples, 1, 5, 4096, 16)
    assert bytes(buf[:end]) == RAW
    assert _one(RAW)["tail"] == (1, -2, 3, 4, 5, 6)


def test_newer_minor_items_and_fields_are_skipped():
    # Version 1.3 (0x13): an item 0x7E this version does not know (2 body bytes), then an event whose
    # body has 3 more bytes than 1.0's 17 (length 0x14). The event reads as before; 0x7E is listed.
    newer = bytes((0x13, 0x7E, 0x02, 0xAA, 0xBB)) + bytes((0x11, 0x14)) + EVENT[3:] + bytes((1, 2, 3))
    message = codec.decode(newer)
    assert (message.major, message.minor) == (1, 3)
    assert message.skipped == [0x7E]
    assert len(message.items) == 1
    assert message.items[0].fields == {"seq": 7, "t_s": 1700000100, "kind": 18, "a": 1800, "b": -1}


def test_unknown_major_is_rejected_with_the_one_error():
    exc = raises(ProtocolError, codec.decode, bytes((0x20,)) + EVENT[1:])
    assert "2.0" in str(exc) and "update" in str(exc)
    raises(ProtocolError, codec.decode, bytes((0x00,)) + EVENT[1:])


def test_malformed_payloads_raise_the_one_error():
    raises(ProtocolError, codec.decode, b"")
    raises(ProtocolError, codec.decode, STATUS[:-1])  # body shorter than its length byte says
    raises(ProtocolError, codec.decode, STATUS + bytes((0x01,)))  # half an item header
    # A status whose length byte says 14: shorter than 1.0's 15-byte body.
    raises(ProtocolError, codec.decode, bytes((0x10, 0x01, 0x0E)) + STATUS[3:17])
    # A raw item whose tail is 3 bytes: not a whole number of int16 samples.
    raises(ProtocolError, codec.decode, bytes((0x10, 0x50, 0x0D)) + RAW[3:13] + bytes(3))
    raises(ProtocolError, codec.decode, "10")


def test_version_byte_alone_is_an_empty_message():
    message = codec.decode(bytes((protocol.VERSION_BYTE,)))
    assert message.items == [] and message.skipped == []


def test_encoding_refuses_values_that_do_not_fit():
    buf = bytearray(20)
    raises(ProtocolError, protocol.pack_item, buf, 0, protocol.ITEM_STATUS, 1, 40000, 0, 0, 0, 0, 0)
    raises(ProtocolError, protocol.pack_item, buf, 0, protocol.ITEM_STATUS, 1, 0, 0, 0, 0, 0, -1)
    raises(ProtocolError, protocol.pack_item, buf, 0, protocol.ITEM_STATUS, 1, 0, 0)
    raises(ProtocolError, protocol.pack_item, buf, 10, protocol.ITEM_STATUS, 1, 0, 0, 0, 0, 0, 0)
    raises(ProtocolError, protocol.pack_item, buf, 0, 0x7E)
    raises(ProtocolError, codec.encode, [("setting", {"setting_id": 1})])
    raises(ProtocolError, codec.encode, [("no_such_item", {})])


def test_every_setting_has_one_wire_id_and_back():
    pairs = [pair.split(":") for pair in protocol.SETTING_IDS.split()]
    ids = [int(sid) for sid, _name in pairs]
    assert len(ids) == len(set(ids))
    assert sorted(name for _sid, name in pairs) == sorted(settings.names())
    assert [name for _sid, name in protocol.settings_in_order()] == [name for _sid, name in pairs]
    for name in settings.names():
        assert protocol.setting_name(protocol.setting_id(name)) == name
    assert protocol.setting_name(200) is None


def test_item_codes_and_names_are_unique_and_every_field_is_named():
    codes = [row[0] for row in protocol.ITEMS]
    names = [row[1] for row in protocol.ITEMS]
    assert len(codes) == len(set(codes)) and len(names) == len(set(names))
    for row in protocol.ITEMS:
        fields = codec.fields(row[0])  # raises if the format and the names disagree
        assert [f[0] for f in fields] == row[3].split(), row[1]
    assert protocol.STATE_COUNT == len(vocab.STATES)


def test_status_and_event_fit_before_an_mtu_exchange():
    limit = protocol.max_payload(protocol.DEFAULT_MTU)
    assert limit == 20
    assert 1 + protocol.ITEM_HEADER_SIZE + protocol.body_size(protocol.ITEM_STATUS) <= limit
    assert 1 + protocol.ITEM_HEADER_SIZE + protocol.body_size(protocol.ITEM_EVENT) <= limit
    assert protocol.max_payload(protocol.REQUESTED_MTU) == 244
    # A history notification carries the version byte and at least its largest item.
    largest = max(protocol.body_size(code) for code in (
        protocol.ITEM_MINUTE, protocol.ITEM_EVENT, protocol.ITEM_GAP, protocol.ITEM_SYNC_END))
    assert protocol.max_payload(protocol.HISTORY_MIN_MTU) == 1 + protocol.ITEM_HEADER_SIZE + largest
