"""A device clock that runs faster than real time, for the demo and the system tests (both interpreters).

It has the methods the firmware asks of its clock (see lumbo_fw/clock.py) and what the emulated IMU chips
need (`now_us`), so the firmware and its emulated sensor share one time line, and a day of wear takes
minutes.

Device time moves only when the firmware waits: in `wait_ms` (the sampler between bursts) and in
`sleep_ms` (a driver's short delay, the emulated light sleep), each time to the end of the wait. Work takes
no device time at all, as if the board's CPU were infinitely fast; the wait that follows is then shortened in
real time so that device time keeps pace with `speed` times real time. When the computer cannot keep up
(a slow or busy machine), device time simply runs slower than asked: the emulated IMU's FIFO never
overflows because the reader fell behind, and nothing else depends on the real pace. `speed` 0 runs as
fast as the computer allows.

The radio is real: the bluetooth bridge and the host app run in real time, so the firmware times the
radio's own deadlines on the interpreter's clock, not on this one.
"""

import time

try:
    import asyncio
except ImportError:  # the unix port without asyncio cannot run the app anyway
    asyncio = None

# The ticks period is a power of two on every port: masking keeps the arithmetic in small integers.
_TICKS_MASK = time.ticks_add(0, -1)
# Behind by more than this in real time, the clock stops trying to catch up: the debt is forgiven and
# device time continues at `speed` from now (so a pause never turns into a burst of unpaced time).
_MAX_DEBT_US = 200000


class PacedClock:
    def __init__(self, speed=1, start_us=0, epoch_at_zero_s=-1, changes=()):
        """speed: device seconds per real second (0: unpaced); start_us: device time now (a restart carries
        on where the last run stopped); epoch_at_zero_s: the Unix time at device time 0 (-1: the real-time
        clock is not set); changes: (device us, speed) pairs, in order, from which the pace changes (a
        benchmark runs the day fast up to the moment it measures, then in real time). Each change prints
        `pacedclock speed S from us T` when it takes effect."""
        if speed < 0:
            raise ValueError("speed is device seconds per real second, 0 or more, not %r" % (speed,))
        if start_us < 0:
            raise ValueError("a clock starts at zero or later, not %d us" % start_us)
        self.speed = speed
        self._now_us = start_us
        self._epoch0_s = epoch_at_zero_s
        self._last_real = time.ticks_us()
        self._real_us = 0  # real microseconds since the clock was made, accumulated from the ticks
        self._anchor_dev_us = start_us
        self._anchor_real_us = 0
        self._changes = list(changes)
        self.forgiven_us = 0  # real time the clock gave up catching up (the computer was too slow)
        self.paced_us = 0  # real time spent waiting to keep pace

    # -- what the firmware and the chips read ----------------------------------------------------------

    def now_us(self):
        return self._now_us

    def ticks_us(self):
        return self._now_us & _TICKS_MASK

    def ticks_ms(self):
        return (self._now_us // 1000) & _TICKS_MASK

    def epoch_s(self):
        if self._epoch0_s < 0:
            return -1
        return self._epoch0_s + self._now_us // 1000000

    def set_epoch_s(self, epoch_s):
        self._epoch0_s = epoch_s - self._now_us // 1000000

    # -- waiting ---------------------------------------------------------------------------------------

    def _real(self):
        now = time.ticks_us()
        self._real_us += time.ticks_diff(now, self._last_real)
        self._last_real = now
        return self._real_us

    def _pace_us(self, target_us):
        """Real microseconds to wait until device time target_us is due at speed x real time."""
        if self._changes and self._now_us >= self._changes[0][0]:
            self._anchor_dev_us = self._now_us
            self._anchor_real_us = self._real()
            self.speed = self._changes.pop(0)[1]
            print("pacedclock speed %d from us %d" % (self.speed, self._now_us))
        if self.speed == 0:
            return 0
        real = self._real()
        due = self._anchor_real_us + (target_us - self._anchor_dev_us) // self.speed
        if real - due > _MAX_DEBT_US:
            self.forgiven_us += real - due
            self._anchor_dev_us = target_us
            self._anchor_real_us = real
            return 0
        return due - real if due > real else 0

    def advance_us(self, us):
        if us < 0:
            raise ValueError("time does not run backwards (asked to advance %d us)" % us)
        self._now_us += us

    def sleep_us(self, us):
        if us < 0:
            raise ValueError("time does not run backwards (asked to sleep %d us)" % us)
        target = self._now_us + us
        wait = self._pace_us(target)
        if wait:
            self.paced_us += wait
            time.sleep_us(wait)
        self._now_us = target

    def sleep_ms(self, ms):
        self.sleep_us(ms * 1000)

    async def wait_ms(self, ms):
        """Let the other tasks run for ms of device time. They see the time the wait began (their work
        takes no device time); the clock reaches its end when the wait is over."""
        if ms < 0:
            raise ValueError("time does not run backwards (asked to wait %d ms)" % ms)
        target = self._now_us + ms * 1000
        wait = self._pace_us(target)
        self.paced_us += wait
        sleep_ms = getattr(asyncio, "sleep_ms", None)
        if sleep_ms is not None:
            await sleep_ms(wait // 1000)
        else:
            await asyncio.sleep(wait / 1000000)
        self._now_us = target
