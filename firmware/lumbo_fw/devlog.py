"""The device log: an append-only ring of records on the board's filesystem, safe against power cuts.

Records are the posture code's minute summaries and events. Each takes one fixed 28-byte slot:

    [item code u8] [body length u8] [body, zero-padded to 22 bytes] [CRC-32 of the first 24 bytes, u32]

The first 2 + length bytes are the wire protocol's item, exactly as a history sync sends it (the body
starts with the record's sequence number), so a sync copies bytes and never re-encodes.

Slots go into segment files named s<first sequence number, 8 hex digits>, at most `segment_records`
each; SEGMENT_RECORDS fills one 4 KB flash block. When `max_segments` exist and a new one is needed, the
oldest is deleted: only then is anything overwritten, and the records lost are counted, per host and in
total, and logged as an EVENT_LOG_LOSS event.

Power cuts. A record is appended by opening its segment, writing the slot and closing it. littlefs (the
ESP32's filesystem) commits a file change at close, atomically: a cut before then leaves the file as it
was, so it loses only the record being written, and an append reports the record written only after the
close returned. The small state file (host cursors, loss counters) is replaced by writing a new file and
renaming it over the old one, which littlefs also does atomically. On other filesystems a cut can leave
a torn slot at the end of a segment: its CRC fails, it is skipped and counted, and appending continues in
a new segment so later slots stay aligned.

Hosts. Several hosts (a work and a home laptop) sync the same log. Each has a cursor: the last sequence
number it acknowledged. A record a host has not acknowledged is kept until the ring is full; if it is
overwritten then, that host's loss count grows.

Flash budget (defaults): 176 segments of 146 records = 25,696 slots, 704 KB in 176 blocks of 4 KB,
plus a few blocks of littlefs metadata: about 720 KB. At least 175 segments are always kept (25,550
records): 14 days of minute summaries (20,160) leave room for 5,390 events, 385 a day.
"""

import os
import struct
from array import array
from binascii import crc32

from micropython import const

from lumbo_shared import protocol, vocab

SLOT_SIZE = const(28)
BODY_MAX = const(22)
_CRC_AT = const(24)
SEGMENT_RECORDS = const(146)  # 146 * 28 = 4088 bytes: one 4096-byte flash block
MAX_SEGMENTS = const(176)
MAX_HOSTS = const(4)
FIRST_SEQ = const(1)

_STATE_FILE = "state"
_STATE_NEW = "state.new"
_ID_FILE = "logid"
_STATE_MAGIC = const(0x4C)  # "L": a lumbo log state file, format 1
_STATE_HEADER = "<BBIIII"  # magic, host count, floor, overwritten, use counter, spare
_STATE_HOST = "<IIII"  # host id, acked seq, lost, last use
_ENOSPC = const(28)
_CORRUPT_MEMORY = const(32)


def _names(root):
    """The file names in root, one at a time (a list of a full log's 176 names is kilobytes of heap)."""
    if hasattr(os, "ilistdir"):
        for entry in os.ilistdir(root):
            yield entry[0]
    else:
        for name in os.listdir(root):
            yield name


def _exists(path):
    try:
        os.stat(path)
    except OSError:
        return False
    return True


def _segment_name(first):
    return "s%08x" % first


def _parse_segment(name):
    """First seq of a segment file name, or -1 if the name is not a segment's."""
    if len(name) != 9 or name[0] != "s":
        return -1
    try:
        return int(name[1:], 16)
    except ValueError:
        return -1


class _Segments:
    """First sequence number and slot count of each segment, oldest first, in two arrays made once at
    full size: a list per segment that grows and shifts leaves the small heap in pieces."""

    def __init__(self, capacity):
        self.firsts = array("I", bytes(4 * capacity))
        self.counts = array("H", bytes(2 * capacity))
        self.n = 0

    def __len__(self):
        return self.n

    def append(self, first, count):
        if self.n == len(self.firsts):
            raise ValueError("more segments than the log was made for")
        self.firsts[self.n] = first
        self.counts[self.n] = count
        self.n += 1

    def pop_first(self):
        for i in range(1, self.n):
            self.firsts[i - 1] = self.firsts[i]
            self.counts[i - 1] = self.counts[i]
        self.n -= 1


