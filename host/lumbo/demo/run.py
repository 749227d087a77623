"""`lumbo demo` from start to report: the day, the emulated device, the host app, the live view, the end.

    summary = asyncio.run(run_demo(Options(hours=8, speed=120)))

`Demo` is the same run in steps, for the system tests: start(), run_until(elapsed_s) with disturbances in
between (radio drops, a power cut, a host restart), finish().
"""

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lumbo.config import Config
from lumbo.demo.device import DemoDevice
from lumbo.demo.host import DemoHost, DeviceTime
from lumbo.demo.world import DEFAULT_CHIP, Day, DemoError, recorded, scenario, simulated
from lumbo.shared import vocab
from lumbo.store import Store, open_store

# Real seconds allowed for the last sync after the day's end, beyond the device's sync period.
FINAL_SYNC_GRACE_S = 30.0
TICK_S = 0.1


@dataclass
class Options:
    hours: float = 8.0
    speed: float = 120.0
    seed: int = 1
    recording: Path | None = None
    chip: str = DEFAULT_CHIP
    headless: bool = False
    html: Path | None = None
    db: Path | None = None
    state_dir: Path | None = None
    notify: str = "auto"
    radio: str = "schedule"
    firmware_dir: Path | None = None  # the firmware compiled for the unix port (default: built in the cache)
    heapsize: str | None = None
    scenario: str | None = None  # a day in the virtual wearer's scenario format, instead of a random one
    first_window_s: int | None = None  # the device's pairing window at its first start (default 300 s)
    speed_changes: tuple[tuple[int, int], ...] = ()  # (device second, speed) from which the pace changes
    extra: dict[str, Any] = field(default_factory=dict)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Demo:
    def __init__(self, options: Options, say=_stderr) -> None:  # type: ignore[no-untyped-def]
        if options.speed < 1 or options.speed > 1000:
            raise DemoError(f"--speed {options.speed} is outside 1 to 1000 (device seconds per real second)")
        self.options = options
        self.say = say
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if options.state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="lumbo-demo-")
            self.state_dir = Path(self._tmp.name)
        else:
            self.state_dir = options.state_dir
            self.state_dir.mkdir(parents=True, exist_ok=True)
        self.day: Day | None = None
        self.device: DemoDevice | None = None
        self.host: DemoHost | None = None
        self.store: Store | None = None
        self.notifier: Any = None
        self.device_time: DeviceTime | None = None
        self.started_wall = time.monotonic()
        self.lines: list[str] = []

    # -- start ----------------------------------------------------------------------------------------

    def prepare_day(self) -> Day:
        o = self.options
        if o.recording is not None:
            return recorded(self.state_dir, o.recording, o.chip, o.hours if o.extra.get("hours_given") else None)
        if o.scenario is not None:
            return scenario(self.state_dir, o.scenario, o.seed, o.chip)
        return simulated(self.state_dir, o.seed, o.hours, o.chip)

    async def start_device_only(self) -> None:
        """The day and the emulated device, without the host app (a test brings its own)."""
        o = self.options
        self.say("preparing the day ...")
        self.day = self.prepare_day()
        self.say(f"{self.day.name}: {self.day.duration_s / 3600:.1f} h, IMU {self.day.chip}, at {o.speed:g}x")
        self.device_time = DeviceTime(o.speed, self.day.epoch0_s)
        self.device = DemoDevice(self.day, self.state_dir, o.speed, firmware_dir=o.firmware_dir, radio=o.radio,
                                 first_window_s=o.first_window_s, speed_changes=o.speed_changes,
                                 **({"heapsize": o.heapsize} if o.heapsize else {}))
        self.say("starting the emulated radio and the firmware ...")
        await self.device.start()
        self.started_wall = time.monotonic()

    async def start(self, notifier: Any = None) -> None:
        """The day, the emulated device and the host app, paired and connecting."""
        await self.start_device_only()
        self.store = open_store(self.options.db if self.options.db is not None else self.state_dir / "lumbo.sqlite3")
        self.notifier = notifier
        host = await self.start_host()
        self.say("pairing ...")
        await host.pair()
        host.start()

    async def start_host(self) -> DemoHost:
        from lumbo.prompts.notify import Notifier, TerminalChannel

        assert self.device is not None and self.store is not None and self.device_time is not None
        config = Config(self.state_dir / "config.json")
        notifier = self.notifier if self.notifier is not None else Notifier("terminal", terminal=TerminalChannel())
        self.host = DemoHost(self.store, config, notifier, self.device.identity_address, self.device.radio_transport,
                             self.state_dir / "keystore.json", self.device_time, self.options.speed, say=self.say)
        return self.host

    # -- running ----------------------------------------------------------------------------------------

    def check(self) -> None:
        assert self.device is not None and self.device_time is not None
        self.lines.extend(self.device.poll())
        failure = self.device.failure()
        if failure is not None:
            raise DemoError(f"the firmware stopped:\n{failure}")
        t = self.device.t_s
        if t is not None:
            self.device_time.seen(t)

    async def run_until(self, elapsed_s: float, on_tick=None) -> None:  # type: ignore[no-untyped-def]
        """Run until the device has lived elapsed_s of the day."""
        assert self.device is not None
        while True:
            self.check()
            if self.device.elapsed_s >= elapsed_s:
                return
            if on_tick is not None:
                on_tick()
            await asyncio.sleep(TICK_S)

    async def final_sync(self) -> int:
        """Wait until the host holds every record the device had logged by now; return that head."""
        from lumbo_fw.radio import BLE_SYNC_PERIOD_S

        assert self.device is not None and self.host is not None
        self.check()
        head = self.device.records
        deadline = time.monotonic() + FINAL_SYNC_GRACE_S + (BLE_SYNC_PERIOD_S + 120) / self.options.speed
        while self.host.synced_to() < head:
            if time.monotonic() > deadline:
                recent = "\n".join(self.host.link_messages[-15:])
                raise DemoError(f"the host did not sync up to record {head} (it holds up to "
                                f"{self.host.synced_to()}); its link said:\n{recent}")
            self.check()
            await asyncio.sleep(TICK_S)
        return head

    async def close(self) -> None:
        """Stop the host and every child process; safe to call more than once."""
        if self.host is not None:
            with contextlib.suppress(Exception):
                await self.host.stop()
            self.host = None
        if self.device is not None:
            await self.device.stop()
            self.lines.extend(self.device.poll())
            if self.options.state_dir is not None:
                (self.state_dir / "firmware.log").write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        if self.store is not None:
            self.store.close()
            self.store = None

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- the end ----------------------------------------------------------------------------------------

    def report(self):  # type: ignore[no-untyped-def]
        from lumbo.report import compute

        assert self.day is not None and self.store is not None
        first = datetime.fromtimestamp(self.day.epoch0_s).date()
        last = datetime.fromtimestamp(self.day.epoch0_s + self.day.duration_s).date()
        return compute.compute(self.store, first, last, None)

    def sitting_reported_s(self) -> int:
        """Sitting seconds in the minute summaries of the day itself (the report covers whole local days,
        and the device goes on after the day's end while the host waits for its last sync)."""
        assert self.day is not None and self.store is not None
        start = self.day.epoch0_s
        minutes = self.store.minutes(start, start + self.day.duration_s)
        return sum(m.seconds_per_state[vocab.STATE_SITTING] for m in minutes)

    def summary(self, report, head: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        assert self.day is not None and self.store is not None and self.device is not None
        start = self.day.epoch0_s
        end = start + self.day.duration_s
        prompts = self.store.events(start, end, kinds=(vocab.EVENT_PROMPT,))
        breaks = self.store.events(start, end, kinds=(vocab.EVENT_BREAK_TAKEN,))
        host = self.host
        wall_s = time.monotonic() - self.started_wall
        truth = self.day.truth
        return {
            "prompts": len(prompts),
            "breaks_taken": len(breaks),
            "records_synced": self.store.record_count(),
            "records_lost": self.store.lost_count(),
            "duplicates": sum(r.duplicates for r in host.syncs) if host else 0,
            "sitting_s_reported": self.sitting_reported_s(),
            "sitting_s_truth": None if self.day.sitting_truth_s is None else round(self.day.sitting_truth_s),
            "prompts_truth": None if truth is None else len(truth["prompts"]),
            "prompts_shown": len(host.shown) if host else 0,
            "routines": {name: {"times": t, "reps": r} for name, (t, r) in report.routines.items()},
            "device_records": head,
            "hours": round(self.day.duration_s / 3600, 3),
            "speed": self.options.speed,
            "speed_achieved": round(self.day.duration_s / wall_s, 1) if wall_s > 0 else None,
            "wall_s": round(wall_s, 1),
            "firmware_restarts": self.device.restarts,
            "firmware_heap_max_used": self.device.heap_max_used,
        }


async def run_demo(options: Options, notifier: Any = None, view: Any = None) -> tuple[dict[str, Any], Any]:
    """The whole demo; returns (summary, report). `view`, if given, is told of progress (see lumbo.cli.demo)."""
    demo = Demo(options, say=view.say if view is not None else _stderr)
    try:
        await demo.start(notifier)
        assert demo.day is not None and demo.host is not None
        if view is not None:
            view.attach(demo)
        await demo.run_until(demo.day.duration_s, on_tick=view.tick if view is not None else None)
        demo.say("the day is over: the last sync ...")
        head = await demo.final_sync()
        await demo.host.stop()
        report = demo.report()
        summary = demo.summary(report, head)
        if options.html is not None:
            from lumbo.report import html as html_report

            html_report.save(report, options.html)
            summary["html"] = str(options.html)
        summary["db"] = str(options.db) if options.db is not None else None
        return summary, report
    finally:
        await demo.close()
        demo.cleanup()


def summary_json(summary: dict[str, Any]) -> str:
    return json.dumps(summary, sort_keys=True)
