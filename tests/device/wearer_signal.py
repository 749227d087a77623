"""Small generated IMU signals of a wearer, for device-side tests (MicroPython and CPython alike).

The sensor sits on the pelvis with +x up when the wearer stands and +z pointing backwards, so a pelvic
tilt theta (degrees, positive backwards) turns "up" in the sensor frame to (cos theta, 0, sin theta) and the
gyro reads the tilt rate about +y. The pelvis's height follows minimum-jerk moves; the accelerometer reads
(1 g + vertical acceleration) along "up" (specific force), plus walking's bounce and a little noise from a
fixed pseudo-random sequence, so the same call gives the same samples.

`Wearer(rate_hz)` collects segments; `feed(wearer, on_burst)` turns them into bursts.
"""

import math

from lumbo_fw.burst import Burst

ACCEL_LSB_PER_G = 4096
GYRO_LSB_PER_DPS = 16.4
G = 9.80665


def min_jerk(s):
    """Minimum-jerk position (0..1) and its second derivative per unit time squared, for s in 0..1."""
    if s <= 0:
        return 0.0, 0.0
    if s >= 1:
        return 1.0, 0.0
    return 10 * s ** 3 - 15 * s ** 4 + 6 * s ** 5, 60 * s - 180 * s * s + 120 * s ** 3


def min_jerk_rate(s):
    if s <= 0 or s >= 1:
        return 0.0
    return 30 * s * s - 60 * s ** 3 + 30 * s ** 4


class Wearer:
    """A timeline of (duration_s, function(t_local) -> (theta_deg, theta_rate_dps, vertical_acc_mps2, bounce))."""

    def __init__(self, rate_hz=50, noise_mg=3, start_theta_deg=0.0):
        self.rate_hz = rate_hz
        self.noise_mg = noise_mg
        self.parts = []
        self.theta = start_theta_deg
        self.duration_s = 0.0
        self._seed = 12345

    def _add(self, duration_s, func):
        self.parts.append((self.duration_s, duration_s, func))
        self.duration_s += duration_s
        return self

    def hold(self, duration_s, theta_deg=None, sway_deg=0.3):
        theta = self.theta if theta_deg is None else theta_deg
        self.theta = theta

        def f(t):
            # Slow postural sway (0.3 Hz) keeps the wearer from being perfectly still.
            w = 2 * math.pi * 0.3
            return theta + sway_deg * math.sin(w * t), sway_deg * w * math.cos(w * t), 0.0, 0.0
        return self._add(duration_s, f)

    def move(self, duration_s, theta_deg, drop_m=0.0, lean_deg=0.0):
        """Tilt to theta_deg while the pelvis drops by drop_m (negative: rises), leaning forward lean_deg
        mid-way (sitting down and standing up lean the trunk and tip the pelvis forward and back)."""
        theta0 = self.theta
        self.theta = theta_deg
        T = duration_s

        def f(t):
            s = t / T
            p, acc = min_jerk(s)
            bump = math.sin(math.pi * s) if 0 < s < 1 else 0.0
            bump_rate = math.pi / T * math.cos(math.pi * s) if 0 < s < 1 else 0.0
            theta = theta0 + (theta_deg - theta0) * p - lean_deg * bump
            rate = (theta_deg - theta0) * min_jerk_rate(s) / T - lean_deg * bump_rate
            return theta, rate, -drop_m * acc / (T * T), 0.0
        return self._add(duration_s, f)

    def sit_down(self, seat_theta_deg=15.0, duration_s=2.0):
        return self.move(duration_s, seat_theta_deg, drop_m=0.45, lean_deg=25.0)

    def stand_up(self, duration_s=2.0):
        return self.move(duration_s, 0.0, drop_m=-0.45, lean_deg=25.0)

    def walk(self, duration_s, cadence_hz=1.8, bounce_m=0.02, theta_deg=3.0):
        self.theta = theta_deg

        def f(t):
            w = 2 * math.pi * cadence_hz
            # The pelvis falls and rises once a step; its tilt rocks a little with each step.
            return theta_deg + 2.0 * math.sin(w * t), 2.0 * w * math.cos(w * t), bounce_m * w * w * math.sin(w * t), 0.0
        return self._add(duration_s, f)

    def _noise(self):
        self._seed = (1103515245 * self._seed + 12345) % 2147483648
        return (self._seed / 2147483648.0 - 0.5) * 2 * self.noise_mg / 1000.0

    def samples(self):
        """(t_s, ax_g, ay_g, az_g, gx_dps, gy_dps, gz_dps) for each sample, in time order."""
        n = int(self.duration_s * self.rate_hz)
        k = 0
        for start, length, f in self.parts:
            while k < n and k / self.rate_hz < start + length:
                t = k / self.rate_hz
                theta, rate, acc, _ = f(t - start)
                r = math.radians(theta)
                a = 1.0 + acc / G
                yield (t, a * math.cos(r) + self._noise(), self._noise(), a * math.sin(r) + self._noise(),
                       0.0, rate, 0.0)
                k += 1


def feed(wearer, on_burst, burst_samples=10):
    """Run the wearer's samples as bursts, calling on_burst(burst) for each.

    Returns the number of samples fed. Timestamps are ticks in microseconds, wrapping at 2**30 as
    MicroPython's ticks_us does, starting close to the wrap so tests cross it.
    """
    burst = Burst(burst_samples)
    burst.set_scale(ACCEL_LSB_PER_G, GYRO_LSB_PER_DPS)
    s = burst.samples
    t0_us = (1 << 30) - 3000000
    i = 0
    total = 0
    for t, ax, ay, az, gx, gy, gz in wearer.samples():
        j = 6 * i
        s[j] = _count(ax * ACCEL_LSB_PER_G)
        s[j + 1] = _count(ay * ACCEL_LSB_PER_G)
        s[j + 2] = _count(az * ACCEL_LSB_PER_G)
        s[j + 3] = _count(gx * GYRO_LSB_PER_DPS)
        s[j + 4] = _count(gy * GYRO_LSB_PER_DPS)
        s[j + 5] = _count(gz * GYRO_LSB_PER_DPS)
        i += 1
        total += 1
        if i == burst_samples:
            burst.count = i
            burst.t_end_us = (t0_us + int(t * 1000000)) % (1 << 30)
            on_burst(burst)
            i = 0
    return total


def _count(x):
    v = round(x)
    if v > 32767:
        return 32767
    if v < -32768:
        return -32768
    return v
