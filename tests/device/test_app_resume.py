"""Where the last run left off, from the newest records of the device log."""

import logtest

from lumbo_fw.devlog import DevLog
from lumbo_fw.resume import last_run
from lumbo_shared import vocab

T0 = 1700000000


def setup_function(_function=None):
    logtest.cleanup()


def teardown_function(_function=None):
    logtest.cleanup()


def _log():
    return DevLog(logtest.fresh_root(), segment_records=16, max_segments=8)


def test_an_empty_log_says_nothing_ran():
    found = last_run(_log())
    assert found.last_t_s == -1 and found.bout_start_s == -1 and found.prompts == 0


def test_an_open_bout_with_its_prompts():
    log = _log()
    log.event(T0, vocab.EVENT_BOUT_START, 30, 0)  # the wearer had sat 30 s when the bout was seen
    for m in range(1, 40):
        log.minute(T0 + 60 * m, (0, 60, 0, 0, 0, 0), 1200, 1000, 1400, 0)
        if m == 30:
            log.event(T0 + 60 * m + 30, vocab.EVENT_PROMPT, 1800, 1)
        if m == 35:
            log.event(T0 + 60 * m + 30, vocab.EVENT_PROMPT, 2100, 2)
    found = last_run(log)
    assert found.bout_start_s == T0 - 30
    assert found.prompts == 2
    assert found.last_t_s == T0 + 60 * 39 + 60  # the end of the last minute summarised


def test_a_bout_that_ended_is_not_open():
    log = _log()
    log.event(T0, vocab.EVENT_BOUT_START, 0, 0)
    log.event(T0 + 900, vocab.EVENT_PROMPT, 900, 1)
    log.event(T0 + 1000, vocab.EVENT_BOUT_END, 1000, 60)
    log.event(T0 + 1000, vocab.EVENT_BREAK_TAKEN, vocab.ROUTINE_WALK, 0)
    log.event(T0 + 1100, vocab.EVENT_WALK_STOP, 3, 2)
    found = last_run(log)
    assert found.bout_start_s == -1 and found.prompts == 0
    assert found.last_t_s == T0 + 1100


def test_a_bout_begun_longer_ago_than_the_scan_reaches_is_not_guessed():
    log = _log()
    log.event(T0, vocab.EVENT_BOUT_START, 0, 0)
    for m in range(1, 60):
        log.minute(T0 + 60 * m, (0, 60, 0, 0, 0, 0), 1200, 1000, 1400, 0)
    found = last_run(log, max_back=20)
    assert found.bout_start_s == -1
    assert found.last_t_s == T0 + 60 * 59 + 60
