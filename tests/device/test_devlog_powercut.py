"""Power cuts while the device log writes, on littlefs (the board's filesystem) over a flash chip that loses
power mid-operation (cutflash.CutFlash). MicroPython only: CPython has no littlefs.

Each round: power up, mount, open the log (recovery runs), check that every record the log reported as
written is still there and intact, then write (events, minute summaries, acknowledgements from two hosts)
until the power dies after a random number of flash operations. Sometimes the cut is armed before the log
is opened, so recovery itself is interrupted. The ring is small, so it wraps many times over the run.
"""

import gc
import random

from logtest import MOUNT, cleanup, flash

from lumbo_fw.devlog import DevLog
from lumbo_shared import vocab

ROUNDS = 240
SEGMENT_RECORDS = 6
MAX_SEGMENTS = 4
HOSTS = (0x0A0A0A0A, 0x0B0B0B0B)
SPENT = (0, 30, 20, 10, 0, 0)


def teardown_function(_function=None):
    cleanup()


def _expected_event(seq, t_s, kind, a, b):
    import struct

    return struct.pack("<BBIIBii", 0x11, 17, seq, t_s, kind, a, b)


def _expected_minute(seq, t_s, mean):
    import struct

    return struct.pack("<BBIIhhhB6B", 0x10, 21, seq, t_s, mean, mean - 100, mean + 100, 1, *SPENT)


def _open(dev):
    import vfs

    vfs.mount(vfs.VfsLfs2(dev), MOUNT)
    return DevLog(MOUNT + "/log", segment_records=SEGMENT_RECORDS, max_segments=MAX_SEGMENTS, max_hosts=2)


def _unmount():
    import vfs

    try:
        vfs.umount(MOUNT)
    except OSError:
        pass  # nothing mounted: the cut came before the mount finished
    gc.collect()  # while the chip is dead: finalizers of files the cut left open must not touch it


def _check(log, reported, acked, attempt, stats):
    """Every reported record at or after the log's oldest is intact; the newest are all there."""
    oldest = log.oldest_seq
    newest = sorted(reported)[-SEGMENT_RECORDS:]
    for seq in newest:
        assert seq >= oldest, "record %d was dropped though the ring had room for it (oldest %d)" % (seq, oldest)
    for seq in reported:
        if seq >= oldest:
            got = log.read(seq)
            assert got == reported[seq], "record %d after the cut: %r, expected %r" % (seq, got, reported[seq])
    for host in HOSTS:
        if host in acked:
            assert log.acked(host) is not None and log.acked(host) >= acked[host], (
                "host %x: acknowledged %d before the cut, the log says %r" % (host, acked[host], log.acked(host)))
    if attempt is not None:
        # The record being written when the power went: either absent or whole.
        seq, expected = attempt
        got = log.read(seq)
        if got is not None:
            assert got == expected, "the interrupted record %d is damaged: %r" % (seq, got)
            stats["landed"] += 1
    if reported:
        assert log.next_seq > max(reported), "next_seq %d, but %d was reported written" % (
            log.next_seq, max(reported))
    assert log.stats.corrupt == 0, "littlefs never shows a torn record; the log found %d" % log.stats.corrupt


def mpytest_power_cut_at_random_moments_loses_no_reported_record():
    import vfs

    random.seed(20240607)
    cleanup()
    dev = flash()
    dev.revive()
    vfs.VfsLfs2.mkfs(dev)
    reported = {}
    acked = {}
    attempt = None
    t_s = 1700000000
    stats = {"cuts": 0, "during_open": 0, "landed": 0, "writes": 0}
    for _round in range(ROUNDS):
        dev.revive()
        cut_in_open = random.randint(0, 3) == 0
        if cut_in_open:
            dev.arm(random.randint(1, 3))
        try:
            log = _open(dev)
        except OSError:
            assert dev.dead, "opening the log failed without a power cut"
            stats["cuts"] += 1
            stats["during_open"] += 1
            _unmount()
            continue
        if cut_in_open and dev.left > 0:
            dev.disarm()
        _check(log, reported, acked, attempt, stats)
        for seq in [seq for seq in reported if seq < log.oldest_seq]:
            del reported[seq]  # gone with the ring, as allowed; keeps the heap small
        attempt = None
        dev.arm(random.randint(1, 60))
        try:
            while True:
                t_s += 60
                choice = random.randint(0, 9)
                if choice < 2:
                    host = HOSTS[random.randint(0, 1)]
                    upto = random.randint(max(log.oldest_seq - 1, 0), log.next_seq - 1)
                    now = log.ack(host, upto)
                    acked[host] = max(acked.get(host, 0), now)
                    continue
                seq = log.next_seq
                if choice < 6:
                    kind = (vocab.EVENT_SIT_TO_STAND, vocab.EVENT_PROMPT, vocab.EVENT_WORN)[choice % 3]
                    attempt = (seq, _expected_event(seq, t_s, kind, choice, -choice))
                    got = log.event(t_s, kind, choice, -choice)
                else:
                    mean = random.randint(-3000, 3000)
                    attempt = (seq, _expected_minute(seq, t_s, mean))
                    got = log.minute(t_s, SPENT, mean, mean - 100, mean + 100, 1)
                if got is None:
                    break  # the write failed: the power is gone
                assert got == seq
                reported[seq] = attempt[1]
                attempt = None
                stats["writes"] += 1
                # A log_loss event may have followed the record: remember it if it was stored.
                for extra in range(seq + 1, log.next_seq):
                    stored = log.read(extra)
                    if stored is not None:
                        reported[extra] = stored
        except OSError:
            pass
        assert dev.dead, "the write loop ended without a power cut"
        stats["cuts"] += 1
        _unmount()
    dev.revive()
    log = _open(dev)
    _check(log, reported, acked, attempt, stats)
    _unmount()
    print("power cuts: %d (%d during recovery), records written: %d, interrupted records that landed: %d, "
          "overwritten by the ring: %d" % (stats["cuts"], stats["during_open"], stats["writes"], stats["landed"],
                                           log.stats.overwritten))
    assert stats["cuts"] >= 200
    assert log.stats.overwritten > 0, "the ring never wrapped: the test did not exercise deletion"
