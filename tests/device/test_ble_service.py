"""Status, live events and configuration through the MicroPython `bluetooth.BLE` API shape (fakeble
models the stack), under CPython and MicroPython."""


from bletest import STRANGER, Rig, events, install_fake_bluetooth, restore

from lumbo_fw.settings_store import SettingsStore
from lumbo_shared import codec, protocol, vocab


def setup_function(_function=None):
    install_fake_bluetooth()


def teardown_function(_function=None):
    restore()


def test_status_is_read_and_notified_to_bonded_hosts_only():
    rig = Rig()
    conn = rig.bonded()
    stranger = rig.ble.connect(STRANGER)
    events(rig.log, 3)
    rig.ble.taken()
    rig.svc.set_status(vocab.STATE_SITTING, -1234, 754, 87, protocol.STATUS_FLAG_PROMPT, 1700000000)
    status = codec.decode(rig.ble.read(conn, rig.h["status"])).first("status")
    assert (status["state"], status["tilt_cdeg"], status["bout_s"], status["battery_pct"]) == (1, -1234, 754, 87)
    assert status["head_seq"] == 4 and status["t_s"] == 1700000000
    assert status["flags"] & protocol.STATUS_FLAG_PROMPT
    notes = rig.ble.taken(conn, rig.h["status"])
    assert len(notes) == 1 and len(notes[0]) <= 20
    assert rig.ble.taken(stranger) == []


def test_events_go_out_live_within_twenty_bytes():
    rig = Rig()
    conn = rig.bonded(mtu=23)
    rig.log.event(1700000000, vocab.EVENT_PROMPT, 1800, 0)
    notes = rig.ble.taken(conn, rig.h["events"])
    assert len(notes) == 1 and len(notes[0]) == 20
    assert codec.decode(notes[0]).first("event").fields == {
        "seq": 1, "t_s": 1700000000, "kind": vocab.EVENT_PROMPT, "a": 1800, "b": 0}
    rig.log.minute(1700000060, (0, 60, 0, 0, 0, 0), 0, 0, 0, 0)
    assert rig.ble.taken(conn, rig.h["events"]) == []  # minute summaries travel by sync only


def test_a_good_configuration_write_is_applied_stored_and_answered():
    rig = Rig()
    conn = rig.bonded()
    write = codec.encode([("setting", {"setting_id": protocol.setting_id("sit_limit_s"), "value": 2400}),
                             ("setting", {"setting_id": protocol.setting_id("haptic"), "value": 0})])
    assert not rig.ble.write(conn, rig.h["config"], write)
    assert rig.results(conn, "config") == [{"request": 0x30, "status": 0, "detail": 0}]
    rig.svc.poll()
    assert ("settings_changed", 2400) in rig.actions.calls
    values = {protocol.setting_name(i["setting_id"]): i["value"]
              for i in codec.decode(rig.ble.read(conn, rig.h["config"])).items}
    assert values["sit_limit_s"] == 2400 and values["haptic"] == 0 and len(values) == 9
    assert SettingsStore(rig.base + "/settings").values["sit_limit_s"] == 2400


def test_a_bad_configuration_write_gets_an_att_error_and_changes_nothing():
    rig = Rig()
    conn = rig.bonded()
    value_before = rig.ble.read(conn, rig.h["config"])
    store_before = dict(rig.store.values)
    sit, reprompt = protocol.setting_id("sit_limit_s"), protocol.setting_id("reprompt_s")
    cases = (
        # (payload, ATT error, result status, detail)
        (codec.encode([("setting", {"setting_id": reprompt, "value": 900}),
                          ("setting", {"setting_id": sit, "value": 10})]), 0xFF, 2, sit),
        (codec.encode([("setting", {"setting_id": reprompt, "value": 3600}),
                          ("setting", {"setting_id": sit, "value": 1800})]), 0xFF, 2, reprompt),
        (codec.encode([("setting", {"setting_id": 200, "value": 1})]), 0x81, 1, 200),
        (codec.encode([("snooze", {"duration_s": 60})]), 0x81, 1, 0),
        (bytes((0x10, 0x30, 0x05, 0x01, 0x08)), 0x83, 3, 0),
        (bytes((0x20, 0x30, 0x05, 0x01, 0x08, 0x07, 0x00, 0x00)), 0x86, 6, 0),
        (b"", 0x83, 3, 0),
    )
    for payload, att, status, detail in cases:
        assert rig.ble.write(conn, rig.h["config"], payload) == att, payload
        result = rig.results(conn, "config")
        assert result[0]["status"] == status and result[0]["detail"] == detail, (payload, result)
        assert rig.ble.read(conn, rig.h["config"]) == value_before
        assert rig.store.values == store_before
    rig.svc.poll()
    assert not [c for c in rig.actions.calls if c[0] == "settings_changed"]
