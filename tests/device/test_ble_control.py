"""The control point and the raw stream through the MicroPython `bluetooth.BLE` API shape (fakeble
models the stack), under CPython and MicroPython."""

from bletest import HOME, Rig, events, install_fake_bluetooth, restore

from lumbo_fw.ble_security import BondStore
from lumbo_fw.settings_store import SettingsStore
from lumbo_shared import codec, protocol


def setup_function(_function=None):
    install_fake_bluetooth()


def teardown_function(_function=None):
    restore()


def test_control_commands_are_carried_out_and_answered():
    rig = Rig()
    conn = rig.bonded()
    cp = rig.h["control"]
    rig.ble.write(conn, cp, codec.encode([("set_time", {"epoch_s": 1700000000, "utc_offset_min": 60})]))
    rig.ble.write(conn, cp, codec.encode([("snooze", {"duration_s": 0})]))
    rig.svc.poll()
    assert rig.actions.calls == [("set_time", 1700000000, 60), ("snooze", 0)]
    assert [r["status"] for r in rig.results(conn, "control")] == [0, 0]
    rig.ble.write(conn, cp, codec.encode([("calibrate", {})]))
    rig.svc.poll()
    assert rig.results(conn, "control") == [{"request": 0x40, "status": protocol.RESULT_OUT_OF_RANGE, "detail": 0}]
    assert rig.ble.write(conn, cp, codec.encode([("setting", {"setting_id": 1, "value": 1})])) == 0x81
    assert rig.ble.write(conn, cp, codec.encode([("factory_reset", {"confirm": 1})])) == 0x84
    assert rig.ble.write(conn, cp, codec.encode([("open_pairing", {"window_s": 0})])) == 0xFF
    assert [r["status"] for r in rig.results(conn, "control")] == [1, 4, 2]
    assert len(rig.bonds) == 2 and rig.log.next_seq == 1


def test_factory_reset_forgets_bonds_settings_and_the_log():
    rig = Rig()
    conn = rig.bonded()
    events(rig.log, 5)
    old_id = rig.log.log_id
    rig.store.update({"sit_limit_s": 900})
    rig.ble.write(conn, rig.h["control"], codec.encode([
        ("factory_reset", {"confirm": protocol.FACTORY_RESET_CONFIRM})]))
    rig.svc.poll()
    assert rig.results(conn, "control")[0]["status"] == 0
    rig.ble.pump()
    assert conn not in rig.ble.conns and ("factory_reset",) in rig.actions.calls
    assert len(BondStore(rig.base + "/bonds")) == 0
    assert SettingsStore(rig.base + "/settings").values["sit_limit_s"] == 1800
    assert rig.log.next_seq == 1 and len(rig.log) == 0 and rig.log.log_id != old_id


def test_the_raw_stream_goes_to_the_host_that_asked_while_it_is_on():
    rig = Rig()
    conn = rig.bonded(mtu=100)
    other = rig.bonded(HOME)
    rig.ble.write(conn, rig.h["control"], codec.encode([("raw_start", {})]))
    rig.svc.poll()
    rig.ble.taken()
    samples = list(range(-30, 30))  # 10 samples of six values
    assert rig.svc.send_raw(samples, 10, 123456, 4096, 16) == 10
    counters = []
    received = []
    for payload in rig.ble.taken(conn, rig.h["raw"]):
        raw = codec.decode(payload).first("raw")
        assert raw["accel_lsb_per_g"] == 4096 and raw["t_end_us"] == 123456
        counters.append(raw["counter"])
        received.extend(raw["tail"])
    # MTU 100: 97 bytes a notification; version, item header and 10 header bytes leave 84: 7 samples.
    assert counters == [0, 1]
    assert received == samples
    assert rig.ble.taken(other, rig.h["raw"]) == []
    assert codec.decode(rig.ble.read(conn, rig.h["status"])).first("status")["flags"] & 0x04
    rig.ble.write(conn, rig.h["control"], codec.encode([("raw_stop", {})]))
    rig.svc.poll()
    assert rig.svc.send_raw(samples, 10, 0, 4096, 16) == 0
    assert rig.actions.calls == [("raw_stream", True), ("raw_stream", False)]
