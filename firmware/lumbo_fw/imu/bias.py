"""Gyro bias: measured at start-up and whenever the sensor is still, followed with temperature in between.

A MEMS gyro reads 0.5-5 dps when not turning, and the offset drifts with the die's temperature. The
first still stretch after start-up (two consecutive still windows, see motion.py) gives the start-up
bias; each later still stretch refines it. Between them the bias follows the temperature along a slope
learnt from two still estimates at least 2 C apart (clamped to what the datasheets allow). `apply()`
subtracts the bias from a Burst's gyro counts in place, so the filter sees rates about zero.

Units: counts of the configured gyro range, kept times 16 (1/16 count resolution); temperatures in
centidegrees from the driver (imu.temp_cdeg).
"""

from array import array

import micropython
from micropython import const

_OFFSET = const(32768)
_SLOPE_MIN_DT_CDEG = const(200)
_STILL_WINDOWS = const(2)
# At most 0.2 dps per C: above any of the supported parts' specified drift (the MPU-6050's worst).
_MAX_SLOPE_MDPS_PER_C = const(200)


@micropython.viper
def _subtract(samples, n: int, offsets):
    """gyro -= bias for n samples, saturating at the int16 limits; offsets hold 32768 + bias."""
    s = ptr16(samples)  # noqa: F821  (a viper builtin)
    b = ptr32(offsets)  # noqa: F821  (a viper builtin)
    i = 0
    while i < n:
        k = i * 6 + 3
        j = 0
        while j < 3:
            v = int(s[k + j])
            if v & 0x8000:
                v = v - 0x10000
            v = v - (int(b[j]) - 32768)
            if v > 32767:
                v = 32767
            elif v < -32768:
                v = -32768
            s[k + j] = v & 0xFFFF
            j += 1
        i += 1


class GyroBias:
    def __init__(self, motion, gyro_lsb_per_dps):
        self.motion = motion
        self.ready = False
        self.bias_x16 = [0, 0, 0]
        self.slope_x16_per_c = [0, 0, 0]  # bias change per degree C, counts x 16
        self._max_slope_x16 = int(16 * _MAX_SLOPE_MDPS_PER_C * gyro_lsb_per_dps / 1000)
        self._ref_x16 = [0, 0, 0]
        self._ref_temp_cdeg = 0
        self._slope_temp_cdeg = 0
        self._slope_ref_x16 = [0, 0, 0]
        self._seen = 0
        self.estimates = 0
        self._offsets = array("i", [_OFFSET, _OFFSET, _OFFSET])

    def update(self, temp_cdeg):
        """Call after motion.update() for each burst, with the driver's latest temperature."""
        motion = self.motion
        if motion.still_count != self._seen and motion.still_run >= _STILL_WINDOWS:
            self._seen = motion.still_count
            self._estimate(temp_cdeg)
        if not self.ready:
            return
        dt = temp_cdeg - self._ref_temp_cdeg
        offsets = self._offsets
        for axis in range(3):
            bias = self._ref_x16[axis] + self.slope_x16_per_c[axis] * dt // 100
            self.bias_x16[axis] = bias
            offsets[axis] = _OFFSET + (bias + 8) // 16

    def _estimate(self, temp_cdeg):
        motion = self.motion
        self.estimates += 1
        if not self.ready:
            for axis in range(3):
                est = motion.gyro_mean_x16(axis)
                self._ref_x16[axis] = est
                self._slope_ref_x16[axis] = est
            self._ref_temp_cdeg = temp_cdeg
            self._slope_temp_cdeg = temp_cdeg
            self.ready = True
            return
        span = temp_cdeg - self._slope_temp_cdeg
        learn = span >= _SLOPE_MIN_DT_CDEG or span <= 0 - _SLOPE_MIN_DT_CDEG
        limit = self._max_slope_x16
        for axis in range(3):
            est = motion.gyro_mean_x16(axis)
            # Smooth the still estimates a little: one stretch may hide a very slow steady turn.
            self._ref_x16[axis] += (est - self._ref_x16[axis]) // 2
            if learn:
                slope = (est - self._slope_ref_x16[axis]) * 100 // span
                self.slope_x16_per_c[axis] = max(0 - limit, min(limit, slope))
                self._slope_ref_x16[axis] = est
        self._ref_temp_cdeg = temp_cdeg
        if learn:
            self._slope_temp_cdeg = temp_cdeg

    def apply(self, burst):
        """Subtract the bias from the burst's gyro counts (once a start-up estimate exists)."""
        if self.ready:
            _subtract(burst.samples, burst.count, self._offsets)

    def bias_mdps(self, axis, gyro_lsb_per_dps):
        """The current bias on axis 0-2 in millidegrees per second (allocates a float: call rarely)."""
        return int(self.bias_x16[axis] * 1000 / 16 / gyro_lsb_per_dps)
