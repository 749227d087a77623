from devtest import assert_allocation_free
from lumbo_fw.summary import NO_TILT, MinuteSummary
from lumbo_shared import vocab


class Sink:
    def __init__(self):
        self.minutes = []

    def minute(self, t_s, seconds_per_state, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions):
        self.minutes.append((t_s, list(seconds_per_state), tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions))


def test_a_minute_counts_states_seated_tilt_and_transitions():
    sink = Sink()
    summary = MinuteSummary(sink)
    # Minute 0: 20 s standing, 30 s sitting with the tilt stepping 1000, 1100, 1200 (10 s each), 10 s walking.
    t = 0
    for _ in range(20):
        t += 1
        summary.second(t, vocab.STATE_STANDING, 100)
    for tilt in (1000, 1100, 1200):
        for _ in range(10):
            t += 1
            summary.second(t, vocab.STATE_SITTING, tilt)
    for _ in range(10):
        t += 1
        summary.second(t, vocab.STATE_WALKING, NO_TILT)
    assert sink.minutes == []
    t += 1
    summary.second(t, vocab.STATE_WALKING, NO_TILT)  # the first second of minute 1 closes minute 0
    assert len(sink.minutes) == 1
    start, counts, mean, low, high, transitions = sink.minutes[0]
    assert start == 0
    assert counts[vocab.STATE_STANDING] == 20 and counts[vocab.STATE_SITTING] == 30
    assert counts[vocab.STATE_WALKING] == 10 and sum(counts) == 60
    # Standing tilt does not count: mean (1000 + 1100 + 1200) / 3 over the seated seconds only.
    assert (mean, low, high) == (1100, 1000, 1200)
    assert transitions == 2


def test_a_minute_without_seated_tilt_says_so():
    sink = Sink()
    summary = MinuteSummary(sink)
    for t in range(1, 61):
        summary.second(t, vocab.STATE_SITTING if t > 30 else vocab.STATE_STANDING, NO_TILT)
    summary.flush()
    assert sink.minutes[0][2:5] == (NO_TILT, NO_TILT, NO_TILT)
    assert sink.minutes[0][1][vocab.STATE_SITTING] == 30
    # Negative tilts (leaning forward while seated) average correctly: (-101 - 100) / 2 rounds to -101.
    summary.second(61, vocab.STATE_SITTING, -101)
    summary.second(62, vocab.STATE_SITTING, -100)
    summary.flush()
    assert sink.minutes[1][0] == 60 and sink.minutes[1][2:5] == (-101, -101, -100)


def mpytest_counting_a_second_allocates_nothing():
    sink = Sink()
    summary = MinuteSummary(sink)
    clock = [0]

    def tick():
        clock[0] += 1
        summary.second(clock[0], vocab.STATE_SITTING, 1234)

    assert_allocation_free(tick, repeat=50)
