"""The report as one self-contained HTML page: the numbers as tables and the charts as inline SVG."""

from html import escape
from pathlib import Path

from lumbo.report import charts
from lumbo.report.compute import Report
from lumbo.report.terminal import hm, title

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px; color: #222; }
table { border-collapse: collapse; margin: 0 2em 1.5em 0; display: inline-table; vertical-align: top; }
td, th { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
td:first-child, th:first-child { text-align: left; }
.charts svg { width: 540px; height: auto; }
"""


def _table(caption: str, header: list[str] | None, rows: list[list[str]]) -> str:
    parts = [f"<table><caption>{escape(caption)}</caption>"]
    if header:
        parts.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        parts.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    parts.append("</table>")
    return "".join(parts)


def page(report: Report) -> str:
    summary = [
        ["Sitting", hm(report.sitting_s)],
        ["Worn", hm(report.worn_s)],
        ["Sitting bouts", str(len(report.bouts))],
        ["Bouts over 30 min", f"{report.long_bouts} ({report.long_bout_share:.0%})"],
        ["Time in bouts over 30 min", f"{report.long_bout_time_share:.0%}"],
        ["Break prompts", str(report.prompted)],
        ["Breaks taken", str(report.taken)],
        ["Snoozed", str(report.snoozed)],
        ["Skipped", str(report.skipped)],
        ["Posture changes per worn hour", f"{report.transitions_per_hour:.1f}"],
    ]
    if report.seated_tilt_mean_deg is not None:
        summary.append(["Seated pelvic tilt, mean", f"{report.seated_tilt_mean_deg:.1f}°"])
    tables = [_table("Summary", None, summary)]
    if report.routines:
        tables.append(_table("Routines done", ["routine", "times", "reps"],
                             [[n.replace("_", " "), str(t), str(r)] for n, (t, r) in report.routines.items()]))
    tables.append(_table("Sitting bouts by length", ["length", "bouts"],
                         [[label, str(n)] for label, n in report.bout_histogram]))
    if len(report.days) > 1:
        tables.append(_table("Day by day", ["day", "sitting", "bouts", "over 30 min", "prompts", "taken"],
                             [[f"{d.day:%a %d %b}", hm(d.sitting_s), str(d.bouts), str(d.long_bouts),
                               str(d.prompted), str(d.taken)] for d in report.days]))
    svgs = "\n".join(charts.panel_svgs(report))
    return (
        f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title(report))}</title>"
        f"<style>{_STYLE}</style></head><body>\n<h1>{escape(title(report))}</h1>\n"
        + "\n".join(tables)
        + f"\n<div class=\"charts\">\n{svgs}\n</div>\n</body></html>\n"
    )


def save(report: Report, path: Path) -> None:
    path.write_text(page(report), encoding="utf-8")
