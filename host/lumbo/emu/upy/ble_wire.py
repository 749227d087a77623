"""The messages between the emulated `bluetooth` module (in the firmware's interpreter) and the bridge that
holds the BLE stack. One source for both ends; it runs under MicroPython and CPython.

A frame is a little-endian u16 length, then that many bytes:

    kind u8 | tag u16 | code u8 | items...

An item is `i` + int32, `b` + u16 length + bytes, or `n` (None). Kinds:

    CALL   firmware -> bridge, answered by one RESULT with the same tag (items: status, payload...)
    SEND   firmware -> bridge, no answer
    RESULT bridge -> firmware
    EVENT  bridge -> firmware, no answer (code = the IRQ number the firmware sees)
    ASK    bridge -> firmware, answered by one ANSWER with the same tag (code = IRQ number)
    ANSWER firmware -> bridge
"""

import struct

CALL = 1
SEND = 2
RESULT = 3
EVENT = 4
ASK = 5
ANSWER = 6

# Operations the firmware asks of the stack (the code of a CALL or SEND).
OP_HELLO = 1  # CALL (version) -> (status, addr_type, addr)
OP_CONFIG = 2  # CALL (name, value) -> (status, addr_type, addr)
OP_ADVERTISE = 3  # CALL (interval_us or None, adv_data or None, resp_data or None, connectable)
#                   -> (status, addr_type, addr): the address may change (a new resolvable private one)
OP_REGISTER = 4  # CALL (kind, uuid, flags, ...) -> (status, handle, handle, ...)
OP_NOTIFY = 5  # SEND (conn_handle, value_handle, data)
OP_INDICATE = 6  # SEND (conn_handle, value_handle, data)
OP_UPDATE = 7  # SEND (value_handle, data): a local write with send_update
OP_DISCONNECT = 8  # SEND (conn_handle,)
OP_PAIR = 9  # SEND (conn_handle,)
OP_PASSKEY = 10  # SEND (conn_handle, action, passkey)
OP_STOP = 11  # CALL () -> (status,): the radio is switched off

# Kinds of entry in an OP_REGISTER call, in definition order.
REG_SERVICE = 1
REG_CHARACTERISTIC = 2
REG_DESCRIPTOR = 3

VERSION = 1

_I = 0x69
_B = 0x62
_N = 0x6E


def encode(kind, tag, code, items):
    """One frame, length prefix included."""
    parts = [struct.pack("<BHB", kind, tag, code)]
    for item in items:
        if item is None:
            parts.append(b"n")
        elif isinstance(item, int):
            parts.append(struct.pack("<Bi", _I, item))
        else:
            data = bytes(item)
            parts.append(struct.pack("<BH", _B, len(data)))
            parts.append(data)
    body = b"".join(parts)
    return struct.pack("<H", len(body)) + body


def decode(body):
    """(kind, tag, code, items) from a frame without its length prefix."""
    kind, tag, code = struct.unpack_from("<BHB", body, 0)
    items = []
    pos = 4
    end = len(body)
    while pos < end:
        marker = body[pos]
        if marker == _I:
            items.append(struct.unpack_from("<i", body, pos + 1)[0])
            pos += 5
        elif marker == _B:
            size = struct.unpack_from("<H", body, pos + 1)[0]
            items.append(bytes(body[pos + 3:pos + 3 + size]))
            pos += 3 + size
        elif marker == _N:
            items.append(None)
            pos += 1
        else:
            raise ValueError("bad item marker 0x%02x in a radio frame" % marker)
    return kind, tag, code, items


def split(buffer):
    """Complete frame bodies at the front of `buffer` (a bytearray), removed from it."""
    frames = []
    while len(buffer) >= 2:
        size = buffer[0] | (buffer[1] << 8)
        if len(buffer) < 2 + size:
            break
        frames.append(bytes(buffer[2:2 + size]))
        buffer[:] = buffer[2 + size:]
    return frames