class LogStats:
    """Counters the log reports to hosts and in status."""

    def __init__(self):
        self.overwritten = 0  # records deleted because the ring was full
        self.corrupt = 0  # damaged records found since boot (CRC or sequence mismatch)
        self.write_errors = 0  # appends that failed (the record was not stored)


class DevLog:
    """The ring. `root` is a directory on a mounted filesystem (created if missing)."""

    def __init__(self, root, segment_records=SEGMENT_RECORDS, max_segments=MAX_SEGMENTS,
                 max_hosts=MAX_HOSTS):
        if not 1 <= segment_records <= 0xFFFF or max_segments < 2:
            raise ValueError("a log needs 1 to 65535 records per segment and at least 2 segments")
        self.root = root
        self.segment_records = segment_records
        self.max_segments = max_segments
        self.max_hosts = max_hosts
        self.stats = LogStats()
        self._slot = bytearray(SLOT_SIZE)
        self._slot_mv = memoryview(self._slot)
        self._seg = _Segments(max_segments + 1)  # one more: a start-up may find a drop cut short
        self._appendable = False  # the last segment takes more slots
        self._next_seq = FIRST_SEQ
        self._floor = FIRST_SEQ  # every seq below this has been deleted
        self._use = 0
        self._hosts = []  # [host_id, acked_seq, lost, last_use]
        self._corrupt_seen = []
        self._pending_loss = 0
        self._pending_loss_first = 0
        self.listener = None  # callable(seq, slot memoryview) after each append
        self.log_id = 0
        self._open()

    def erase(self):
        """Delete every record, cursor and counter, and start a new log (a new log_id): factory reset."""
        for name in list(_names(self.root)):
            os.remove(self._path(name))
        self.stats = LogStats()
        self._seg = _Segments(self.max_segments + 1)
        self._appendable = False
        self._next_seq = FIRST_SEQ
        self._floor = FIRST_SEQ
        self._use = 0
        self._hosts = []
        self._corrupt_seen = []
        self._pending_loss = 0
        self._open()

    # -- recovery ----------------------------------------------------------------------------------------

    def _path(self, name):
        return self.root + "/" + name

    def _open(self):
        try:
            os.stat(self.root)
        except OSError:
            os.mkdir(self.root)
        if _exists(self._path(_STATE_NEW)):
            os.remove(self._path(_STATE_NEW))  # a replacement cut short: the old state file is intact
        self._load_state()
        self._load_id()
        firsts = []
        for name in _names(self.root):
            first = _parse_segment(name)
            if first >= 0:
                firsts.append(first)
        firsts.sort()
        if len(firsts) > len(self._seg.firsts):
            # More segments than this log keeps (made with a larger max_segments): the next start of a
            # segment drops the oldest down to max_segments.
            self._seg = _Segments(len(firsts))
        for first in firsts:
            size = os.stat(self._path(_segment_name(first)))[6]
            count = size // SLOT_SIZE
            if first < self._floor and first + count <= self._floor:
                # Its deletion was recorded but a power cut came before the file went.
                os.remove(self._path(_segment_name(first)))
                continue
            self._seg.append(first, count)
        seg = self._seg
        if seg.n:
            last = seg.n - 1
            size = os.stat(self._path(_segment_name(seg.firsts[last])))[6]
            self._next_seq = seg.firsts[last] + seg.counts[last]
            self._appendable = size % SLOT_SIZE == 0 and seg.counts[last] < self.segment_records
            if size % SLOT_SIZE:
                self._next_seq += 1  # the torn slot's number is spent: it may be half on flash
        else:
            self._next_seq = self._floor
        for host in self._hosts:
            if host[1] >= self._next_seq:
                host[1] = self._next_seq - 1

    def _load_id(self):
        if _exists(self._path(_ID_FILE)):
            with open(self._path(_ID_FILE), "rb") as f:
                data = f.read()
            if len(data) == 8 and crc32(data[0:4]) == struct.unpack_from("<I", data, 4)[0]:
                self.log_id = struct.unpack_from("<I", data, 0)[0]
                return
        data = bytearray(8)
        data[0:4] = os.urandom(4)
        struct.pack_into("<I", data, 4, crc32(data[0:4]))
        with open(self._path(_ID_FILE), "wb") as f:
            f.write(data)
        self.log_id = struct.unpack_from("<I", data, 0)[0]

    def _load_state(self):
        try:
            with open(self._path(_STATE_FILE), "rb") as f:
                data = f.read()
        except OSError:
            return
        header = struct.calcsize(_STATE_HEADER)
        host_size = struct.calcsize(_STATE_HOST)
        if len(data) < header + 4 or crc32(data[0:len(data) - 4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
            self.stats.corrupt += 1
            return
        magic, count, floor, overwritten, use, _spare = struct.unpack_from(_STATE_HEADER, data, 0)
        if magic != _STATE_MAGIC or len(data) != header + count * host_size + 4:
            self.stats.corrupt += 1
            return
        self._floor = floor
        self.stats.overwritten = overwritten
        self._use = use
        for i in range(count):
            self._hosts.append(list(struct.unpack_from(_STATE_HOST, data, header + i * host_size)))

    def _save_state(self):
        header = struct.calcsize(_STATE_HEADER)
        host_size = struct.calcsize(_STATE_HOST)
        data = bytearray(header + len(self._hosts) * host_size + 4)
        struct.pack_into(_STATE_HEADER, data, 0, _STATE_MAGIC, len(self._hosts), self._floor,
                         self.stats.overwritten, self._use, 0)
        for i, host in enumerate(self._hosts):
            struct.pack_into(_STATE_HOST, data, header + i * host_size, host[0], host[1], host[2], host[3])
        struct.pack_into("<I", data, len(data) - 4, crc32(memoryview(data)[0:len(data) - 4]))
        with open(self._path(_STATE_NEW), "wb") as f:
            f.write(data)
        os.rename(self._path(_STATE_NEW), self._path(_STATE_FILE))

    # -- the sink the posture code writes to ----------------------------------------------------------------

    def event(self, t_s, kind, a, b):
        """Store an event; return its sequence number once it is safely stored, or None if the write failed."""
        return self._append(protocol.ITEM_EVENT, t_s, kind, a, b)

    def minute(self, t_s, seconds_per_state, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions):
        """Store one minute's summary (seconds_per_state indexed by vocab state code); as event()."""
        if len(seconds_per_state) != protocol.STATE_COUNT:
            raise ValueError("seconds_per_state has %d entries; there are %d states" % (
                len(seconds_per_state), protocol.STATE_COUNT))
        s = seconds_per_state
        return self._append(protocol.ITEM_MINUTE, t_s, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg,
                            transitions, s[0], s[1], s[2], s[3], s[4], s[5])

    # -- appending -----------------------------------------------------------------------------------------

    def _append(self, code, *values):
        slot = self._slot
        for i in range(SLOT_SIZE):
            slot[i] = 0
        # Bad values raise ProtocolError (a ValueError) here, before anything touches the flash.
        protocol.pack_item(slot, 0, code, self._next_seq, *values)
        seq = self._write_slot()
        if seq and self._pending_loss:
            lost = self._pending_loss
            self._pending_loss = 0
            self._append(protocol.ITEM_EVENT, values[0], vocab.EVENT_LOG_LOSS, lost, self._pending_loss_first)
        return seq if seq else None

    def _write_slot(self):
        """Store self._slot under self._next_seq; return that number, or 0 if the write failed."""
        for attempt in (0, 1):
            seq = self._next_seq
            struct.pack_into("<I", self._slot, 2, seq)
            struct.pack_into("<I", self._slot, _CRC_AT, crc32(self._slot_mv[0:_CRC_AT]))
            try:
                if not self._appendable:
                    self._start_segment()
                with open(self._path(_segment_name(self._seg.firsts[self._seg.n - 1])), "ab") as f:
                    f.write(self._slot)
            except OSError as exc:
                self._next_seq = seq + 1  # the number is spent: part of the slot may have reached the flash
                self._appendable = False
                if exc.args and exc.args[0] == _ENOSPC and attempt == 0 and self._seg.n > 1:
                    try:
                        self._drop_oldest()
                        continue
                    except OSError:
                        pass
                self.stats.write_errors += 1
                return 0
            last = self._seg.n - 1
            self._seg.counts[last] += 1
            self._next_seq = seq + 1
            self._appendable = self._seg.counts[last] < self.segment_records
            if self.listener is not None:
                self.listener(seq, self._slot_mv)
            return seq
        return 0

    def _start_segment(self):
        while self._seg.n >= self.max_segments:
            self._drop_oldest()
        self._seg.append(self._next_seq, 0)
        self._appendable = True

    def _drop_oldest(self):
        """Delete the oldest segment, counting what each host loses. The deletion is recorded in the
        state file before the file goes, so a power cut in between finishes it at the next start."""
        first = self._seg.firsts[0]
        count = self._seg.counts[0]
        end = first + count
        losses = []
        worst = 0 if self._hosts else count
        for host in self._hosts:
            start = host[1] + 1 if host[1] + 1 > first else first
            lost = end - start if end > start else 0
            losses.append(lost)
            if lost > worst:
                worst = lost
        old_floor = self._floor
        self._floor = self._seg.firsts[1] if self._seg.n > 1 else self._next_seq
        self.stats.overwritten += count
        for i, host in enumerate(self._hosts):
            host[2] += losses[i]
        try:
            self._save_state()
        except OSError:
            self._floor = old_floor
            self.stats.overwritten -= count
            for i, host in enumerate(self._hosts):
                host[2] -= losses[i]
            raise
        self._seg.pop_first()
        if worst:
            if not self._pending_loss:
                self._pending_loss_first = first
            self._pending_loss += worst
        os.remove(self._path(_segment_name(first)))

    # -- hosts -----------------------------------------------------------------------------------------------

    def _host(self, host_id, create):
        for host in self._hosts:
            if host[0] == host_id:
                return host
        if not create:
            return None
        if len(self._hosts) >= self.max_hosts:
            oldest = self._hosts[0]
            for host in self._hosts:
                if host[3] < oldest[3]:
                    oldest = host
            self._hosts.remove(oldest)
        host = [host_id, self._floor - 1, 0, 0]
        self._hosts.append(host)
        return host

    def ack(self, host_id, acked_seq):
        """A host has stored every record up to acked_seq. Cursors only move forwards; persisted at once."""
        host = self._host(host_id, True)
        if acked_seq > self._next_seq - 1:
            acked_seq = self._next_seq - 1
        if acked_seq > host[1]:
            host[1] = acked_seq
        self._use += 1
        host[3] = self._use
        self._save_state()
        return host[1]

    def acked(self, host_id):
        """The last sequence number host_id acknowledged, or None for a host the log does not know."""
        host = self._host(host_id, False)
        return None if host is None else host[1]

    def lost(self, host_id):
        """Records overwritten before host_id acknowledged them (0 for an unknown host)."""
        host = self._host(host_id, False)
        return 0 if host is None else host[2]

    def hosts(self):
        return [tuple(host) for host in self._hosts]

    # -- reading ---------------------------------------------------------------------------------------------

    @property
    def next_seq(self):
        """The sequence number the next record will get."""
        return self._next_seq

    @property
    def oldest_seq(self):
        """The first sequence number still in the log (next_seq when the log is empty)."""
        return self._seg.firsts[0] if self._seg.n else self._next_seq

    def __len__(self):
        total = 0
        for i in range(self._seg.n):
            total += self._seg.counts[i]
        return total

    def _segment_of(self, seq):
        """Index of the segment holding seq's slot position, or -1."""
        lo = 0
        hi = self._seg.n - 1
        found = -1
        while lo <= hi:
            mid = (lo + hi) // 2
            if self._seg.firsts[mid] <= seq:
                found = mid
                lo = mid + 1
            else:
                hi = mid - 1
        return found

    def _note_corrupt(self, seq):
        if seq in self._corrupt_seen:
            return
        if len(self._corrupt_seen) >= _CORRUPT_MEMORY:
            self._corrupt_seen.pop(0)
        self._corrupt_seen.append(seq)
        self.stats.corrupt += 1

    def _slot_ok(self, slot, seq):
        if crc32(slot[0:_CRC_AT]) != struct.unpack_from("<I", slot, _CRC_AT)[0]:
            return False
        if slot[1] > BODY_MAX or slot[1] < 4 or struct.unpack_from("<I", slot, 2)[0] != seq:
            return False
        return slot[0] == protocol.ITEM_MINUTE or slot[0] == protocol.ITEM_EVENT

    def read(self, seq):
        """The wire bytes (item header and body) of record seq, or None if it is gone, damaged or not yet
        written. For tests and tools; a sync uses a LogReader."""
        i = self._segment_of(seq)
        seg = self._seg
        if i < 0 or seq - seg.firsts[i] >= seg.counts[i]:
            return None
        slot = bytearray(SLOT_SIZE)
        with open(self._path(_segment_name(seg.firsts[i])), "rb") as f:
            f.seek((seq - seg.firsts[i]) * SLOT_SIZE)
            if f.readinto(slot) != SLOT_SIZE:
                return None
        if not self._slot_ok(slot, seq):
            self._note_corrupt(seq)
            return None
        return bytes(slot[0:2 + slot[1]])

    def reader(self, from_seq):
        return LogReader(self, from_seq)


class LogReader:
    """Reads records from from_seq onwards as wire items, with gap items where records are missing.

    fill() copies as many whole items as fit into a caller's buffer; a sync calls it once per
    notification. The log may grow or wrap between calls.
    """

    def __init__(self, log, from_seq, batch=8):
        self.log = log
        self.seq = from_seq
        self._scratch = bytearray(SLOT_SIZE * batch)
        self._batch = batch
        self._gap_at = -1  # offset of the last gap item written by this fill, to merge neighbours
        self._gap_end = 0

    @property
    def done(self):
        return self.seq >= self.log.next_seq

    def _gap(self, buf, offset, end, first, count, reason):
        """Write or extend a gap item; return the new offset, or -1 if it does not fit."""
        if self._gap_at >= 0 and self._gap_end == first and buf[self._gap_at + 10] == reason:
            old = struct.unpack_from("<I", buf, self._gap_at + 6)[0]
            struct.pack_into("<I", buf, self._gap_at + 6, old + count)
            self._gap_end = first + count
            return offset
        size = protocol.ITEM_HEADER_SIZE + protocol.body_size(protocol.ITEM_GAP)
        if offset + size > end:
            return -1
        protocol.pack_item(buf, offset, protocol.ITEM_GAP, first, count, reason)
        self._gap_at = offset
        self._gap_end = first + count
        return offset + size

    def fill(self, buf, offset, end):
        """Copy items for the records from self.seq on into buf[offset:end]; return the new offset."""
        log = self.log
        self._gap_at = -1
        while self.seq < log.next_seq:
            seq = self.seq
            oldest = log.oldest_seq
            if seq < oldest:
                new = self._gap(buf, offset, end, seq, oldest - seq, protocol.GAP_OVERWRITTEN)
                if new < 0:
                    break
                offset = new
                self.seq = oldest
                continue
            i = log._segment_of(seq)
            first = log._seg.firsts[i]
            count = log._seg.counts[i]
            if seq - first >= count:
                # Numbers spent by a failed or torn write: nothing was stored under them.
                stop = log._seg.firsts[i + 1] if i + 1 < log._seg.n else log.next_seq
                new = self._gap(buf, offset, end, seq, stop - seq, protocol.GAP_CORRUPT)
                if new < 0:
                    break
                offset = new
                self.seq = stop
                continue
            n = first + count - seq
            if n > self._batch:
                n = self._batch
            scratch = self._scratch
            with open(log._path(_segment_name(first)), "rb") as f:
                f.seek((seq - first) * SLOT_SIZE)
                got = f.readinto(memoryview(scratch)[0:n * SLOT_SIZE])
            n = got // SLOT_SIZE if got else 0
            if n == 0:
                break
            full = False
            for k in range(n):
                at = k * SLOT_SIZE
                slot = memoryview(scratch)[at:at + SLOT_SIZE]
                if log._slot_ok(slot, seq + k):
                    size = 2 + scratch[at + 1]
                    if offset + size > end:
                        full = True
                        break
                    buf[offset:offset + size] = slot[0:size]
                    offset += size
                    self._gap_at = -1
                else:
                    new = self._gap(buf, offset, end, seq + k, 1, protocol.GAP_CORRUPT)
                    if new < 0:
                        full = True
                        break
                    log._note_corrupt(seq + k)
                    offset = new
                self.seq = seq + k + 1
            if full:
                break
        return offset
