"""Raw stream notifications to a recording: sample times from the device's clock, across its wrap, with
bursts split over notifications and lost notifications."""

import numpy as np

from lumbo.link.raw import RawRecorder, step_us
from lumbo_shared import codec


def raw_item(counter, t_end_us, samples):
    payload = codec.encode([("raw", {"counter": counter, "t_end_us": t_end_us, "accel_lsb_per_g": 16384,
                                     "gyro_lsb_per_dps": 131, "tail": [v for s in samples for v in s]})])
    return codec.decode(payload).items[0]


def sample(k):
    return (k, -k, 16384, k % 131, 0, -(k % 100))


def test_steps_of_a_clock_that_wraps_at_2_30_or_2_32():
    assert step_us(100, 50) == 50
    assert step_us(10, (1 << 30) - 10) == 20  # MicroPython's ticks_us wrapped
    assert step_us(10, (1 << 32) - 10) == 20  # a 32-bit clock wrapped


def test_times_follow_the_device_clock_across_the_wrap_and_split_bursts():
    rec = RawRecorder(50.0)
    start = (1 << 30) - 30_000  # the wrap falls inside the second burst
    counter = 0
    k = 0
    for _ in range(4):
        t_end = (start + (k + 4) * 20_000) % (1 << 30)
        # Each burst of 5 samples arrives in two notifications with the same end time.
        rec.feed(raw_item(counter, t_end, [sample(k + i) for i in range(3)]))
        rec.feed(raw_item(counter + 1, t_end, [sample(k + i) for i in range(3, 5)]))
        counter += 2
        k += 5
    r = rec.recording({"source": "test"})
    assert len(r) == 20 and rec.lost_notifications == 0
    assert np.allclose(r.t_s, 0.02 * np.arange(20))
    assert np.allclose(r.accel_g[:, 0], np.arange(20) / 16384)
    assert np.allclose(r.gyro_dps[:, 2], -(np.arange(20) % 100) / 131)
    assert r.meta == {"rate_hz": "50", "lost_notifications": "0", "source": "test"}


def test_after_lost_notifications_time_goes_on_and_the_nominal_spacing_is_used():
    rec = RawRecorder(50.0)
    rec.feed(raw_item(7, 1_000_000, [sample(i) for i in range(5)]))
    # Notifications 8 and 9 (samples 5..14) were lost; 10 holds samples 15..19.
    rec.feed(raw_item(10, 1_000_000 + 15 * 20_000, [sample(15 + i) for i in range(5)]))
    r = rec.recording()
    assert rec.lost_notifications == 2
    assert np.allclose(r.t_s, 0.02 * np.array([0, 1, 2, 3, 4, 15, 16, 17, 18, 19]))
