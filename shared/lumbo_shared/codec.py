"""Whole payloads to named fields and back, from the tables in lumbo_shared.protocol.

The host decodes everything the device sends with decode(), and tests build payloads with encode(). Both
run under CPython and MicroPython; the firmware itself packs and walks items with protocol's functions and
does not load this module. Malformed input raises protocol.ProtocolError and nothing else.
"""

import struct

from lumbo_shared import protocol
from lumbo_shared.protocol import ProtocolError


def fields_of(fmt, names):
    """((name, struct code, count), ...) from a format and its space-separated field names."""
    kinds = []
    repeat = 0
    for kind in fmt[1:]:
        if "0" <= kind <= "9":
            repeat = repeat * 10 + ord(kind) - 48
        else:
            kinds.append((kind, repeat if repeat else 1))
            repeat = 0
    names = names.split()
    if len(names) != len(kinds):
        raise ProtocolError("format %s has %d fields but %d names" % (fmt, len(kinds), len(names)))
    return tuple((names[i], kinds[i][0], kinds[i][1]) for i in range(len(names)))


_NAMES = {}  # code -> ((field name, struct code, count), ...)
_CODES = {}  # item name -> code
for _row in protocol.ITEMS:
    _NAMES[_row[0]] = fields_of(_row[2], _row[3])
    _CODES[_row[1]] = _row[0]


RESULT_NAMES = ("ok", "unknown_request", "out_of_range", "malformed", "not_permitted", "busy",
                "unsupported_version", "mtu_too_small")


def version_byte(major, minor):
    if not (0 <= major <= 15 and 0 <= minor <= 15):
        raise ProtocolError("version %d.%d does not fit one byte (0-15 each)" % (major, minor))
    return (major << 4) | minor


def result_name(status):
    return RESULT_NAMES[status] if 0 <= status < len(RESULT_NAMES) else "result_%d" % status


def item_code(name):
    code = _CODES.get(name)
    if code is None:
        raise ProtocolError("unknown item '%s'; known: %s" % (name, ", ".join(sorted(_CODES))))
    return code


def item_name(code):
    return protocol.entry(code)[1] if protocol.known(code) else "item_0x%02x" % code


def fields(code):
    """((name, struct code, count), ...) of an item's fields in wire order."""
    protocol.entry(code)
    return _NAMES[code]


class Item:
    """One decoded item: code, name and its fields as a dict (array fields as tuples; `tail` if any)."""

    def __init__(self, code, name, fields):
        self.code = code
        self.name = name
        self.fields = fields

    def __getitem__(self, key):
        return self.fields[key]

    def __eq__(self, other):
        return isinstance(other, Item) and self.code == other.code and self.fields == other.fields

    def __repr__(self):
        return "Item(%s, %r)" % (self.name, self.fields)


class Message:
    """A decoded payload: the sender's version, its items in order, and the codes of skipped items."""

    def __init__(self, major, minor, items, skipped):
        self.major = major
        self.minor = minor
        self.items = items
        self.skipped = skipped

    def first(self, name):
        """The first item called `name`; ProtocolError if there is none."""
        for item in self.items:
            if item.name == name:
                return item
        raise ProtocolError("the payload has no %s item (it has: %s)" % (
            name, ", ".join(i.name for i in self.items) or "no items"))


def decode_item(code, payload, offset, length):
    """One known item's body as an Item."""
    row = protocol.entry(code)
    flat = protocol.unpack_fields(code, payload, offset, length)
    values = {}
    i = 0
    for name, _kind, count in _NAMES[code]:
        values[name] = flat[i] if count == 1 else tuple(flat[i:i + count])
        i += count
    tail = row[4]
    if tail is not None:
        fixed = struct.calcsize(row[2])
        element = struct.calcsize(tail)
        extra = length - fixed
        if extra % element:
            raise ProtocolError("%s tail is %d bytes, not a whole number of %d-byte elements" % (
                row[1], extra, element))
        n = extra // element
        values["tail"] = struct.unpack_from("<%d%s" % (n, tail), payload, offset + fixed) if n else ()
    return Item(code, row[1], values)


def decode(payload):
    """Decode a whole payload. Returns a Message; raises ProtocolError (and nothing else) if malformed.

    Unknown items are skipped (their codes listed in Message.skipped); bytes after the fields this
    version knows are ignored, as the versioning policy says.
    """
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise ProtocolError("a payload is bytes, not %s" % type(payload).__name__)
    major, minor = protocol.check_version(payload)
    items = []
    skipped = []
    for code, body, length in protocol.iter_items(payload):
        if protocol.known(code):
            items.append(decode_item(code, payload, body, length))
        else:
            skipped.append(code)
    return Message(major, minor, items, skipped)


def encode(items, minor=protocol.VERSION_MINOR):
    """Encode [(item name, {field: value})] as one payload. ProtocolError for anything not encodable.

    An item with a tail array takes it as the field "tail" (a sequence of integers).
    """
    parts = [bytes((version_byte(protocol.VERSION_MAJOR, minor),))]
    for name, given in items:
        code = item_code(name)
        row = protocol.entry(code)
        flat = []
        for fname, _kind, count in _NAMES[code]:
            if fname not in given:
                raise ProtocolError("%s needs field '%s'" % (name, fname))
            value = given[fname]
            if count == 1:
                flat.append(value)
            elif len(value) != count:
                raise ProtocolError("%s.%s has %d values; it needs %d" % (name, fname, len(value), count))
            else:
                flat.extend(value)
        fixed = struct.calcsize(row[2])
        if row[4] is None:
            if "tail" in given:
                raise ProtocolError("%s has no tail array" % name)
            buf = bytearray(protocol.ITEM_HEADER_SIZE + fixed)
            protocol.pack_item(buf, 0, code, *flat)
        else:
            tail = given.get("tail", ())
            low, high = protocol.value_range(row[4])
            for value in tail:
                if not isinstance(value, int) or not low <= value <= high:
                    raise ProtocolError("%s tail value %r does not fit: %d to %d" % (name, value, low, high))
            tail_bytes = struct.pack("<%d%s" % (len(tail), row[4]), *tail)
            buf = bytearray(protocol.ITEM_HEADER_SIZE + fixed + len(tail_bytes))
            protocol.pack_tail_item(buf, 0, code, tail_bytes, *flat)
        parts.append(bytes(buf))
    return b"".join(parts)
