"""The tilt filter on motions whose gravity direction is known exactly: rest, turns, shaking, taps, gyro
bias, chip clocks that run fast or slow, timing jitter, lost samples, saving and restoring the state."""

import math
from array import array
from time import ticks_add

from devtest import assert_allocation_free, heap_bytes_per_call, raises
from lumbo_fw.burst import Burst
from lumbo_fw.tilt import TiltFilter, TiltSettings

ACCEL_LSB = 4096.0
GYRO_LSB = 16.4
RATE_HZ = 50


def angle_deg(a, b):
    """Angle between two 3-vectors, degrees."""
    dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    na = math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
    nb = math.sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2])
    return math.degrees(math.acos(max(-1.0, min(1.0, dot / (na * nb)))))


class Feed:
    """Drives a TiltFilter with a motion: motion(t, dt) -> (up, accel_g, gyro_dps) at a sample taken at t,
    dt after the previous one; up is the true "up". The gyro value is the mean rate since that sample.

    The chip samples at rate_hz * clock (its own clock runs fast or slow); the timestamp of each burst is
    the true time of its last sample plus jitter_us of read delay, alternating in sign.
    """

    def __init__(self, filt, burst_len=10, rate_hz=RATE_HZ, clock=1.0, jitter_us=0,
                 accel_lsb=ACCEL_LSB, gyro_lsb=GYRO_LSB):
        self.filt = filt
        self.burst = Burst(burst_len)
        self.burst.set_scale(accel_lsb, gyro_lsb)
        self.accel_lsb = accel_lsb
        self.gyro_lsb = gyro_lsb
        self.period_s = 1.0 / (rate_hz * clock)
        self.jitter_us = jitter_us
        self.n = 0
        self.bursts = 0
        self.worst_deg = 0.0  # largest error seen since reset_worst()
        self.last_deg = 0.0

    def reset_worst(self):
        self.worst_deg = 0.0

    def run(self, seconds, motion, skip_samples=0, relative=True):
        """Feed `seconds` of motion (its time starts at 0 unless relative is False); returns the error after
        each burst, degrees (a float array: a list of float objects would not fit a device's heap)."""
        errors = array("f")
        t0 = self.n * self.period_s if relative else 0.0
        samples = self.burst.samples
        end = self.n + int(seconds / self.period_s)
        while self.n < end:
            count = 0
            up = None
            while count < self.burst.capacity and self.n < end:
                up, accel, gyro = motion(self.n * self.period_s - t0, self.period_s)
                k = 6 * count
                for i in range(3):
                    samples[k + i] = max(-32768, min(32767, round(accel[i] * self.accel_lsb)))
                    samples[k + 3 + i] = max(-32768, min(32767, round(gyro[i] * self.gyro_lsb)))
                count += 1
                self.n += 1
            t_end = (self.n - 1) * self.period_s
            jitter = self.jitter_us if self.bursts % 2 else -self.jitter_us
            self.burst.count = count
            self.burst.t_end_us = ticks_add(0, int(t_end * 1e6) + jitter + 1000000)
            self.filt.update(self.burst)
            self.bursts += 1
            err = angle_deg(self.filt.gravity_q14, up)
            self.last_deg = err
            if self.n > skip_samples:
                self.worst_deg = max(self.worst_deg, err)
            errors.append(err)
        return errors


def still(up, bias=(0.0, 0.0, 0.0)):
    def motion(t, dt):
        return up, up, bias

    return motion


def rocking(amplitude_deg, period_s, bias=(0.0, 0.0, 0.0), shake_g=0.0, shake_hz=2.0):
    """Rocks about x and, a quarter period later, about y (so gravity sweeps a cone), shaken along x."""
    w = 2.0 * math.pi / period_s
    amp = math.radians(amplitude_deg)

    def motion(t, dt):
        a = amp * math.sin(w * t)
        b = amp * math.cos(w * t)
        ra = amp * w * math.cos(w * t)
        rb = -amp * w * math.sin(w * t)
        # R = Rx(a) Ry(b); up in the sensor frame = R^T z
        ca, sa, cb, sb = math.cos(a), math.sin(a), math.cos(b), math.sin(b)
        up = (-sb * ca, sa, cb * ca)
        # body rates of R = Rx(a) Ry(b): omega = Ry(b)^T (ra, 0, 0) + (0, rb, 0)
        omega = (ra * cb, rb, ra * sb)
        shake = shake_g * math.sin(2.0 * math.pi * shake_hz * t)
        accel = (up[0] + shake, up[1], up[2])
        gyro = (math.degrees(omega[0]) + bias[0], math.degrees(omega[1]) + bias[1], math.degrees(omega[2]) + bias[2])
        return up, accel, gyro

    return motion


