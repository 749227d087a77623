"""The minute summary: one record a minute for the device log.

    sink.minute(t_s, seconds_per_state, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions)

- t_s: the start of the minute (device seconds, a multiple of 60);
- seconds_per_state: seconds in each posture, indexed by vocab.STATE_* (a reused array: copy it);
- tilt_*: the pelvis's sagittal tilt while seated (0.01 degree, positive backwards) over the seated seconds
  whose tilt was known; NO_TILT in all three when there were none;
- transitions: posture changes within the minute.

A minute is written when the first second of the next one arrives (or on flush()).
"""

from array import array

from micropython import const

from lumbo_shared import vocab

NO_TILT = const(-32768)  # the mounting's "unknown" as well

_SITTING = vocab.STATE_SITTING


class MinuteSummary:
    def __init__(self, sink):
        self.sink = sink
        self.seconds_per_state = array("H", bytes(2 * len(vocab.STATES)))
        self._minute = -1
        self._tilt_sum = 0
        self._tilt_n = 0
        self._tilt_min = 0
        self._tilt_max = 0
        self._transitions = 0
        self._last_state = -1

    def second(self, t_s, state, sagittal_cdeg):
        """Count the second [t_s - 1, t_s): the posture then and the sagittal tilt (NO_TILT if unknown)."""
        minute = (t_s - 1) // 60
        if minute != self._minute:
            if self._minute >= 0:
                self.flush()
            self._minute = minute
        if 0 <= state < len(self.seconds_per_state):
            self.seconds_per_state[state] += 1
        if self._last_state >= 0 and state != self._last_state:
            self._transitions += 1
        self._last_state = state
        if state == _SITTING and sagittal_cdeg != NO_TILT:
            if self._tilt_n == 0:
                self._tilt_min = sagittal_cdeg
                self._tilt_max = sagittal_cdeg
            elif sagittal_cdeg < self._tilt_min:
                self._tilt_min = sagittal_cdeg
            elif sagittal_cdeg > self._tilt_max:
                self._tilt_max = sagittal_cdeg
            self._tilt_sum += sagittal_cdeg
            self._tilt_n += 1

    def flush(self):
        """Write the minute counted so far (if any second was counted) and start afresh."""
        if self._minute < 0:
            return
        counts = self.seconds_per_state
        if self._tilt_n:
            mean = _div_round(self._tilt_sum, self._tilt_n)
            self.sink.minute(self._minute * 60, counts, mean, self._tilt_min, self._tilt_max, self._transitions)
        else:
            self.sink.minute(self._minute * 60, counts, NO_TILT, NO_TILT, NO_TILT, self._transitions)
        for i in range(len(counts)):
            counts[i] = 0
        self._tilt_sum = 0
        self._tilt_n = 0
        self._transitions = 0
        self._minute = -1


def _div_round(total, n):
    if total >= 0:
        return (total + n // 2) // n
    return 0 - ((0 - total + n // 2) // n)
