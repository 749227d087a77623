"""The report's charts with matplotlib: one figure for a PNG, the same panels as SVG for the HTML page."""

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never opens a window
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from lumbo.report.compute import Report
from lumbo.report.terminal import title

_COLOUR = "#3b6ea5"
_WARN = "#c0504d"


def _sitting_panel(ax, report: Report) -> None:  # type: ignore[no-untyped-def]
    if len(report.days) > 1:
        labels = [f"{d.day:%a}\n{d.day:%d}" for d in report.days]
        ax.bar(labels, [d.sitting_s / 3600 for d in report.days], color=_COLOUR)
        ax.set_ylabel("hours sitting")
        ax.set_title("Sitting per day")
    else:
        ax.bar(range(24), [s / 60 for s in report.sitting_by_hour_s], color=_COLOUR)
        ax.set_xticks(range(0, 24, 3))
        ax.set_xlabel("hour of the day")
        ax.set_ylabel("minutes sitting")
        ax.set_ylim(0, 60)
        ax.set_title("Sitting by hour")


def _bouts_panel(ax, report: Report) -> None:  # type: ignore[no-untyped-def]
    labels = [label.replace(" min", "").replace(" and over", "+") for label, _ in report.bout_histogram]
    counts = [n for _, n in report.bout_histogram]
    colours = [_COLOUR if i < 3 else _WARN for i in range(len(counts))]  # bins from 30 min on in red
    ax.bar(labels, counts, color=colours)
    ax.set_xlabel("bout length, min")
    ax.set_ylabel("bouts")
    ax.set_title(f"Sitting bouts: {report.long_bout_share:.0%} over 30 min")


def _tilt_panel(ax, report: Report) -> None:  # type: ignore[no-untyped-def]
    labels = [label.replace("°", "").replace("under ", "<").replace(" and over", "+").replace(" to ", "..")
              for label, _ in report.tilt_histogram]
    ax.bar(labels, [s / 60 for _, s in report.tilt_histogram], color=_COLOUR)
    ax.set_xlabel("seated pelvic tilt, degrees")
    ax.set_ylabel("minutes")
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_title("Seated tilt")


def _breaks_panel(ax, report: Report) -> None:  # type: ignore[no-untyped-def]
    names = ["prompted", "taken", "snoozed", "skipped"]
    ax.bar(names, [report.prompted, report.taken, report.snoozed, report.skipped], color=_COLOUR)
    ax.set_title("Breaks")


PANELS = (_sitting_panel, _bouts_panel, _tilt_panel, _breaks_panel)


def figure(report: Report) -> Figure:
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), layout="constrained")
    for panel, ax in zip(PANELS, axes.flat, strict=True):
        panel(ax, report)
    fig.suptitle(title(report))
    return fig


def save_png(report: Report, path: Path) -> None:
    fig = figure(report)
    try:
        fig.savefig(path, format="png", dpi=100)
    finally:
        plt.close(fig)


def panel_svgs(report: Report) -> list[str]:
    """Each panel as an inline SVG element (for the HTML page)."""
    out = []
    for panel in PANELS:
        fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
        try:
            panel(ax, report)
            buf = io.StringIO()
            fig.savefig(buf, format="svg")
        finally:
            plt.close(fig)
        svg = buf.getvalue()
        out.append(svg[svg.index("<svg"):])
    return out
