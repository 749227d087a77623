from devtest import assert_allocation_free, raises
from lumbo_fw.bouts import SKIPPED_QUIET_HOURS, BoutSettings, BoutTimer
from lumbo_shared import settings as shared_settings
from lumbo_shared import vocab

SIT = vocab.STATE_SITTING
STAND = vocab.STATE_STANDING
WALK = vocab.STATE_WALKING


class Log:
    def __init__(self):
        self.events = []

    def event(self, t_s, kind, a, b):
        self.events.append((t_s, kind, a, b))

    def of(self, kind):
        return [e for e in self.events if e[1] == kind]


class Day:
    """Drives a BoutTimer second by second through spans of postures, as the classifier would."""

    def __init__(self, settings=None):
        self.log = Log()
        self.timer = BoutTimer(self.log, BoutSettings(settings) if settings else None)
        self.t = 0
        self.state = vocab.STATE_UNKNOWN
        self.since = 0

    def spend(self, state, seconds):
        """The wearer is in state for seconds; since_s says when the posture began (second t covers
        [t - 1, t), as the classifier reports it)."""
        for _ in range(seconds):
            self.t += 1
            if state != self.state:
                self.state = state
                self.since = self.t - 1
            self.timer.second(self.t, state, self.since)
        return self

    def routine(self, routine, reps):
        self.t += 1
        self.timer.second(self.t, self.state, self.since, routine, reps)
        return self


def test_settings_are_validated_and_a_bad_set_changes_nothing():
    s = BoutSettings()
    assert s.sit_limit_s == 1800 and s.reprompt_s == 600 and s.break_min_s == 60
    raises(shared_settings.SettingError, s.apply, {"sit_limit_s": 100})
    raises(shared_settings.SettingError, s.apply, {"sit_limitt_s": 900})
    # reprompt_s longer than the (new) limit: the pair is refused and neither value is taken.
    raises(shared_settings.SettingError, s.apply, {"sit_limit_s": 600, "reprompt_s": 900})
    assert s.sit_limit_s == 1800 and s.reprompt_s == 600
    # Checked against the current values, not the defaults: a limit of 900 with the reprompt at 900 is fine.
    s.apply({"sit_limit_s": 900, "reprompt_s": 900})
    raises(shared_settings.SettingError, s.apply, {"reprompt_s": 1000})
    assert s.reprompt_s == 900


def test_prompt_at_the_limit_then_every_reprompt():
    d = Day().spend(STAND, 10).spend(SIT, 2990)
    starts = d.log.of(vocab.EVENT_BOUT_START)
    assert len(starts) == 1
    # Sitting began at 10 s: prompts at 10 + 1800 and 10 + 1800 + 600 s; the next (3010 s) is after the end.
    assert d.timer.bout_start_s == 10
    prompts = d.log.of(vocab.EVENT_PROMPT)
    assert [p[0] for p in prompts] == [1810, 2410], prompts
    # a = bout length, b = prompt number.
    assert prompts[0][2] == 1800 and prompts[0][3] == 1 and prompts[1][3] == 2


def test_a_short_stand_does_not_end_a_bout_but_a_long_one_does():
    d = Day().spend(SIT, 1000).spend(STAND, 40).spend(SIT, 1000)
    assert len(d.log.of(vocab.EVENT_BOUT_START)) == 1
    assert not d.log.of(vocab.EVENT_BOUT_END)
    # The bout ran through the stand: prompted at 1800 s of it.
    assert len(d.log.of(vocab.EVENT_PROMPT)) == 1
    d.spend(WALK, 90)
    ends = d.log.of(vocab.EVENT_BOUT_END)
    assert len(ends) == 1
    # Ended when the walk began (2040 s in), confirmed break_min_s (60 s) later.
    t, _, bout_s, break_s = ends[0]
    assert break_s == 60 and abs(bout_s - 2040) <= 2, ends
    taken = d.log.of(vocab.EVENT_BREAK_TAKEN)
    assert taken == [(t, vocab.EVENT_BREAK_TAKEN, vocab.ROUTINE_WALK, 0)]