def turn_about_x(rate_dps, start_deg=0.0, stop_deg=None, bias=(0.0, 0.0, 0.0)):
    """Turns about the sensor's x axis at rate_dps from start_deg until stop_deg, then holds."""
    def angle_at(t):
        angle = start_deg + rate_dps * max(t, 0.0)
        return stop_deg if stop_deg is not None and angle > stop_deg else angle

    def motion(t, dt):
        a = math.radians(angle_at(t))
        rate = (angle_at(t) - angle_at(t - dt)) / dt
        up = (0.0, math.sin(a), math.cos(a))
        return up, up, (rate + bias[0], bias[1], bias[2])

    return motion


def new_filter(settings=None):
    return TiltFilter(RATE_HZ, settings)


# ---- accuracy on known motions ----

def test_a_still_sensor_reports_the_measured_gravity_direction():
    up = (0.3, -0.5, 0.812404)
    filt = new_filter()
    feed = Feed(filt)
    feed.run(3.0, still(up))
    assert filt.ready
    assert feed.last_deg < 0.05, feed.last_deg
    g = filt.gravity_q14
    norm = math.sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2])
    assert abs(norm - 16384) <= 3, norm
    assert filt.resting


def test_gyro_bias_is_learned_at_rest_and_reported():
    bias = (1.5, -2.0, 0.8)
    filt = new_filter()
    feed = Feed(filt)
    feed.run(15.0, still((0.0, 0.0, 1.0), bias))
    out = array("i", (0, 0, 0))
    filt.gyro_bias_mdps(out)
    for i in range(3):
        assert abs(out[i] - 1000 * bias[i]) < 30, (list(out), bias)
    assert filt.gyro_bias_sigma_mdps() < 1000  # from 5000 after a cold start
    assert feed.last_deg < 0.05


def test_a_turn_is_followed_by_the_gyro():
    filt = new_filter()
    feed = Feed(filt)
    feed.run(2.0, still((0.0, 0.0, 1.0)))
    feed.reset_worst()
    feed.run(4.0, turn_about_x(45.0, 0.0, 90.0))  # a quarter turn in two seconds, then held
    assert feed.worst_deg < 1.0, feed.worst_deg
    assert feed.last_deg < 0.2, feed.last_deg


def test_fast_turns_beyond_a_radian_per_sample_are_clipped_not_wrapped():
    filt = new_filter()
    feed = Feed(filt, gyro_lsb=8.0)  # a chip with a +-4000 dps range at 50 Hz: 80 deg per sample
    feed.run(1.0, still((0.0, 0.0, 1.0)))
    feed.run(10.4, turn_about_x(3500.0, 0.0, 1400.0))  # four turns in 0.4 s, then held
    g = filt.gravity_q14
    assert abs(math.sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]) - 16384) <= 3
    assert feed.last_deg < 1.0, feed.last_deg  # the accelerometer brings it back


def test_shaking_while_tilted_does_not_tilt_the_estimate():
    filt = new_filter()
    feed = Feed(filt)
    feed.run(30.0, rocking(20.0, 4.0, shake_g=0.3, shake_hz=1.5), skip_samples=int(5 * RATE_HZ))
    assert feed.worst_deg < 1.0, feed.worst_deg


def test_taps_do_not_throw_the_estimate():
    up = (0.0, 0.5, 0.866025)

    def tapped(t, dt):
        # a knock every two seconds: 8 g one way for a sample, then the rebound
        n = int(t / dt + 0.5) % (2 * RATE_HZ)
        spike = 8.0 if n == 0 else -8.0 if n == 1 else 0.0
        return up, (up[0] + spike, up[1] - spike, up[2]), (0.0, 0.0, 0.0)

    filt = new_filter()
    feed = Feed(filt)
    feed.run(2.0, still(up))
    feed.reset_worst()
    feed.run(10.0, tapped)
    assert feed.worst_deg < 0.5, feed.worst_deg


