"""The device log: records, reboots, the ring, host cursors, damage. Under MicroPython the log lives on
littlefs on a RAM flash chip (as on the board); under CPython in a temporary directory."""

import struct

from logtest import cleanup, fresh_root, read_file, remount, segment_files, write_file

from devtest import raises
from lumbo_fw import devlog
from lumbo_fw.devlog import DevLog
from lumbo_shared import codec, protocol, vocab

SPENT = (0, 40, 15, 5, 0, 0)


def teardown_function(_function=None):
    cleanup()


def event_bytes(seq, t_s, kind, a, b):
    # code 0x11, body 17 bytes: seq u32, t_s u32, kind u8, a i32, b i32 (see test_protocol for a golden payload)
    return struct.pack("<BBIIBii", 0x11, 17, seq, t_s, kind, a, b)


def minute_bytes(seq, t_s, spent, mean, low, high, transitions):
    # code 0x10, body 21 bytes: seq, t_s, tilt mean/min/max i16, transitions u8, 6 x u8 seconds per state
    return struct.pack("<BBIIhhhB6B", 0x10, 21, seq, t_s, mean, low, high, transitions, *spent)


def small_log(root, **kw):
    return DevLog(root, segment_records=kw.get("segment_records", 4), max_segments=kw.get("max_segments", 3),
                  max_hosts=kw.get("max_hosts", 2))


def test_records_read_back_as_protocol_items():
    log = DevLog(fresh_root())
    assert log.next_seq == 1 and len(log) == 0
    assert log.event(1700000000, vocab.EVENT_PROMPT, 1800, 0) == 1
    assert log.minute(1700000060, SPENT, -1500, -2000, 300, 2) == 2
    assert log.read(1) == event_bytes(1, 1700000000, vocab.EVENT_PROMPT, 1800, 0)
    assert log.read(2) == minute_bytes(2, 1700000060, SPENT, -1500, -2000, 300, 2)
    decoded = codec.decode(bytes((protocol.VERSION_BYTE,)) + log.read(2)).items[0]
    assert decoded.name == "minute" and decoded["seconds_per_state"] == SPENT
    assert log.read(3) is None and log.read(0) is None
    assert len(log) == 2 and log.oldest_seq == 1 and log.next_seq == 3


def test_log_survives_reboot():
    root = fresh_root()
    log = DevLog(root)
    for i in range(10):
        log.event(100 + i, vocab.EVENT_SIT_TO_STAND, i, 0)
    log_id = log.log_id
    remount()
    again = DevLog(root)
    assert again.next_seq == 11 and again.oldest_seq == 1 and again.log_id == log_id
    for i in range(10):
        assert again.read(1 + i) == event_bytes(1 + i, 100 + i, vocab.EVENT_SIT_TO_STAND, i, 0)
    assert again.event(200, vocab.EVENT_BOOT, 0, 0) == 11


def test_ring_overwrites_the_oldest_only_when_full_and_counts_the_loss():
    root = fresh_root()
    log = small_log(root)  # 3 segments of 4 records
    host = 0x1234
    log.ack(host, 0)
    for i in range(12):
        assert log.event(i, vocab.EVENT_WALK_START, i, 0) == i + 1
    # Full (12 slots) and nothing lost yet.
    assert log.oldest_seq == 1 and log.stats.overwritten == 0 and log.lost(host) == 0
    log.ack(host, 2)  # the host stored records 1 and 2
    assert log.event(12, vocab.EVENT_WALK_STOP, 0, 0) == 13
    # Segment 1-4 went; the host lacked 3 and 4, so it lost 2. A log_loss event follows the new record.
    assert log.oldest_seq == 5 and log.stats.overwritten == 4 and log.lost(host) == 2
    assert log.read(4) is None
    assert log.read(14) == event_bytes(14, 12, vocab.EVENT_LOG_LOSS, 2, 1)
    assert segment_files(root) == ["s00000005", "s00000009", "s0000000d"]
    remount()
    again = small_log(root)
    assert again.stats.overwritten == 4 and again.lost(host) == 2 and again.oldest_seq == 5


def test_a_host_that_acknowledged_everything_loses_nothing_to_the_ring():
    root = fresh_root()
    log = small_log(root)
    for i in range(12):
        log.event(i, vocab.EVENT_WORN, 0, 0)
    log.ack(7, 12)
    log.event(12, vocab.EVENT_WORN, 0, 0)
    assert log.stats.overwritten == 4 and log.lost(7) == 0
    assert log.next_seq == 14  # no log_loss event: no known host missed anything


