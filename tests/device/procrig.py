"""A processing chain fed by hand: a stand-in IMU with an LSM6DSOX's scales and noise, and Bursts of a
still sensor lying flat (gravity on +z), with the time stamps a 50 Hz chip would give them."""

from lumbo_fw.burst import Burst
from lumbo_fw.processor import Processor
from lumbo_shared import settings

ACCEL_LSB_PER_G = 8196.72
GYRO_LSB_PER_DPS = 57.14


class StillImu:
    ACCEL_NOISE_UG = 1400
    GYRO_NOISE_MDPS = 70

    def __init__(self):
        self.rate_hz = 50
        self.accel_lsb_per_g = ACCEL_LSB_PER_G
        self.gyro_lsb_per_dps = GYRO_LSB_PER_DPS
        self.temp_cdeg = 2500


class Sink:
    def __init__(self):
        self.events = []
        self.minutes = []

    def event(self, t_s, kind, a, b):
        self.events.append((t_s, kind, a, b))

    def minute(self, t_s, seconds_per_state, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions):
        self.minutes.append((t_s, tuple(seconds_per_state)))


def processor(sink=None):
    return Processor(StillImu(), sink if sink is not None else Sink(), settings.defaults())


class Feed:
    """Bursts of `n` samples of a flat, still sensor (with a count of wobble), 20 ms apart."""

    def __init__(self, n=10):
        self.burst = Burst(64)
        self.burst.set_scale(ACCEL_LSB_PER_G, GYRO_LSB_PER_DPS)
        self.n = n
        self.t_us = 0
        s = self.burst.samples
        for i in range(n):
            s[6 * i + 2] = 8197 + (i & 1)
            s[6 * i + 3] = 3 - (i & 1)

    def next(self):
        self.t_us += 20000 * self.n
        self.burst.t_end_us = self.t_us & 0x3FFFFFFF
        self.burst.count = self.n
        return self.burst