def test_an_unknown_bias_is_learned_during_motion_without_rest():
    bias = (2.0, -2.0, 1.0)
    filt = new_filter()
    feed = Feed(filt)
    errors = feed.run(150.0, rocking(25.0, 5.0, bias=bias))
    assert not filt.resting
    early = max(errors[25:100])  # 5-20 s: the bias is still being learned
    late = max(errors[-100:])  # the last 20 s
    assert late < 1.0, late
    assert early > 2 * late, (early, late)  # it was learning, not just accurate from the start


def test_without_motion_learning_the_same_bias_tilts_the_estimate():
    settings = TiltSettings()
    settings.bias_motion_tau_fast_s = 1e6
    settings.bias_motion_tau_slow_s = 1e6
    filt = new_filter(settings)
    feed = Feed(filt)
    errors = feed.run(150.0, rocking(25.0, 5.0, bias=(2.0, -2.0, 1.0)))
    assert max(errors[-100:]) > 2.0  # the check above is not passing by itself


# ---- timing ----

def test_a_slow_chip_clock_is_measured_from_the_burst_timestamps():
    filt = new_filter()
    feed = Feed(filt, clock=0.97, jitter_us=3000)  # 3 % slow, +-3 ms read jitter
    assert filt.period_us == 20000
    feed.run(40.0, still((0.0, 0.0, 1.0)))
    true_us = 1e6 / (RATE_HZ * 0.97)
    assert abs(filt.period_us - true_us) < 0.002 * true_us, (filt.period_us, true_us)


def test_a_turn_on_a_fast_chip_clock_is_tracked_once_timed():
    filt = new_filter()
    feed = Feed(filt, clock=1.04, jitter_us=2000)
    feed.run(20.0, still((0.0, 0.0, 1.0)))
    feed.reset_worst()
    feed.run(3.0, turn_about_x(60.0, 0.0, 120.0))
    # with the nominal period the gyro angle would be 4 % short: 4.8 degrees after 120
    assert feed.worst_deg < 1.0, feed.worst_deg


def test_lost_samples_and_absurd_timestamps_do_not_disturb_the_period():
    filt = new_filter()
    feed = Feed(filt)
    feed.run(10.0, still((0.0, 0.0, 1.0)))
    before = filt.period_us
    burst = feed.burst
    burst.overflows += 1  # the driver lost samples: this burst's time span covers more than it holds
    burst.t_end_us = ticks_add(burst.t_end_us, 5000000)
    filt.update(burst)
    burst.t_end_us = ticks_add(burst.t_end_us, -1000)  # a clock that jumped back
    filt.update(burst)
    assert filt.period_us == before


# ---- state ----

def test_saving_and_restoring_mid_run_changes_nothing():
    motion = rocking(20.0, 3.0, bias=(1.0, 0.5, -0.7), shake_g=0.2)
    whole = new_filter()
    feed_whole = Feed(whole)
    first = new_filter()
    feed_first = Feed(first)
    feed_whole.run(12.0, motion, relative=False)
    feed_first.run(12.0, motion, relative=False)
    saved = first.save()
    assert len(saved) == TiltFilter.save_size()
    second = new_filter()
    second.restore(saved)
    feed_second = Feed(second)
    feed_second.n = feed_first.n
    feed_second.bursts = feed_first.bursts
    a = array("i", (0, 0, 0))
    b = array("i", (0, 0, 0))
    for _ in range(30):
        feed_whole.run(0.2, motion, relative=False)
        feed_second.run(0.2, motion, relative=False)
        assert list(whole.gravity_q14) == list(second.gravity_q14)
        assert whole.resting == second.resting
        assert list(whole.gyro_bias_mdps(a)) == list(second.gyro_bias_mdps(b))
    assert whole.save() == second.save()


def test_save_into_a_buffer_and_restore_from_it():
    filt = new_filter()
    Feed(filt).run(3.0, still((0.0, 0.6, 0.8), (0.5, 0.0, 0.0)))
    buf = bytearray(TiltFilter.save_size())
    filt.save(buf)
    other = new_filter()
    other.restore(buf)
    assert list(other.gravity_q14) == list(filt.gravity_q14)
    assert other.period_us == filt.period_us
    raises(ValueError, filt.save, bytearray(3))


