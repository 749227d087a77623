"""History sync across dropped links, several hosts and a wrapping ring, through the MicroPython
`bluetooth.BLE` API shape (fakeble models the stack), under CPython and MicroPython."""

from bletest import HOME, WORK, Rig, events, install_fake_bluetooth, restore

from lumbo_shared import codec, protocol, vocab


def setup_function(_function=None):
    install_fake_bluetooth()


def teardown_function(_function=None):
    restore()


def test_a_sync_cut_by_a_dropped_link_resumes_and_the_host_gets_each_record_once():
    rig = Rig()
    events(rig.log, 40)
    stored = []
    conn = rig.bonded(mtu=60)
    rig.ble.write(conn, rig.h["history"], codec.encode([("sync_start", {"host_id": 7, "from_seq": 1})]))
    rig.svc.poll()
    for payload in rig.ble.taken(conn, rig.h["history"]):
        for item in codec.decode(payload).items:
            assert item["seq"] not in stored
            stored.append(item["seq"])
    assert 0 < len(stored) < 40
    rig.ble.drop(conn)
    assert rig.svc.poll() is False  # the sync went with the link
    conn = rig.ble.connect(WORK)
    assert rig.ble.encrypt(conn)
    rig.ble.exchange_mtu(conn, 60)
    for item in rig.sync(conn, 7, max(stored) + 1):
        if item.name == "event":
            assert item["seq"] not in stored
            stored.append(item["seq"])
    assert sorted(stored) == list(range(1, 41))


def test_two_hosts_keep_their_own_cursors():
    rig = Rig()
    events(rig.log, 10)
    work = rig.bonded(WORK)
    home = rig.bonded(HOME)
    rig.sync(work, 0xAAAA, 1)
    rig.ble.write(work, rig.h["history"], codec.encode([("sync_ack", {"host_id": 0xAAAA, "acked_seq": 10})]))
    rig.sync(home, 0xBBBB, 1)
    rig.ble.write(home, rig.h["history"], codec.encode([("sync_ack", {"host_id": 0xBBBB, "acked_seq": 4})]))
    rig.svc.poll()
    events(rig.log, 2)
    assert [i["seq"] for i in rig.sync(work, 0xAAAA, protocol.SYNC_FROM_CURSOR) if i.name == "event"] == [11, 12]
    assert [i["seq"] for i in rig.sync(home, 0xBBBB, protocol.SYNC_FROM_CURSOR)
            if i.name == "event"] == list(range(5, 13))


def test_the_ring_wrapping_during_a_sync_is_reported_as_a_gap():
    rig = Rig()
    events(rig.log, 70)  # 64 slots: the first segment (1-16) went, and a log_loss event was logged
    conn = rig.bonded()
    items = rig.sync(conn, 9, 1)
    assert items[0].name == "gap" and items[0].fields == {
        "first_seq": 1, "count": 16, "reason": protocol.GAP_OVERWRITTEN}
    kinds = [i["kind"] for i in items if i.name == "event"]
    assert vocab.EVENT_LOG_LOSS in kinds
    assert items[-1]["overwritten"] == 16
