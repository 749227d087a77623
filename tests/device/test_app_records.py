"""The record queue between the posture code and the device log: order, Unix time, overflow, no heap use."""

from devtest import ON_MICROPYTHON, assert_allocation_free
from lumbo_fw.records import RecordQueue
from lumbo_shared import vocab


class Log:
    """Takes records as the device log does (event() and minute())."""

    def __init__(self):
        self.records = []

    def event(self, t_s, kind, a, b):
        self.records.append(("event", t_s, kind, a, b))

    def minute(self, t_s, seconds_per_state, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions):
        self.records.append(("minute", t_s, tuple(seconds_per_state), tilt_mean_cdeg, tilt_min_cdeg,
                             tilt_max_cdeg, transitions))


def test_records_reach_the_log_in_order_in_unix_time():
    q = RecordQueue(8)
    q.epoch_base_s = 1700000000
    q.event(5, vocab.EVENT_BOUT_START, 3, 0)
    q.minute(60, (0, 50, 10, 0, 0, 0), 1250, -300, 2100, 2)
    q.event(61, vocab.EVENT_PROMPT, 1800, 1)
    log = Log()
    assert len(q) == 3
    assert q.write_to(log) == 3
    assert len(q) == 0
    assert log.records == [
        ("event", 1700000005, vocab.EVENT_BOUT_START, 3, 0),
        ("minute", 1700000060, (0, 50, 10, 0, 0, 0), 1250, -300, 2100, 2),
        ("event", 1700000061, vocab.EVENT_PROMPT, 1800, 1),
    ]


def test_the_time_base_in_force_when_a_record_is_made_is_the_one_it_keeps():
    q = RecordQueue(4)
    q.epoch_base_s = 1000
    q.event(1, vocab.EVENT_WALK_START, 2, 3)
    q.epoch_base_s = 5000  # the host set the clock before the logger wrote the record out
    q.event(2, vocab.EVENT_WALK_STOP, 3, 2)
    log = Log()
    q.write_to(log)
    assert [r[1] for r in log.records] == [1001, 5002]


def test_a_limit_leaves_the_rest_queued():
    q = RecordQueue(8)
    for i in range(5):
        q.event(i, vocab.EVENT_WALK_START, i, 0)
    log = Log()
    assert q.write_to(log, 2) == 2
    assert len(q) == 3
    q.write_to(log)
    assert [r[3] for r in log.records] == [0, 1, 2, 3, 4]


def test_a_full_queue_is_written_out_not_dropped():
    q = RecordQueue(3)
    log = Log()
    q.overflow = lambda queue: queue.write_to(log)
    for i in range(7):
        q.event(i, vocab.EVENT_WALK_START, i, 0)
    q.write_to(log)
    assert [r[3] for r in log.records] == list(range(7))


def test_a_full_queue_with_nowhere_to_go_says_so():
    q = RecordQueue(2)
    q.event(0, 1, 0, 0)
    q.event(1, 1, 0, 0)
    try:
        q.event(2, 1, 0, 0)
    except OverflowError as exc:
        assert "full" in str(exc)
    else:
        raise AssertionError("a third record fitted a queue of two")


def test_the_listener_hears_every_event_as_it_is_queued():
    q = RecordQueue(4)
    heard = []
    q.listener = lambda kind, a, b: heard.append((kind, a, b))
    q.event(10, vocab.EVENT_PROMPT, 1800, 1)
    q.minute(60, (60, 0, 0, 0, 0, 0), 0, 0, 0, 0)
    assert heard == [(vocab.EVENT_PROMPT, 1800, 1)]


def mpytest_queueing_a_record_allocates_nothing():
    assert ON_MICROPYTHON
    q = RecordQueue(4)
    q.epoch_base_s = 100000

    def event_and_drain():
        q.event(7, vocab.EVENT_WALK_START, 2, 3)
        q._count = 0  # taken out again without a log, which would allocate for its own reasons

    assert_allocation_free(event_and_drain)