def test_restore_rejects_what_is_not_a_saved_state_and_keeps_the_old_one():
    filt = new_filter()
    Feed(filt).run(3.0, still((0.0, 0.6, 0.8)))
    kept = filt.save()
    err = raises(ValueError, filt.restore, b"nonsense")
    assert "reset()" in str(err)
    wrong_magic = b"XXXX" + kept[4:]
    raises(ValueError, filt.restore, wrong_magic)
    corrupt = bytearray(kept)
    corrupt[-1] = 0xFF  # the last state word becomes negative: impossible
    raises(ValueError, filt.restore, corrupt)
    assert filt.save() == kept


def test_reset_starts_afresh():
    filt = new_filter()
    Feed(filt).run(3.0, still((0.0, 0.6, 0.8), (1.0, 0.0, 0.0)))
    filt.reset()
    assert not filt.ready
    assert list(filt.gravity_q14) == [0, 0, 0]
    out = array("i", (9, 9, 9))
    assert list(filt.gyro_bias_mdps(out)) == [0, 0, 0]


# ---- inputs ----

def test_the_chip_scale_does_not_change_the_answer():
    motion = rocking(30.0, 4.0, shake_g=0.1)
    coarse = new_filter()
    fine = new_filter()
    feed_coarse = Feed(coarse, accel_lsb=2048.0, gyro_lsb=16.4)  # +-16 g, +-2000 dps
    feed_fine = Feed(fine, accel_lsb=16384.0, gyro_lsb=131.0)  # +-2 g, +-250 dps
    for _ in range(20):
        feed_coarse.run(0.5, motion, relative=False)
        feed_fine.run(0.5, motion, relative=False)
        assert angle_deg(coarse.gravity_q14, fine.gravity_q14) < 0.3


def test_bursts_of_one_sample_and_of_many_agree():
    motion = rocking(20.0, 3.0, bias=(0.5, 0.0, 0.0))
    single = new_filter()
    many = new_filter()
    feed_single = Feed(single, burst_len=1)
    feed_many = Feed(many, burst_len=25)
    feed_single.run(10.0, motion)
    feed_many.run(10.0, motion)
    assert angle_deg(single.gravity_q14, many.gravity_q14) < 0.05


def test_bad_input_is_rejected_with_a_clear_error():
    err = raises(ValueError, TiltFilter, 5)
    assert "rate_hz" in str(err)
    raises(ValueError, TiltFilter, 5000)
    filt = new_filter()
    burst = Burst(4)
    burst.set_scale(1000.0, 16.4)  # a +-32 g chip: outside the supported scales
    burst.count = 4
    err = raises(ValueError, filt.update, burst)
    assert "accel_lsb_per_g" in str(err)
    burst.set_scale(4096.0, 16.4)
    burst.count = 5
    raises(ValueError, filt.update, burst)
    burst.count = 0
    filt.update(burst)  # an empty burst is nothing to do
    assert not filt.ready
    slow = TiltFilter(25)
    burst.set_scale(4096.0, 4.0)  # a +-8000 dps gyro at 25 Hz: one count is too much turn per sample
    burst.count = 4
    err = raises(ValueError, slow.update, burst)
    assert "gyro_lsb_per_dps" in str(err)


# ---- heap (MicroPython only) ----

def _moving_feed(burst_len):
    filt = new_filter()
    feed = Feed(filt, burst_len=burst_len)
    feed.run(2.0, rocking(20.0, 3.0, shake_g=0.2))
    burst = feed.burst
    step = burst_len * 1000000 // RATE_HZ

    def again():
        burst.t_end_us = ticks_add(burst.t_end_us, step)
        filt.update(burst)

    return again


def mpytest_update_allocates_nothing_per_burst_of_many_samples():
    assert_allocation_free(_moving_feed(25), repeat=100)


def mpytest_update_allocates_nothing_per_single_sample_burst():
    assert_allocation_free(_moving_feed(1), repeat=300)


def mpytest_update_allocates_nothing_at_rest_and_while_timing():
    filt = new_filter()
    feed = Feed(filt, burst_len=10, jitter_us=1500)
    feed.run(5.0, still((0.0, 0.0, 1.0), (1.0, 0.0, 0.0)))
    assert filt.resting
    burst = feed.burst
    jitter = [0]

    def again():
        jitter[0] = 1500 - jitter[0]
        burst.t_end_us = ticks_add(burst.t_end_us, 200000 + jitter[0] - 750)
        filt.update(burst)

    assert heap_bytes_per_call(again, 200) == 0
