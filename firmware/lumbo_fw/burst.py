"""A burst of IMU samples, handed from the driver to the filter without allocating.

The driver fills `samples` in place: six int16 values per sample (ax, ay, az, gx, gy, gz) in the board's
frame, in the chip's own counts. `accel_lsb_per_g` and `gyro_lsb_per_dps` turn counts into units; they are
set once, when the chip is configured. `t_end_us` is the ticks_us() timestamp at which the burst was read
(the time of its last sample); the filter derives each sample's dt from these timestamps, so a chip
whose clock runs fast or slow is handled.
"""

from array import array

from micropython import const

AXES_PER_SAMPLE = const(6)


class Burst:
    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError("a burst holds at least one sample")
        self.capacity = capacity
        self.samples = array("h", bytes(2 * AXES_PER_SAMPLE * capacity))
        self.count = 0
        self.t_end_us = 0
        self.accel_lsb_per_g = 1
        self.gyro_lsb_per_dps = 1
        self.overflows = 0

    def set_scale(self, accel_lsb_per_g, gyro_lsb_per_dps):
        if accel_lsb_per_g <= 0 or gyro_lsb_per_dps <= 0:
            raise ValueError("scales must be positive counts per unit")
        self.accel_lsb_per_g = accel_lsb_per_g
        self.gyro_lsb_per_dps = gyro_lsb_per_dps
