"""Is the sensor still? Per-axis statistics of fixed windows of samples, gathered from Bursts.

A window of `window_samples` samples is still when, on every axis, neither its spread (max - min) nor
the change of its mean from the window before exceeds the thresholds. The thresholds come from the
chip's own noise (`thresholds_for`), so a sensor lying on a table is still and a worn one almost never
is: the spread catches quick movement, the change of the mean catches slow sway and breathing, which
move the mean of a second by far more than noise does.

Gyro bias estimation (bias.py) and not-worn detection (power.py) both read the windows from here. The
per-sample work is one viper loop; nothing allocates.
"""

from array import array

import micropython
from micropython import const

_BIAS = const(32768)  # values are kept offset by this, so every stored number is positive
_SUM = const(0)
_MIN = const(6)
_MAX = const(12)


@micropython.viper
def _accumulate(samples, start: int, end: int, acc) -> int:
    """Add samples start..end-1 (six int16 each) to the offset sums, minima and maxima in acc."""
    s = ptr16(samples)  # noqa: F821  (a viper builtin)
    a = ptr32(acc)  # noqa: F821  (a viper builtin)
    i = start
    while i < end:
        b = i * 6
        j = 0
        while j < 6:
            v = int(s[b + j]) ^ 0x8000
            a[j] = int(a[j]) + v
            if v < int(a[6 + j]):
                a[6 + j] = v
            if v > int(a[12 + j]):
                a[12 + j] = v
            j += 1
        i += 1
    return i


def thresholds_for(imu):
    """(accel mean change, accel spread, gyro mean change, gyro spread) in counts, from the chip's noise.

    The mean of a second's samples has a seventh of the noise (50 samples), so a change of the mean by
    3 sigma (+1 count) is movement even for a part twice as noisy as its datasheet says. The spread of
    50 noise samples is about 5 sigma; 16 sigma (+2 counts) leaves room for that same noisy part."""
    accel_sigma = imu.ACCEL_NOISE_UG * imu.accel_lsb_per_g / 1000000
    gyro_sigma = imu.GYRO_NOISE_MDPS * imu.gyro_lsb_per_dps / 1000
    return (int(3 * accel_sigma) + 1, int(16 * accel_sigma) + 2, int(3 * gyro_sigma) + 1, int(16 * gyro_sigma) + 2)


class MotionWindow:
    def __init__(self, window_samples, accel_mean, accel_spread, gyro_mean, gyro_spread):
        """window_samples: samples per window (about a second's worth); the rest: thresholds in counts."""
        # At most 1000 samples: 16 x the offset sums stays below 2**30, the ESP32's small-int limit.
        if window_samples < 2 or window_samples > 1000:
            raise ValueError("a motion window holds 2 to 1000 samples, not %r" % (window_samples,))
        self.window_samples = window_samples
        self.mean_limit = (accel_mean, accel_mean, accel_mean, gyro_mean, gyro_mean, gyro_mean)
        self.spread_limit = (accel_spread, accel_spread, accel_spread, gyro_spread, gyro_spread, gyro_spread)
        self._acc = array("i", bytes(4 * 18))
        self._previous = array("i", bytes(4 * 6))
        self.still_gyro_sum = array("i", bytes(4 * 3))  # offset gyro sums of the latest still window
        self.reset()

    @classmethod
    def for_imu(cls, imu, window_samples=None):
        """A window of about one second at the configured rate, with the chip's own thresholds."""
        if window_samples is None:
            window_samples = max(2, 1000000 // imu.sample_period_us)
        accel_mean, accel_spread, gyro_mean, gyro_spread = thresholds_for(imu)
        return cls(window_samples, accel_mean, accel_spread, gyro_mean, gyro_spread)

    def reset(self):
        """Forget everything (after a gap in the data, such as sleep)."""
        self._filled = 0
        self._has_previous = False
        self.windows = 0
        self.still = False
        self.still_run = 0  # consecutive still windows up to the latest
        self.still_count = 0  # still windows since the start; changes when a new one closes
        self._clear()

    def update(self, burst):
        """Take a burst's samples; windows that fill up are judged at once."""
        n = burst.count
        i = 0
        while i < n:
            end = i + self.window_samples - self._filled
            if end > n:
                end = n
            _accumulate(burst.samples, i, end, self._acc)
            self._filled += end - i
            i = end
            if self._filled == self.window_samples:
                self._close()

    def _clear(self):
        acc = self._acc
        for j in range(6):
            acc[_SUM + j] = 0
            acc[_MIN + j] = 65535
            acc[_MAX + j] = 0
        self._filled = 0

    def _close(self):
        acc = self._acc
        previous = self._previous
        n = self.window_samples
        still = True
        for j in range(6):
            if acc[_MAX + j] - acc[_MIN + j] > self.spread_limit[j]:
                still = False
            if self._has_previous and abs(acc[_SUM + j] - previous[j]) > self.mean_limit[j] * n:
                still = False
            previous[j] = acc[_SUM + j]
        self._has_previous = True
        self.windows += 1
        self.still = still
        if still:
            self.still_run += 1
            self.still_count += 1
            gyro = self.still_gyro_sum
            gyro[0] = acc[_SUM + 3]
            gyro[1] = acc[_SUM + 4]
            gyro[2] = acc[_SUM + 5]
        else:
            self.still_run = 0
        self._clear()

    def gyro_mean_x16(self, axis):
        """The latest still window's mean gyro count on axis 0-2, times 16 (rounded)."""
        n = self.window_samples
        return (16 * self.still_gyro_sum[axis] + n // 2) // n - 16 * _BIAS
