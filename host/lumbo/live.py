"""The live terminal view of `lumbo run`: posture, the sitting-bout timer, a tilt gauge, the link's state
and its latest messages; a progress bar while the history syncs."""

import time
from collections import deque
from collections.abc import Callable

from rich.console import Group
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from lumbo.link.wire import Status
from lumbo.shared import vocab

GAUGE_MIN_CDEG = -2000
GAUGE_MAX_CDEG = 4000
GAUGE_WIDTH = 30


def tilt_gauge(tilt_cdeg: int, width: int = GAUGE_WIDTH) -> Text:
    """A bar from -20 to +40 degrees with a marker at the tilt and a tick at upright (0)."""
    span = GAUGE_MAX_CDEG - GAUGE_MIN_CDEG
    clamped = max(GAUGE_MIN_CDEG, min(GAUGE_MAX_CDEG, tilt_cdeg))
    pos = round((clamped - GAUGE_MIN_CDEG) * (width - 1) / span)
    zero = round((0 - GAUGE_MIN_CDEG) * (width - 1) / span)
    cells = ["─"] * width
    cells[zero] = "┼"
    cells[pos] = "●"
    text = Text("".join(cells))
    text.append(f"  {tilt_cdeg / 100:+.1f}°")
    return text


def clock_text(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class LiveView:
    """Holds what the view shows; `render()` builds it for rich.live.Live."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_lines: int = 6) -> None:
        self.clock = clock
        self.status: Status | None = None
        self.status_at = 0.0
        self.link = "starting"
        self.lines: deque[str] = deque(maxlen=max_lines)
        self.progress = Progress(TextColumn("syncing history"), BarColumn(), MofNCompleteColumn())
        self._task: int | None = None

    def say(self, message: str) -> None:
        self.lines.append(f"{time.strftime('%H:%M:%S')}  {message}")

    def on_status(self, status: Status) -> None:
        self.status = status
        self.status_at = self.clock()

    def on_progress(self, done: int, total: int) -> None:
        if self._task is None:
            self._task = self.progress.add_task("sync", total=total)
        self.progress.update(self._task, completed=done, total=total)

    def sync_done(self) -> None:
        if self._task is not None:
            self.progress.remove_task(self._task)
            self._task = None

    def render(self) -> Group:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        table.add_row("link", self.link)
        s = self.status
        if s is not None:
            # Between status notifications the bout timer runs on from the last one.
            running = s.state == vocab.STATE_SITTING and s.bout_s > 0
            bout = s.bout_s + (int(self.clock() - self.status_at) if running else 0)
            table.add_row("posture", vocab.state_name(s.state).replace("_", " "))
            table.add_row("sitting for", clock_text(bout) if s.state == vocab.STATE_SITTING else "-")
            table.add_row("pelvic tilt", tilt_gauge(s.tilt_cdeg))
            table.add_row("battery", "unknown" if s.battery_pct is None else f"{s.battery_pct}%")
            if s.prompt_active:
                table.add_row("prompt", Text("time for a break", style="yellow"))
        parts: list = [Panel(table, title="lumbo", border_style="blue")]  # type: ignore[type-arg]
        if self._task is not None:
            parts.append(self.progress)
        if self.lines:
            parts.append(Text("\n".join(self.lines), style="dim"))
        return Group(*parts)
