"""The processing chain: bursts in, seconds counted; seconds without samples keep the bout timer and the
minute summaries going; the per-burst path allocates nothing."""

from procrig import Feed, Sink, processor

from devtest import ON_MICROPYTHON, heap_bytes_per_call
from lumbo_shared import vocab


def test_every_fifty_samples_make_a_second():
    p = processor()
    feed = Feed(10)
    seconds = 0
    for _ in range(25):
        seconds += p.burst(feed.next())
    assert seconds == 5 and p.t_s == 5


def test_an_empty_burst_changes_nothing():
    p = processor()
    feed = Feed(10)
    burst = feed.next()
    burst.count = 0
    assert p.burst(burst) == 0 and p.t_s == 0


def test_seconds_off_the_body_end_a_bout_and_fill_the_minutes():
    sink = Sink()
    p = processor(sink)
    p.t_s = 50
    p.bouts.resume(50, 0, 0)  # sitting since t = 0
    p.idle_seconds(130)
    kinds = [e[1] for e in sink.events]
    assert vocab.EVENT_BOUT_END in kinds and vocab.EVENT_BREAK_TAKEN in kinds
    # The minute from 60 s to 120 s was all off the body.
    assert (60, (0, 0, 0, 0, 0, 60)) in sink.minutes
    assert p.state == vocab.STATE_NOT_WORN and p.t_s == 180


def test_snooze_holds_until_it_runs_out():
    p = processor()
    p.t_s = 100
    p.snooze(600)
    assert p.snoozed()
    p.idle_seconds(601, vocab.STATE_UNKNOWN)
    assert not p.snoozed()


def mpytest_a_burst_inside_a_second_allocates_nothing():
    assert ON_MICROPYTHON
    p = processor()
    feed = Feed(10)
    for _ in range(20):
        p.burst(feed.next())  # the filters settle and make what they make once
    noop = lambda: None  # noqa: E731  (made before the measurement)
    p._second = noop  # the once-a-second chain runs floats on purpose; this measures the per-burst path
    call = lambda: p.burst(feed.next())  # noqa: E731
    used = heap_bytes_per_call(call, 100)
    assert used == 0, "the per-burst path allocated %d bytes per burst" % used
