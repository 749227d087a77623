"""The report as tables in the terminal (rich)."""

from rich.console import Console, Group
from rich.table import Table

from lumbo.report.compute import Report


def hm(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def title(report: Report) -> str:
    if report.first_day == report.last_day:
        return f"lumbo: {report.first_day:%A %d %B %Y}"
    return f"lumbo: {report.first_day:%d %b} to {report.last_day:%d %b %Y}"


def _bar(value: float, top: float, width: int = 24) -> str:
    if top <= 0:
        return ""
    return "█" * round(width * value / top)


def render(report: Report) -> Group:
    overview = Table(title=title(report), show_header=False, title_justify="left")
    overview.add_column("what")
    overview.add_column("value", justify="right")
    overview.add_row("Sitting", hm(report.sitting_s))
    overview.add_row("Worn", hm(report.worn_s))
    for state in ("standing", "walking", "lying"):
        overview.add_row(f"  {state.capitalize()}", hm(report.state_s[state]))
    overview.add_row("Sitting bouts", str(len(report.bouts)))
    overview.add_row(
        "  over 30 min",
        f"{report.long_bouts} ({report.long_bout_share:.0%} of bouts, "
        f"{report.long_bout_time_share:.0%} of bout time)",
    )
    longest = max((b.duration_s for b in report.bouts), default=0)
    overview.add_row("  longest", hm(longest))
    overview.add_row("Break prompts", str(report.prompted))
    overview.add_row("  breaks taken", str(report.taken))
    overview.add_row("  snoozed", str(report.snoozed))
    overview.add_row("  skipped", str(report.skipped))
    overview.add_row("Posture changes", f"{report.transitions} ({report.transitions_per_hour:.1f} per worn hour)")
    if report.seated_tilt_mean_deg is not None:
        overview.add_row("Seated pelvic tilt, mean", f"{report.seated_tilt_mean_deg:.1f}°")
    parts: list[Table] = [overview]

    if report.routines:
        routines = Table(title="Routines done", title_justify="left")
        routines.add_column("routine")
        routines.add_column("times", justify="right")
        routines.add_column("reps", justify="right")
        for name, (times, reps) in report.routines.items():
            routines.add_row(name.replace("_", " "), str(times), str(reps))
        parts.append(routines)

    bouts = Table(title="Sitting bouts by length", title_justify="left")
    bouts.add_column("length")
    bouts.add_column("bouts", justify="right")
    bouts.add_column("")
    top = max((n for _, n in report.bout_histogram), default=0)
    for label, count in report.bout_histogram:
        bouts.add_row(label, str(count), _bar(count, top))
    parts.append(bouts)

    tilt = Table(title="Seated pelvic tilt (time)", title_justify="left")
    tilt.add_column("tilt")
    tilt.add_column("time", justify="right")
    tilt.add_column("")
    top = max((s for _, s in report.tilt_histogram), default=0)
    for label, seconds in report.tilt_histogram:
        if seconds:
            tilt.add_row(label, hm(seconds), _bar(seconds, top))
    parts.append(tilt)

    if len(report.days) > 1:
        days = Table(title="Day by day", title_justify="left")
        for column in ("day", "sitting", "bouts", "over 30 min", "prompts", "breaks taken"):
            days.add_column(column, justify="left" if column == "day" else "right")
        for d in report.days:
            days.add_row(f"{d.day:%a %d %b}", hm(d.sitting_s), str(d.bouts), str(d.long_bouts), str(d.prompted),
                         str(d.taken))
        parts.append(days)
    return Group(*parts)


def show(report: Report, console: Console | None = None) -> None:
    (console or Console()).print(render(report))
