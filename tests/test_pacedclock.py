"""The accelerated clock the emulated device runs on: device time moves in waits, paced to real time."""

import asyncio
import time

from lumbo import mpcompat

mpcompat.install(emulated_hardware=True)

from pacedclock import PacedClock  # noqa: E402


def test_a_wait_reaches_its_end_when_it_is_over_and_takes_speed_times_less_real_time():
    clock = PacedClock(speed=100, start_us=5_000_000)
    seen = []

    async def other():
        seen.append(clock.now_us())

    async def main():
        task = asyncio.ensure_future(other())
        start = time.monotonic()
        await clock.wait_ms(2000)
        await task
        return time.monotonic() - start

    real_s = asyncio.run(main())
    assert seen == [5_000_000], "other tasks see the time the wait began"
    assert clock.now_us() == 7_000_000
    assert 0.015 <= real_s < 0.2  # 2 device seconds at 100x: 20 ms


def test_speed_zero_does_not_wait_at_all():
    clock = PacedClock(speed=0)
    start = time.monotonic()
    for _ in range(100):
        clock.sleep_ms(1000)
    assert clock.now_us() == 100_000_000
    assert time.monotonic() - start < 0.1


def test_a_computer_that_falls_behind_is_forgiven_not_hurried():
    clock = PacedClock(speed=10)
    clock.sleep_ms(10)
    time.sleep(0.5)  # the firmware was busy for half a real second: 5 s of device time it never spent
    clock.sleep_ms(100)  # due long ago: the debt is forgiven, not paid by skipping the waits that follow
    start = time.monotonic()
    clock.sleep_ms(100)
    assert clock.forgiven_us > 300_000
    assert time.monotonic() - start >= 0.009


def test_the_pace_changes_where_it_was_told():
    clock = PacedClock(speed=1000, changes=((5_000_000, 20),))
    start = time.monotonic()
    clock.sleep_ms(5000)  # at 1000x: 5 ms
    fast = time.monotonic() - start
    clock.sleep_ms(1000)  # at 20x: 50 ms
    slow = time.monotonic() - start - fast
    assert fast < 0.03 and slow >= 0.045


def test_the_date_is_the_day_start_plus_device_time_and_can_be_set():
    clock = PacedClock(speed=0, start_us=90_000_000, epoch_at_zero_s=1_790_000_000)
    assert clock.epoch_s() == 1_790_000_090
    clock.set_epoch_s(1_800_000_000)
    assert clock.epoch_s() == 1_800_000_000
    assert PacedClock(speed=0).epoch_s() == -1


def test_the_ticks_wrap_as_micropython_s_do():
    clock = PacedClock(speed=0, start_us=(1 << 30) + 5)
    assert clock.ticks_us() == 5
    assert time.ticks_diff(clock.ticks_us(), (1 << 30) - 5) == 10
