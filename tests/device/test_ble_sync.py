"""History sync through the MicroPython `bluetooth.BLE` API shape (fakeble models the stack), under
CPython and MicroPython: payload sizes, the MTU it needs, a stack that runs out of buffers."""

from bletest import Rig, events, install_fake_bluetooth, restore

from lumbo_shared import codec, protocol


def setup_function(_function=None):
    install_fake_bluetooth()


def teardown_function(_function=None):
    restore()


def test_history_sync_streams_every_record_once_in_mtu_sized_notifications():
    rig = Rig()
    events(rig.log, 14)
    for i in range(10):
        rig.log.minute(1700010000 + 60 * i, (0, 50, 10, 0, 0, 0), -1500, -2000, -1000, 1)
    conn = rig.bonded(mtu=100)
    items = rig.sync(conn, 0x1111, 1)
    seqs = [i["seq"] for i in items if i.name in ("event", "minute")]
    assert seqs == list(range(1, 25))
    end = items[-1]
    assert end.name == "sync_end" and end["next_seq"] == 25 and end["oldest_seq"] == 1
    assert end["log_id"] == rig.log.log_id and end["lost"] == 0
    assert [i.name for i in items].count("minute") == 10
    rig.ble.write(conn, rig.h["history"], codec.encode([("sync_ack", {"host_id": 0x1111, "acked_seq": 24})]))
    rig.svc.poll()
    assert rig.log.acked(0x1111) == 24
    # Nothing new: a resumed sync sends only its end.
    assert [i.name for i in rig.sync(conn, 0x1111, protocol.SYNC_FROM_CURSOR)] == ["sync_end"]


def test_sync_needs_an_mtu_that_holds_a_minute():
    rig = Rig()
    events(rig.log, 3)
    conn = rig.bonded(mtu=23)
    items = rig.sync(conn, 0x1111, 1)
    assert [i.fields for i in items] == [{"request": 0x20, "status": protocol.RESULT_MTU_TOO_SMALL, "detail": 0}]
    rig.ble.exchange_mtu(conn, protocol.HISTORY_MIN_MTU)
    assert [i.name for i in rig.sync(conn, 0x1111, 1)] == ["event", "event", "event", "sync_end"]


def test_full_stack_buffers_slow_the_sync_without_losing_or_repeating_records():
    rig = Rig()
    events(rig.log, 50)
    conn = rig.bonded(mtu=40)
    rig.ble.write(conn, rig.h["history"], codec.encode([("sync_start", {"host_id": 3, "from_seq": 1})]))
    seqs = []
    polls = 0
    ended = False
    while not ended and polls < 500:
        rig.ble.room = 1  # the stack takes one notification per poll, then reports ENOMEM
        busy = rig.svc.poll()
        polls += 1
        for payload in rig.ble.taken(conn, rig.h["history"]):
            for item in codec.decode(payload).items:
                if item.name == "sync_end":
                    ended = True
                else:
                    seqs.append(item["seq"])
        assert busy or ended
    assert ended and seqs == list(range(1, 51)) and polls > 10