def test_host_cursors_are_separate_persisted_and_only_move_forwards():
    root = fresh_root()
    log = small_log(root, segment_records=8)
    for i in range(6):
        log.event(i, vocab.EVENT_WORN, 0, 0)
    work, home = 0xAAAA0001, 0xBBBB0002
    assert log.acked(work) is None
    assert log.ack(work, 5) == 5
    assert log.ack(home, 2) == 2
    assert log.ack(work, 3) == 5  # a stale acknowledgement does not move the cursor back
    assert log.ack(home, 99) == 6  # nor past the newest record
    remount()
    again = small_log(root, segment_records=8)
    assert again.acked(work) == 5 and again.acked(home) == 6


def test_the_least_recently_used_host_makes_room():
    log = small_log(fresh_root(), max_hosts=2)
    log.event(0, vocab.EVENT_WORN, 0, 0)
    log.ack(1, 1)
    log.ack(2, 1)
    log.ack(1, 1)
    log.ack(3, 1)  # host 2 was used least recently
    assert log.acked(2) is None and log.acked(1) == 1 and log.acked(3) == 1


def test_a_corrupt_record_is_skipped_counted_and_sent_as_a_gap():
    root = fresh_root()
    log = small_log(root, segment_records=8)
    for i in range(5):
        log.event(i, vocab.EVENT_WORN, i, 0)
    path = root + "/" + segment_files(root)[0]
    data = bytearray(read_file(path))
    data[2 * devlog.SLOT_SIZE + 13] ^= 0x40  # one bit of record 3's field `a`
    write_file(path, data)
    remount()
    log = small_log(root, segment_records=8)
    assert log.read(3) is None and log.read(2) is not None and log.read(4) is not None
    assert log.read(3) is None
    assert log.stats.corrupt == 1  # counted once, however often it is read
    buf = bytearray(244)
    end = log.reader(1).fill(buf, 0, len(buf))
    message = codec.decode(bytes((protocol.VERSION_BYTE,)) + bytes(buf[:end]))
    assert [(i.name, i.fields.get("seq", i.fields.get("first_seq"))) for i in message.items] == [
        ("event", 1), ("event", 2), ("gap", 3), ("event", 4), ("event", 5)]
    assert message.items[2].fields == {"first_seq": 3, "count": 1, "reason": protocol.GAP_CORRUPT}


def test_a_torn_last_slot_spends_its_number_and_a_new_segment_starts():
    root = fresh_root()
    log = small_log(root, segment_records=8)
    for i in range(3):
        log.event(i, vocab.EVENT_WORN, i, 0)
    path = root + "/" + segment_files(root)[0]
    write_file(path, read_file(path) + bytes(11))  # a slot cut off after 11 bytes
    remount()
    log = small_log(root, segment_records=8)
    assert log.next_seq == 5  # 4 is spent
    assert log.event(9, vocab.EVENT_BOOT, 0, 0) == 5
    assert segment_files(root) == ["s00000001", "s00000005"]
    buf = bytearray(244)
    end = log.reader(1).fill(buf, 0, len(buf))
    items = codec.decode(bytes((protocol.VERSION_BYTE,)) + bytes(buf[:end])).items
    assert [i.name for i in items] == ["event", "event", "event", "gap", "event"]
    assert items[3].fields == {"first_seq": 4, "count": 1, "reason": protocol.GAP_CORRUPT}
    assert log.read(1) == event_bytes(1, 0, vocab.EVENT_WORN, 0, 0)


def test_junk_files_and_a_damaged_state_file_do_not_stop_the_log():
    root = fresh_root()
    log = small_log(root)
    log.event(0, vocab.EVENT_WORN, 0, 0)
    log.ack(5, 1)
    write_file(root + "/state", b"\x4c\x01garbage that fails its CRC")
    write_file(root + "/notes.txt", b"not a segment")
    write_file(root + "/sZZZZZZZZ", b"neither")
    write_file(root + "/state.new", b"a replacement cut short")
    remount()
    log = small_log(root)
    assert log.stats.corrupt == 1  # the state file
    assert log.acked(5) is None  # the cursor went with it; the host resumes from what it asks for
    assert log.read(1) == event_bytes(1, 0, vocab.EVENT_WORN, 0, 0)
    assert log.event(1, vocab.EVENT_WORN, 0, 0) == 2
    assert log.ack(5, 2) == 2


