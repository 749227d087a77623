"""The emulated `bluetooth` module without a radio: its UUIDs, constants and errors match the board's."""

import errno

import bluetooth

from devtest import raises


def test_uuid_forms_and_byte_order():
    # A 16-bit UUID is stored little-endian, as the board's UUID buffer is.
    assert bytes(bluetooth.UUID(0x180F)) == b"\x0f\x18"
    assert len(bluetooth.UUID(0x180F)) == 2
    assert bytes(bluetooth.UUID(0x12345678)) == b"\x78\x56\x34\x12"
    full = bluetooth.UUID("6E400001-B5A3-F393-E0A9-E50E24DCCA9E")
    assert len(full) == 16
    assert bytes(full)[0] == 0x9E and bytes(full)[15] == 0x6E
    assert repr(full) == "UUID('6e400001-b5a3-f393-e0a9-e50e24dcca9e')"
    assert repr(bluetooth.UUID(0x2A19)) == "UUID(0x2a19)"


def test_uuid_equality_copies_and_bad_values():
    a = bluetooth.UUID(0x2A19)
    assert a == bluetooth.UUID(0x2A19)
    assert a == bluetooth.UUID(a)
    assert a == bluetooth.UUID(b"\x19\x2a")
    assert a != bluetooth.UUID(0x2A1A)
    assert a != b"\x19\x2a"
    assert {a: 1}[bluetooth.UUID(0x2A19)] == 1
    raises(ValueError, bluetooth.UUID, "not-a-uuid")
    raises(ValueError, bluetooth.UUID, b"\x01\x02\x03")
    raises(ValueError, bluetooth.UUID, -1)


def test_flags_are_the_documented_values():
    assert bluetooth.FLAG_READ == 0x0002
    assert bluetooth.FLAG_WRITE_NO_RESPONSE == 0x0004
    assert bluetooth.FLAG_WRITE == 0x0008
    assert bluetooth.FLAG_NOTIFY == 0x0010
    assert bluetooth.FLAG_INDICATE == 0x0020
    assert bluetooth.FLAG_READ_ENCRYPTED == 0x0200
    assert bluetooth.FLAG_WRITE_AUTHENTICATED == 0x2000


def test_inactive_radio_refuses_work_but_keeps_configuration():
    ble = bluetooth.BLE()
    assert ble is bluetooth.BLE()
    assert not ble.active()
    ble.config(gap_name="lumbo", mtu=247, bond=True, le_secure=True, io=3)
    assert ble.config("gap_name") == b"lumbo"
    assert ble.config("mtu") == 247
    assert ble.config("bond") == 1
    assert raises(OSError, ble.config, "mac").args[0] == errno.ENODEV
    assert raises(OSError, ble.gap_advertise, 20000, b"").args[0] == errno.ENODEV
    assert raises(OSError, ble.gatts_read, 1).args[0] == errno.ENODEV
    raises(ValueError, ble.config, "colour")
    raises(ValueError, lambda: ble.config(mtu=10))
