"""The board's clock: the date from the RTC (or -1 when it was never set), and setting it."""

import time

from lumbo_fw.clock import BoardClock, pause_ms


class Time2000:
    """A port whose time.time() counts from 2000-01-01 (older ESP32 builds)."""

    def __init__(self, now):
        self.now = now

    def gmtime(self, secs=0):
        secs += 946684800
        return time.gmtime(secs)[0:6] + (time.gmtime(secs)[6], 0)

    def time(self):
        return self.now


class Rtc:
    def __init__(self):
        self.set_to = None

    def datetime(self, value):
        self.set_to = value


def test_a_clock_counting_from_2000_reads_in_unix_time():
    clock = BoardClock(Time2000(800000000))  # 2025-05-09 in seconds since 2000
    assert clock.epoch_s() == 800000000 + 946684800


def test_an_rtc_never_set_reads_minus_one():
    assert BoardClock(Time2000(1000)).epoch_s() == -1


def test_setting_the_date_writes_the_rtc_in_its_order():
    rtc = Rtc()
    BoardClock(Time2000(0), rtc).set_epoch_s(1704164645)  # 2024-01-02 03:04:05 UTC, a Tuesday
    year, month, day, _weekday, hours, minutes, seconds, sub = rtc.set_to
    assert (year, month, day, hours, minutes, seconds, sub) == (2024, 1, 2, 3, 4, 5, 0)


def test_without_an_rtc_setting_the_date_is_refused():
    try:
        BoardClock(Time2000(0)).set_epoch_s(1704164645)
    except ValueError as exc:
        assert "real-time clock" in str(exc)
    else:
        raise AssertionError("a clock without an RTC took a date")


def test_a_pause_lets_other_tasks_run():
    import asyncio

    order = []

    async def other():
        order.append("other")

    async def main():
        task = asyncio.create_task(other())
        await pause_ms(0)
        order.append("after the pause")
        await task

    asyncio.run(main())
    assert order == ["other", "after the pause"]
