"""Records on their way from the posture code to the device log, in a preallocated queue.

The posture classifier, routine recognizer, bout timer and minute summary write their records to a sink
with `event(t_s, kind, a, b)` and `minute(t_s, seconds_per_state, tilt_mean_cdeg, tilt_min_cdeg,
tilt_max_cdeg, transitions)`, with t_s in device seconds (counted from the start). This queue is that
sink: it turns device seconds into Unix time (adding `epoch_base_s`) and keeps the records until the logger task
writes them to flash, so a slow flash write never holds up the per-burst processing. Nothing here
allocates per record.

A full queue (the logger starved) is written out at once by `overflow`, the logger's own write function:
no record is ever dropped.
"""

from array import array

from micropython import const

from lumbo_shared import protocol

CAPACITY = const(32)
_WORDS = const(11)  # the item code, then kind a b, or six seconds per state, three tilts and transitions
_EVENT = protocol.ITEM_EVENT
_MINUTE = protocol.ITEM_MINUTE


class RecordQueue:
    def __init__(self, capacity=CAPACITY):
        self.capacity = capacity
        self._slots = array("i", bytes(4 * _WORDS * capacity))
        self._times = array("I", bytes(4 * capacity))  # Unix time, unsigned as on the wire
        self._head = 0  # next slot to take
        self._count = 0
        self.epoch_base_s = 0  # Unix time = device seconds + epoch_base_s
        self.overflow = None  # callable(queue): empties the queue at once (the logger's write-out)
        self.listener = None  # callable(kind, a, b) for each event, as it is queued
        self.written = None  # callable(kind) for each event, once the log has taken it
        self.queued = 0

    def __len__(self):
        return self._count

    def _slot(self):
        if self._count == self.capacity:
            if self.overflow is None:
                raise OverflowError("the record queue is full and nothing writes it out")
            self.overflow(self)
        i = (self._head + self._count) % self.capacity
        self._count += 1
        self.queued += 1
        return i

    def event(self, t_s, kind, a, b):
        i = self._slot()
        self._times[i] = t_s + self.epoch_base_s
        base = i * _WORDS
        s = self._slots
        s[base] = _EVENT
        s[base + 1] = kind
        s[base + 2] = a
        s[base + 3] = b
        if self.listener is not None:
            self.listener(kind, a, b)

    def minute(self, t_s, seconds_per_state, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions):
        i = self._slot()
        self._times[i] = t_s + self.epoch_base_s
        base = i * _WORDS
        s = self._slots
        s[base] = _MINUTE
        for k in range(protocol.STATE_COUNT):
            s[base + 1 + k] = seconds_per_state[k]
        s[base + 7] = tilt_mean_cdeg
        s[base + 8] = tilt_min_cdeg
        s[base + 9] = tilt_max_cdeg
        s[base + 10] = transitions

    def write_to(self, log, limit=CAPACITY):
        """Append up to `limit` queued records to log (anything with event() and minute(), such as
        lumbo_fw.devlog.DevLog), oldest first; return how many were taken."""
        s = self._slots
        done = 0
        while self._count and done < limit:
            base = self._head * _WORDS
            t_s = self._times[self._head]
            if s[base] == _EVENT:
                log.event(t_s, s[base + 1], s[base + 2], s[base + 3])
                if self.written is not None:
                    self.written(s[base + 1])
            else:
                log.minute(t_s, memoryview(s)[base + 1:base + 7], s[base + 7], s[base + 8], s[base + 9],
                           s[base + 10])
            self._head = (self._head + 1) % self.capacity
            self._count -= 1
            done += 1
        return done
