"""Security of the GATT service through the MicroPython `bluetooth.BLE` API shape (fakeble models the
stack), under CPython and MicroPython: advertising, encryption flags, bonds, the pairing window. The
end-to-end tests over the emulated radio are in tests/test_ble_e2e.py."""

from binascii import unhexlify

from bletest import HOME, STRANGER, WORK, Rig, events, fresh_dir, install_fake_bluetooth, restore
from fakeble import FLAG_NOTIFY, FLAG_READ, FLAG_READ_ENCRYPTED, FLAG_WRITE, FLAG_WRITE_ENCRYPTED, AttError

from devtest import raises
from lumbo_fw import FIRMWARE_VERSION
from lumbo_fw.ble_security import BondStore, PairingWindow
from lumbo_fw.ble_service import advertising_payload, uuid_le
from lumbo_shared import codec, protocol, vocab


def setup_function(_function=None):
    install_fake_bluetooth()


def teardown_function(_function=None):
    restore()


def test_advertisement_carries_the_service_uuid_and_a_short_name_in_31_bytes():
    payload = advertising_payload()
    assert len(payload) <= 31
    # flags: length 2, type 0x01, LE General Discoverable + BR/EDR not supported = 0x06
    assert payload[0:3] == bytes((2, 0x01, 0x06))
    # complete list of 128-bit UUIDs: length 17, type 0x07, the UUID least significant byte first
    assert payload[3:5] == bytes((17, 0x07))
    assert payload[5:21] == bytes(reversed(unhexlify(protocol.SERVICE_UUID.replace("-", ""))))
    assert payload[5] == 0x1E and payload[20] == 0xE8  # ...1d1e -> 1E first; e8ba0001... -> E8 last
    assert payload[21:] == bytes((6, 0x09)) + b"lumbo"
    raises(ValueError, advertising_payload, "a-much-longer-name")
    assert uuid_le("00000000-0000-0000-0000-0000000000ff")[0] == 0xFF


def test_start_registers_encrypted_characteristics_and_advertises_privately():
    rig = Rig()
    ble, h = rig.ble, rig.h
    assert ble.adv == advertising_payload() and ble.adv_interval_us == 20000
    assert ble.settings["addr_mode"] == 2  # resolvable private address
    assert ble.settings["le_secure"] is True and ble.settings["io"] == 3 and ble.settings["mtu"] == 247
    for name in ("status", "config", "battery"):
        assert ble.flags[h[name]] & FLAG_READ and ble.flags[h[name]] & FLAG_READ_ENCRYPTED, name
    for name in ("history", "config", "control"):
        assert ble.flags[h[name]] & FLAG_WRITE and ble.flags[h[name]] & FLAG_WRITE_ENCRYPTED, name
    for name in ("events", "raw", "history", "control"):
        assert not ble.flags[h[name]] & FLAG_READ and ble.flags[h[name]] & FLAG_NOTIFY, name
    every_readable = [hd for hd in ble.flags if ble.flags[hd] & FLAG_READ]
    assert len(every_readable) == 7  # status, config, battery and four device-information strings
    assert all(ble.flags[hd] & FLAG_READ_ENCRYPTED for hd in every_readable)
    strings = [bytes(ble.values[hd]) for hd in every_readable if ble.uuids[hd].value in (0x2A26, 0x2A28)]
    assert sorted(strings) == sorted([FIRMWARE_VERSION.encode(), protocol.PROTOCOL_VERSION.encode()])


