"""The board's clock: MicroPython's `time` for ticks and waits, the RTC for the date.

The app never calls `time` or `asyncio.sleep` itself: it waits and reads the time through the clock that
main.py passes in. On the board that is BoardClock. Without a board the emulation passes an object with
the same methods whose time runs faster than real (host/lumbo/emu/upy/pacedclock.py), and the emulated IMU
samples on it, so a day of wear runs in minutes. The methods:

    ticks_us(), ticks_ms()    device time, wrapping like time.ticks_us/ticks_ms (use time.ticks_diff)
    sleep_ms(ms)              block for ms of device time (the IMU drivers' short waits)
    wait_ms(ms)               a coroutine: let the other tasks run for ms of device time. The sampler's
                              wait between bursts (or the power task's while the sampler is stopped) is
                              the only caller, so an emulated clock may advance its time there.
    epoch_s()                 seconds since 1970-01-01 UTC by the real-time clock, or -1 if it was never set
    set_epoch_s(epoch_s)      set the real-time clock (the host's set_time)
"""

import asyncio
import time

from micropython import const

# The RTC of a board that was never set starts at the port's epoch; anything before this date was not set.
_EARLIEST_SET_EPOCH_S = const(1704067200)  # 2024-01-01 00:00:00 UTC
_EPOCH_2000_S = const(946684800)  # 2000-01-01 in Unix seconds: some ports count from there


def pause_ms(ms):
    """An asyncio sleep of ms real milliseconds: asyncio.sleep_ms on MicroPython, asyncio.sleep on CPython
    (where the firmware runs for tests)."""
    sleep_ms = getattr(asyncio, "sleep_ms", None)
    if sleep_ms is not None:
        return sleep_ms(ms)
    return asyncio.sleep(ms / 1000)


class BoardClock:
    """Real time on the board. `rtc` is machine.RTC() (None: the date cannot be set, as on the unix port)."""

    def __init__(self, time_module=time, rtc=None):
        self._time = time_module
        self._rtc = rtc
        # Ports whose time.time() counts from 2000 (older ESP32 builds) are moved to the Unix epoch.
        self._epoch_shift_s = _EPOCH_2000_S if time_module.gmtime(0)[0] == 2000 else 0

    def ticks_us(self):
        return self._time.ticks_us()

    def ticks_ms(self):
        return self._time.ticks_ms()

    def sleep_ms(self, ms):
        self._time.sleep_ms(ms)

    async def wait_ms(self, ms):
        await pause_ms(ms)

    def epoch_s(self):
        now = self._time.time() + self._epoch_shift_s
        return now if now >= _EARLIEST_SET_EPOCH_S else -1

    def set_epoch_s(self, epoch_s):
        if self._rtc is None:
            raise ValueError("this board has no settable real-time clock")
        y, mo, d, h, mi, s, wd, _yd = self._time.gmtime(epoch_s - self._epoch_shift_s)
        # machine.RTC().datetime takes (year, month, day, weekday, hours, minutes, seconds, subseconds).
        self._rtc.datetime((y, mo, d, wd, h, mi, s, 0))
