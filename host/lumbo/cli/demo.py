"""`lumbo demo`: the whole system without hardware. A simulated desk-work day (or a recording) plays through
an emulated IMU into the firmware under the MicroPython unix port, which talks over the emulated radio to
the host app; the day runs --speed times faster than real time. Prompts, routines and breaks show up as
they happen, and the day's report comes at the end (terminal and HTML)."""

import asyncio
import contextlib
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any

from lumbo.cli import CommandError

DEFAULT_HTML = "lumbo-demo-report.html"


def register(subparsers) -> None:
    from lumbo.demo.world import CHIPS, DEFAULT_CHIP

    parser = subparsers.add_parser(
        "demo", help="the whole system emulated: a simulated day through firmware, radio and app",
        description=__doc__)
    parser.add_argument("--hours", type=float, default=None,
                        help="length of the day (default 8; with --recording: the whole recording)")
    parser.add_argument("--speed", type=float, default=120.0,
                        help="device seconds per real second (default 120: an 8-hour day in about 4 minutes)")
    parser.add_argument("--seed", type=int, default=1, help="which simulated day (default 1)")
    parser.add_argument("--recording", type=Path, metavar="FILE", help="replay a lumbo-imu/1 recording instead")
    parser.add_argument("--imu", choices=sorted(CHIPS), default=DEFAULT_CHIP, help="the emulated IMU chip")
    parser.add_argument("--radio", choices=("schedule", "always"), default="schedule",
                        help="the device's radio: on a schedule as on the board (default), or always on")
    parser.add_argument("--headless", action="store_true", help="no live view; progress lines on stderr")
    parser.add_argument("--json", action="store_true", help="print one JSON summary on stdout at the end")
    parser.add_argument("--html", type=Path, default=Path(DEFAULT_HTML), metavar="FILE",
                        help=f"where to write the day's report (default {DEFAULT_HTML})")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the run's files (the day, the device's flash, the log database) in DIR")
    parser.add_argument("--notify", choices=("auto", "desktop", "terminal"), default="terminal",
                        help="where prompts go (default: the terminal)")
    parser.set_defaults(func=run)


class View:
    """The live view: the device's status (lumbo.live.LiveView) and the day's progress, or progress lines."""

    def __init__(self, console: Any, headless: bool) -> None:
        from lumbo.live import LiveView

        self.console = console
        self.headless = headless
        self.demo: Any = None
        self.live_view: Any = None
        self.LiveView = LiveView
        self._last_line_s = -1.0
        self.live: Any = None

    def say(self, message: str) -> None:
        if self.live_view is not None and not self.headless:
            self.live_view.say(message)
        else:
            self.console.print(message, highlight=False, soft_wrap=True)

    def attach(self, demo: Any) -> None:
        self.demo = demo
        self.live_view = self.LiveView(clock=demo.device_time.now)
        demo.host.on_status_extra = self.live_view.on_status
        demo.host.on_link = self._on_link

    def _on_link(self, state: str) -> None:
        self.live_view.link = state

    def _progress(self) -> str:
        from lumbo.shared import vocab

        demo = self.demo
        elapsed = demo.device.elapsed_s
        clock = time.strftime("%H:%M", time.localtime(demo.day.epoch0_s + elapsed))
        host = demo.host
        taken = len(demo.store.events(demo.day.epoch0_s, demo.day.epoch0_s + elapsed + 60,
                                      kinds=(vocab.EVENT_BREAK_TAKEN,)))
        return (f"{clock}  {100 * elapsed / demo.day.duration_s:3.0f}% of the day  prompts shown {len(host.shown)}"
                f"  breaks {taken}  records synced {host.synced_to()}/{demo.device.records}"
                f"  radio {'on' if demo.device.heartbeats and demo.device.heartbeats[-1].radio_on else 'off'}")

    def tick(self) -> None:
        if self.demo is None or self.demo.device.t_s is None:
            return
        if self.headless:
            elapsed = self.demo.device.elapsed_s
            if elapsed - self._last_line_s >= 1800:
                self._last_line_s = elapsed
                self.console.print(self._progress(), highlight=False, soft_wrap=True)
        elif self.live is not None:
            from rich.console import Group
            from rich.text import Text

            self.live.update(Group(self.live_view.render(), Text(self._progress(), style="cyan")))


def run(args) -> int:
    from rich.console import Console

    from lumbo.demo.run import Options, run_demo, summary_json
    from lumbo.demo.world import DemoError
    from lumbo.prompts.notify import Notifier, TerminalChannel

    if args.hours is not None and not 0.25 <= args.hours <= 16:
        raise CommandError(f"--hours {args.hours} is outside 0.25 to 16")
    if args.recording is not None and not args.recording.exists():
        raise CommandError(f"no recording at {args.recording}")
    # bumble warns on stderr about notifications that arrive before the host subscribed (the device sends
    # its status as soon as a link is up): expected here, and noise in a demo.
    logging.getLogger("bumble").setLevel(logging.ERROR)
    console = Console(stderr=True)
    options = Options(hours=args.hours if args.hours is not None else 8.0, speed=args.speed, seed=args.seed,
                      recording=args.recording, chip=args.imu, headless=args.headless, html=args.html.resolve(),
                      state_dir=args.keep.resolve() if args.keep else None, notify=args.notify, radio=args.radio,
                      extra={"hours_given": args.hours is not None})
    notifier = Notifier(args.notify, terminal=TerminalChannel(console))
    view = View(console, args.headless)

    async def main() -> tuple[dict[str, Any], Any]:
        task = asyncio.ensure_future(run_demo(options, notifier=notifier, view=view))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        if args.headless:
            return await task
        from rich.live import Live

        with Live(console=console, refresh_per_second=4, transient=True) as live:
            view.live = live
            try:
                return await task
            finally:
                view.live = None

    try:
        summary, report = asyncio.run(main())
    except asyncio.CancelledError:
        console.print("stopped; every emulated part has been shut down")
        return 130
    except DemoError as exc:
        raise CommandError(str(exc)) from None
    from lumbo.report import terminal

    terminal.show(report, console)
    console.print(f"wrote the day's report to {summary.get('html', options.html)}")
    if args.json:
        print(summary_json(summary))
    else:
        with contextlib.suppress(KeyError):
            console.print(f"prompts {summary['prompts']}, breaks taken {summary['breaks_taken']}, records synced "
                          f"{summary['records_synced']} (lost {summary['records_lost']}), sitting "
                          f"{summary['sitting_s_reported'] / 3600:.2f} h"
                          + (f" (simulated truth {summary['sitting_s_truth'] / 3600:.2f} h)"
                             if summary["sitting_s_truth"] is not None else ""))
    sys.stdout.flush()
    return 0