def test_a_central_without_a_bond_reads_and_writes_nothing():
    rig = Rig()
    ble, h = rig.ble, rig.h
    rig.svc.set_status(vocab.STATE_SITTING, -1200, 60, 80, 0, 1700000000)
    before = rig.store.values["sit_limit_s"]
    conn = ble.connect(STRANGER)
    for name in ("status", "config", "battery"):
        assert raises(AttError, ble.read, conn, h[name]).code == 0x0F
    write = codec.encode([("setting", {"setting_id": 1, "value": 900})])
    assert raises(AttError, ble.write, conn, h["config"], write).code == 0x0F
    # Encrypted but not bonded (the central declined to bond): refused, then disconnected.
    ble.pair(conn, central_bonds=False)
    assert raises(AttError, ble.read, conn, h["status"]).code == 0x08
    assert ble.write(conn, h["config"], write) == 0x08  # insufficient authorization, as for the read
    assert rig.store.values["sit_limit_s"] == before
    assert rig.svc.poll() is False
    rig.svc.set_status(vocab.STATE_SITTING, -1200, 61, 80, 0, 1700000001)
    events(rig.log, 2)
    assert ble.taken(conn) == []  # no notification of any kind reached it
    ble.pump()
    assert conn not in ble.conns, "an encrypted link without a bond must be dropped"


def test_new_bonds_only_while_the_pairing_window_is_open():
    rig = Rig()
    ble = rig.ble
    assert ble.settings["bond"] is True  # first start, no bond yet: the window is open
    work = rig.bonded(WORK)
    assert rig.svc.connections()[0][1:3] == (True, True)
    rig.now[0] += 301 * 1000  # five minutes later
    rig.svc.poll()
    assert ble.settings["bond"] is False
    stranger = ble.connect(STRANGER)
    ble.pair(stranger)
    assert raises(AttError, ble.read, stranger, rig.h["status"]).code == 0x08
    ble.pump()
    assert stranger not in ble.conns
    assert len(rig.bonds) == 2  # only the work laptop's two secrets
    # The bonded laptop comes back after the window closed: it encrypts with its bond and is served.
    ble.drop(work)
    work = ble.connect(WORK)
    assert ble.encrypt(work)
    assert codec.decode(ble.read(work, rig.h["status"])).first("status")
    # A long press opens the window again for a second laptop.
    rig.svc.open_pairing_window(120)
    assert ble.settings["bond"] is True
    home = rig.bonded(HOME)
    assert codec.decode(ble.read(home, rig.h["config"])).items
    status = codec.decode(ble.read(home, rig.h["status"])).first("status")
    assert status["flags"] & protocol.STATUS_FLAG_PAIRING_OPEN


def test_bond_secrets_survive_a_restart():
    rig = Rig()
    rig.bonded(WORK)
    rig.svc.poll()  # secrets are written outside the IRQ handler
    again = BondStore(rig.base + "/bonds")
    assert len(again) == 2 and again.get(2, 0, WORK) == bytes((2,)) + WORK
    assert again.get(2, 0, None) == bytes((2,)) + WORK and again.get(2, 1, None) is None
    assert not again.damaged


def test_a_damaged_bond_file_is_noticed_not_trusted():
    base = fresh_dir() + "/secrets"
    store = BondStore(base + "-bonds")
    assert store.set(1, b"peer", b"secret", True) and not store.set(1, b"other", b"s", False)
    store.save()
    assert BondStore(base + "-bonds").get(1, 0, b"peer") == b"secret"
    with open(base + "-bonds", "rb") as f:
        data = bytearray(f.read())
    data[5] ^= 1
    with open(base + "-bonds", "wb") as f:
        f.write(data)
    damaged = BondStore(base + "-bonds")
    assert damaged.damaged and len(damaged) == 0
    window = PairingWindow(lambda: 0)
    raises(ValueError, window.open, 0)
    raises(ValueError, window.open, 601)


def test_a_link_that_never_secures_itself_is_dropped_to_free_its_slot():
    rig = Rig()
    work = rig.bonded(WORK)
    idle = rig.ble.connect(STRANGER)
    rig.now[0] += 29 * 1000
    rig.svc.poll()
    rig.ble.pump()
    assert idle in rig.ble.conns
    rig.now[0] += 2 * 1000
    rig.svc.poll()
    rig.ble.pump()
    assert idle not in rig.ble.conns and work in rig.ble.conns
