"""A clock that moves only when told, for tests and for emulated chips."""

# It offers what firmware asks of a clock (MicroPython's `time` names: ticks_us, ticks_ms, sleep_ms,
# sleep_us) and what emulated chips need (`now_us`, microseconds since the start, never wrapping).
# Sleeping moves the clock forward at once, so a test of an hour of firmware time runs in milliseconds.
# The ticks wrap with the same period as the interpreter's own `time.ticks_*`, so `time.ticks_diff` works
# on them under CPython (with lumbo.mpcompat) and MicroPython alike.

import time

# The ticks period is a power of two on every port: masking keeps the arithmetic in small integers.
_TICKS_MASK = time.ticks_add(0, -1)


class ManualClock:
    def __init__(self, start_us=0):
        if start_us < 0:
            raise ValueError("a clock starts at zero or later, not %d us" % start_us)
        self._now_us = start_us

    def now_us(self):
        return self._now_us

    def ticks_us(self):
        return self._now_us & _TICKS_MASK

    def ticks_ms(self):
        return (self._now_us // 1000) & _TICKS_MASK

    def advance_us(self, us):
        if us < 0:
            raise ValueError("time does not run backwards (asked to advance %d us)" % us)
        self._now_us += us

    def advance_ms(self, ms):
        self.advance_us(ms * 1000)

    def sleep_us(self, us):
        self.advance_us(us)

    def sleep_ms(self, ms):
        self.advance_us(ms * 1000)
