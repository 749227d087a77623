"""The radio's schedule: on for a window every period and at once on request; off when nobody came, or a
while after a host has synced, and never longer than the cap. The service and the log are stand-ins with
the methods the schedule uses; the radio's clock is a counter that runs a second per look."""

import asyncio

from lumbo_fw.radio import Radio


class Service:
    def __init__(self, ticks):
        self.ticks = ticks
        self.on = False
        self.starts = 0
        self.links = 0
        self.statuses = []
        self.on_poll = None

    def start(self):
        self.on = True
        self.starts += 1

    def stop(self):
        self.on = False

    def poll(self):
        if self.on_poll is not None:
            self.on_poll(self)
        return False

    def bonded_links(self):
        return self.links

    def set_status(self, *values):
        self.statuses.append(values)


class Log:
    def __init__(self):
        self.next_seq = 11
        self._hosts = []

    def hosts(self):
        return list(self._hosts)

    def ack(self, host_id, seq, use):
        self._hosts = [(host_id, seq, 0, use)]


class Ticks:
    """The radio's clock: every look at it moves it on by step_ms."""

    def __init__(self, step_ms=1000):
        self.now = 0
        self.step_ms = step_ms

    def __call__(self):
        self.now += self.step_ms
        return self.now


def _window(radio):
    asyncio.run(radio._window())


def test_nobody_comes_so_the_radio_is_off_after_the_window():
    ticks = Ticks()
    service = Service(ticks)
    radio = Radio(service, Log(), ticks, window_s=20, linger_s=5, max_on_s=120, poll_ms=0)
    _window(radio)
    assert service.starts == 1 and not service.on and not radio.on
    assert 20000 < ticks.now <= 23000


def test_a_host_that_synced_keeps_it_on_for_the_linger_then_off():
    ticks = Ticks()
    service = Service(ticks)
    log = Log()
    radio = Radio(service, log, ticks, window_s=20, linger_s=5, max_on_s=120, poll_ms=0)
    looks = [0]

    def host(s):
        looks[0] += 1
        s.links = 1
        if looks[0] == 40:  # connected for a while, then it acknowledges everything up to the head
            log.ack(0x1234, 10, 1)

    service.on_poll = host
    _window(radio)
    assert not service.on
    # On past the window (a host was connected), off a linger after the acknowledgement at about 40 s.
    assert 40000 + 5000 <= ticks.now <= 40000 + 9000


def test_records_logged_after_the_window_opened_do_not_hold_it_open():
    ticks = Ticks()
    service = Service(ticks)
    log = Log()
    radio = Radio(service, log, ticks, window_s=20, linger_s=5, max_on_s=120, poll_ms=0)
    looks = [0]

    def host(s):
        looks[0] += 1
        s.links = 1
        log.next_seq += 1  # the device logs on while the host is connected
        if looks[0] == 10:
            log.ack(0x1234, 10, 1)  # up to the head as it was when the window opened

    service.on_poll = host
    _window(radio)
    assert ticks.now < 30000


def test_a_host_that_never_acknowledges_is_cut_off_at_the_cap():
    ticks = Ticks()
    service = Service(ticks)
    radio = Radio(service, Log(), ticks, window_s=20, linger_s=5, max_on_s=120, poll_ms=0)

    def host(s):
        s.links = 1

    service.on_poll = host
    _window(radio)
    assert 120000 < ticks.now <= 124000


def test_always_on_never_stops():
    ticks = Ticks()
    service = Service(ticks)
    radio = Radio(service, Log(), ticks, window_s=1, max_on_s=2, always_on=True, poll_ms=0)

    async def main():
        task = asyncio.create_task(radio._window())
        for _ in range(50):
            await asyncio.sleep(0)
        still_on = service.on
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return still_on

    assert asyncio.run(main())
    assert not service.on  # cancelling the task switched it off


def test_a_sync_falls_due_every_period_of_device_time():
    radio = Radio(Service(Ticks()), Log(), Ticks(), period_s=900)
    radio.second(100)
    assert not radio._requested
    radio.second(999)
    assert not radio._requested
    radio.second(1000)
    assert radio._requested


def test_the_status_goes_out_only_while_the_radio_is_on_and_is_kept_for_the_next_window():
    ticks = Ticks()
    service = Service(ticks)
    radio = Radio(service, Log(), ticks, window_s=3, poll_ms=0)
    radio.status(1, 1250, 600, 90, 0, 1700000000)
    assert service.statuses == []
    _window(radio)
    assert service.statuses[0] == (1, 1250, 600, 90, 0, 1700000000)


def test_a_radio_that_will_not_start_is_reported_and_left_off():
    ticks = Ticks()
    service = Service(ticks)
    said = []

    def refuse():
        raise OSError(19, "no radio")

    service.start = refuse
    radio = Radio(service, Log(), ticks, say=said.append, poll_ms=0)
    _window(radio)
    assert not radio.on and radio.failures == 1
    assert "did not start" in said[0]
