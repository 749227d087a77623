"""The report's numbers against a day whose answers are worked out by hand in the comments."""

from datetime import UTC, date, datetime

import pytest
from rich.console import Console

from lumbo.report import compute, html, terminal
from lumbo.store import Event, Minute, Store
from lumbo_shared import vocab

ADDR = "C0:FF:EE:00:00:01"
DAY = date(2024, 3, 5)
U, SIT, STAND, WALK, LIE, OFF = range(6)


def t(hour, minute=0, day=DAY):
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC).timestamp())


def minutes_of(first_seq, start, count, state, tilt_cdeg=0, transitions_first=0):
    out = []
    for i in range(count):
        seconds = [0] * 6
        seconds[state] = 60
        out.append(Minute(first_seq + i, start + 60 * i, tuple(seconds), tilt_cdeg if state == SIT else 0,
                          tilt_cdeg - 100 if state == SIT else 0, tilt_cdeg + 100 if state == SIT else 0,
                          transitions_first if i == 0 else 0))
    return out


@pytest.fixture
def day_store(tmp_path):
    store = Store(tmp_path / "log.sqlite3")
    prev = date(2024, 3, 4)
    minutes = []
    # The evening before (must not count): 23:30-23:49 sitting.
    minutes += minutes_of(0, t(23, 30, prev), 20, SIT, 3000)
    # 08:00-08:59 standing; 09:00-09:44 sitting at 12.00 deg; 09:45-09:59 walking; 10:00-10:19 sitting at
    # 22.00 deg; 10:20-10:29 standing; 10:30-10:39 not worn. One transition at 09:00, 09:45, 10:00, 10:20.
    minutes += minutes_of(100, t(8), 60, STAND)
    minutes += minutes_of(200, t(9), 45, SIT, 1200, transitions_first=1)
    minutes += minutes_of(300, t(9, 45), 15, WALK, transitions_first=1)
    minutes += minutes_of(400, t(10), 20, SIT, 2200, transitions_first=1)
    minutes += minutes_of(500, t(10, 20), 10, STAND, transitions_first=1)
    minutes += minutes_of(600, t(10, 30), 10, OFF)
    events = [
        Event(20, t(23, 30, prev), vocab.EVENT_BOUT_START, 0, 0),
        Event(21, t(23, 50, prev), vocab.EVENT_BOUT_END, 0, 0),
        Event(700, t(9), vocab.EVENT_BOUT_START, 0, 0),
        Event(701, t(9, 30), vocab.EVENT_PROMPT, 1800, 0),
        Event(702, t(9, 31), vocab.EVENT_SNOOZE, 600, 0),
        Event(703, t(9, 41), vocab.EVENT_PROMPT, 2460, 0),
        Event(704, t(9, 45), vocab.EVENT_BOUT_END, 0, 0),
        Event(705, t(9, 47), vocab.EVENT_BREAK_TAKEN, vocab.ROUTINE_EXTENSION, 8),
        Event(706, t(10), vocab.EVENT_BOUT_START, 0, 0),
        Event(707, t(10, 15), vocab.EVENT_PROMPT, 900, 0),
        Event(708, t(10, 20), vocab.EVENT_BOUT_END, 0, 0),
        Event(709, t(10, 22), vocab.EVENT_BREAK_TAKEN, vocab.ROUTINE_PELVIC_TILTS, 10),
    ]
    store.ingest(ADDR, events=events, minutes=minutes)
    store.ingest(ADDR, events=events[2:5], minutes=minutes[30:40])  # duplicates change nothing
    # The wearer skipped the 10:15 prompt with the notification's button (the device logged nothing).
    store.record_prompt(ADDR, 707, t(10, 15), vocab.ROUTINE_PELVIC_TILTS, "desktop")
    store.record_response(ADDR, 707, "skip", t(10, 16))
    yield store
    store.close()


def test_day_numbers_match_the_hand_count(day_store):
    r = compute.day(day_store, DAY, UTC)
    assert r.sitting_s == (45 + 20) * 60
    assert r.worn_s == (60 + 45 + 15 + 20 + 10) * 60  # the not-worn 10 minutes are left out
    assert r.state_s["not_worn"] == 600 and r.state_s["walking"] == 900
    assert [b.duration_s for b in r.bouts] == [45 * 60, 20 * 60]
    assert dict(r.bout_histogram) == {
        "0 to 10 min": 0, "10 to 20 min": 0, "20 to 30 min": 1, "30 to 45 min": 0, "45 to 60 min": 1,
        "60 to 90 min": 0, "90 min and over": 0,
    }
    assert r.long_bouts == 1
    assert r.long_bout_share == pytest.approx(0.5)
    assert r.long_bout_time_share == pytest.approx(45 / 65)
    # Three prompts: 09:30 snoozed on the device, 09:41 unanswered, 10:15 skipped in the app.
    assert (r.prompted, r.taken, r.snoozed, r.skipped) == (3, 2, 1, 1)
    assert r.routines == {"extension": (1, 8), "pelvic_tilts": (1, 10)}
    assert r.transitions == 4
    assert r.transitions_per_hour == pytest.approx(4 / 2.5)
    tilt = dict(r.tilt_histogram)
    assert tilt["10 to 15°"] == 45 * 60 and tilt["20 to 25°"] == 20 * 60
    assert sum(tilt.values()) == r.sitting_s
    # (12.00 * 2700 + 22.00 * 1200) / 3900
    assert r.seated_tilt_mean_deg == pytest.approx((12 * 2700 + 22 * 1200) / 3900)
    assert r.sitting_by_hour_s[9] == 2700 and r.sitting_by_hour_s[10] == 1200 and sum(r.sitting_by_hour_s) == 3900


def test_week_adds_the_days_up(day_store):
    r = compute.week(day_store, date(2024, 3, 10), UTC)
    assert [d.day for d in r.days] == [date(2024, 3, d) for d in range(4, 11)]
    by_day = {d.day: d for d in r.days}
    assert by_day[date(2024, 3, 4)].sitting_s == 20 * 60
    assert by_day[DAY].sitting_s == 65 * 60
    assert by_day[DAY].bouts == 2 and by_day[DAY].long_bouts == 1
    assert r.sitting_s == 85 * 60
    assert len(r.bouts) == 3


def test_an_open_bout_ends_at_the_last_record(tmp_path):
    with Store(tmp_path / "log.sqlite3") as store:
        store.ingest(ADDR, events=[Event(1, t(14), vocab.EVENT_BOUT_START, 0, 0)],
                     minutes=minutes_of(2, t(14), 40, SIT, 1000))
        r = compute.day(store, DAY, UTC)
    # The last minute summary starts at 14:39.
    assert [b.duration_s for b in r.bouts] == [39 * 60]


def test_terminal_html_and_png(day_store, tmp_path):
    r = compute.day(day_store, DAY, UTC)
    console = Console(record=True, width=110)
    terminal.show(r, console)
    text = console.export_text()
    assert "1 h 05 min" in text  # sitting
    assert "50% of bouts" in text
    page = html.page(r)
    assert page.count("<svg") == 4
    assert "<td>Breaks taken</td><td>2</td>" in page
    from lumbo.report import charts

    png = tmp_path / "day.png"
    charts.save_png(r, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000