def test_no_prompt_outside_a_bout_and_none_during_a_moment_up():
    d = Day().spend(STAND, 4000)
    assert not d.log.of(vocab.EVENT_PROMPT) and not d.log.of(vocab.EVENT_BOUT_START)
    # The limit falls during a 30 s stand: the prompt waits until the wearer sits again.
    d = Day().spend(SIT, 1790).spend(STAND, 30).spend(SIT, 100)
    prompts = d.log.of(vocab.EVENT_PROMPT)
    assert len(prompts) == 1 and prompts[0][0] == 1790 + 30 + 1, prompts


def test_a_bout_seen_late_is_dated_from_when_sitting_began():
    log = Log()
    timer = BoutTimer(log)
    # The classifier decided "sitting" at 100 s but says it began at 95 s (a recovered sit, say).
    for t in range(100, 1900):
        timer.second(t, SIT, 95)
    assert log.of(vocab.EVENT_BOUT_START) == [(100, vocab.EVENT_BOUT_START, 5, 0)]
    assert [p[0] for p in log.of(vocab.EVENT_PROMPT)] == [95 + 1800]


def test_a_routine_ends_the_bout_at_once():
    d = Day().spend(SIT, 600).spend(STAND, 20).routine(vocab.ROUTINE_EXTENSION, 10)
    ends = d.log.of(vocab.EVENT_BOUT_END)
    assert len(ends) == 1 and ends[0][3] < 60
    assert d.log.of(vocab.EVENT_BREAK_TAKEN) == [(d.t, vocab.EVENT_BREAK_TAKEN, vocab.ROUTINE_EXTENSION, 10)]
    d.spend(SIT, 100)
    assert len(d.log.of(vocab.EVENT_BOUT_START)) == 2


def test_snooze_holds_the_next_prompt_back():
    d = Day().spend(SIT, 1800)
    assert len(d.log.of(vocab.EVENT_PROMPT)) == 1
    d.timer.snooze(d.t, 1200)
    assert d.log.of(vocab.EVENT_SNOOZE) == [(1800, vocab.EVENT_SNOOZE, 1200, 0)]
    d.spend(SIT, 1300)
    prompts = d.log.of(vocab.EVENT_PROMPT)
    # Without the snooze the next would have come at 2400 s; snoozed until 3000 s.
    assert [p[0] for p in prompts] == [1800, 3000], prompts
    raises(shared_settings.SettingError, d.timer.snooze, d.t, 5)


def test_quiet_hours_skip_prompts_and_wrap_round_midnight():
    d = Day({"quiet_start_min": 22 * 60, "quiet_end_min": 7 * 60})
    # Device time 0 is 23:00 local.
    d.timer.set_clock(23 * 3600)
    d.spend(SIT, 1900)
    assert not d.log.of(vocab.EVENT_PROMPT)
    skipped = d.log.of(vocab.EVENT_PROMPT_SKIPPED)
    assert len(skipped) == 1 and skipped[0][3] == SKIPPED_QUIET_HOURS
    # At 07:00 local (8 h in) prompts are back.
    d = Day({"quiet_start_min": 22 * 60, "quiet_end_min": 7 * 60})
    d.timer.set_clock(23 * 3600)
    d.spend(STAND, 8 * 3600 - 100).spend(SIT, 1900)
    assert len(d.log.of(vocab.EVENT_PROMPT)) == 1


def test_quiet_hours_wait_for_the_clock():
    d = Day({"quiet_start_min": 0, "quiet_end_min": 1439})
    d.spend(SIT, 1801)
    assert len(d.log.of(vocab.EVENT_PROMPT)) == 1


def mpytest_a_second_of_the_timer_allocates_nothing():
    log = Log()
    timer = BoutTimer(log)
    clock = [0]

    def tick():
        clock[0] += 1
        timer.second(clock[0], SIT, 0)

    tick()
    assert_allocation_free(tick)