def test_a_drop_cut_short_is_finished_at_the_next_start_without_counting_twice():
    root = fresh_root()
    log = small_log(root)
    for i in range(12):
        log.event(i, vocab.EVENT_WORN, 0, 0)
    log.ack(9, 12)
    oldest = root + "/s00000001"
    kept = read_file(oldest)
    log.event(12, vocab.EVENT_WORN, 0, 0)  # drops s00000001
    write_file(oldest, kept)  # as if the power went after the state file was written, before the delete
    remount()
    log = small_log(root)
    assert segment_files(root) == ["s00000005", "s00000009", "s0000000d"]
    assert log.oldest_seq == 5 and log.stats.overwritten == 4 and log.lost(9) == 0


def test_the_reader_sends_every_record_once_in_payload_sized_chunks():
    for payload in (protocol.max_payload(protocol.HISTORY_MIN_MTU), 244):
        root = fresh_root()
        log = small_log(root, segment_records=5, max_segments=4)
        for i in range(28):
            if i % 3:
                log.event(i, vocab.EVENT_WORN, i, -i)
            else:
                log.minute(i, SPENT, i, -i, i, 1)
        # 20 slots. Record 21 drops 1-5 and a log_loss event follows it (22); record 26 drops 6-10 and
        # another follows (27): 28 records and 2 events are 30 numbers, 1-10 gone.
        reader = log.reader(0)
        seen = []
        gaps = []
        while not reader.done:
            buf = bytearray(payload)
            buf[0] = protocol.VERSION_BYTE
            end = reader.fill(buf, 1, payload)
            assert end > 1, "a chunk carried nothing"
            for item in codec.decode(bytes(buf[:end])).items:
                if item.name == "gap":
                    gaps.append((item["first_seq"], item["count"], item["reason"]))
                else:
                    seen.append(item["seq"])
        assert gaps == [(0, log.oldest_seq, protocol.GAP_OVERWRITTEN)]
        assert seen == list(range(log.oldest_seq, log.next_seq))
        assert log.stats.overwritten == 10 and log.next_seq == 31 and log.oldest_seq == 11


def test_bad_values_raise_and_store_nothing():
    log = DevLog(fresh_root())
    raises(ValueError, log.event, 0, 300, 0, 0)  # kind is one byte
    raises(ValueError, log.minute, 0, (1, 2, 3), 0, 0, 0, 0)  # not one entry per state
    raises(ValueError, log.minute, 0, SPENT, 40000, 0, 0, 0)  # tilt beyond int16
    raises(ValueError, log.event, -1, vocab.EVENT_WORN, 0, 0)  # time before the epoch
    assert log.next_seq == 1 and len(log) == 0


def test_the_default_budget_holds_fourteen_days():
    kept = (devlog.MAX_SEGMENTS - 1) * devlog.SEGMENT_RECORDS  # after a drop, one segment fewer
    minutes = 14 * 24 * 60
    assert kept >= minutes + 14 * 300, kept  # 300 events a day on top
    assert devlog.SEGMENT_RECORDS * devlog.SLOT_SIZE <= 4096  # one segment per 4 KB flash block
    assert devlog.MAX_SEGMENTS * 4096 <= 720 * 1024


def mpytest_a_full_segment_takes_one_4k_block_of_littlefs():
    # The flash budget rests on this: littlefs with the ESP32's 4096-byte blocks stores a segment of
    # SEGMENT_RECORDS slots (4088 bytes) in one block.
    import os

    import vfs
    from cutflash import FileFlash

    path = "/tmp/lumbo-lfs-%d.img" % os.urandom(1)[0]
    dev = FileFlash(path, 4096, 16)
    try:
        vfs.VfsLfs2.mkfs(dev)
        vfs.mount(vfs.VfsLfs2(dev), "/big")
        try:
            log = DevLog("/big/log")
            stat = os.statvfs("/big")
            free_before = stat[3]
            for segment in range(3):
                for i in range(devlog.SEGMENT_RECORDS):
                    log.event(i, vocab.EVENT_WORN, i, 0)
                assert free_before - os.statvfs("/big")[3] == segment + 1, "segment %d" % segment
        finally:
            vfs.umount("/big")
    finally:
        dev.close()
        os.remove(path)
