from rich.console import Console

from lumbo.link.wire import Status
from lumbo.live import LiveView, clock_text, tilt_gauge
from lumbo_shared import vocab


def test_gauge_puts_the_marker_where_the_tilt_is():
    # -20..+40 deg over 31 cells is 2 deg a step, so 0 deg is cell 10 and +15 deg is cell 17.5 -> 18.
    g = tilt_gauge(0, width=31).plain
    assert g.index("●") == 10
    assert tilt_gauge(4000, width=31).plain.index("●") == 30
    assert tilt_gauge(-9000, width=31).plain.index("●") == 0
    assert tilt_gauge(1500, width=31).plain.endswith("+15.0°")
    assert tilt_gauge(1500, width=31).plain.index("●") == 18


def test_the_view_runs_the_bout_timer_on_between_status_updates():
    now = [100.0]
    view = LiveView(clock=lambda: now[0])
    view.on_status(Status(vocab.STATE_SITTING, 1200, 1790, 55, 0, 42, 0))
    now[0] += 15
    view.on_progress(40, 100)
    console = Console(record=True, width=80)
    console.print(view.render())
    text = console.export_text()
    assert clock_text(1805) in text and clock_text(1805) == "0:30:05"
    assert "sitting" in text and "55%" in text
    assert "40/100" in text
    view.sync_done()
    console = Console(record=True, width=80)
    console.print(view.render())
    assert "40/100" not in console.export_text()
