"""`lumbo bench e2e`: how long from the sample that takes a sitting bout past the limit to the prompt's
notification call, on the whole emulated system (the firmware's main.py under the unix port, the emulated
IMU, the emulated radio, the host app).

The wearer sits down half a minute into a scenario; the limit (sit_limit_s) is set to its smallest, 300 s.
The device's day runs fast up to a little before the limit and in real time from there, so device time and
wall time run together while it is measured. Figures, per radio mode (`always`: a host connected;
`schedule`: the radio off, as on the board between syncs, so the prompt first turns it on):

- decision_s (device time): the crossing sample to the bout timer's prompt. The crossing sample is the one at
  the bout's start (the device's own BOUT_START, whole seconds) plus sit_limit_s.
- logged_s (device time): to the moment the prompt is in the device log, which is when the firmware makes
  the BLE notification call for every bonded host connected then.
- host_notification_s (wall time): to the host's call that shows the prompt (desktop or terminal).

Beside them, the reference from the same run: the IMU's read period (FIFO_WATERMARK_SAMPLES samples: a
sample waits in the FIFO up to that long) plus the bout timer's step (1 s), the most the decision can take
by design; and, with a host connected, the emulated link's delay from the device's notification call to the
host's receipt.
"""

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from lumbo import mpcompat
from lumbo.demo.run import Demo, Options
from lumbo.demo.world import CHIPS, DEFAULT_CHIP
from lumbo.shared import vocab

SCENARIO = "calibrate 10s\nwalk 20s\nsit 8m\nstand 1m\n"
SIT_LIMIT_S = 300
FAST = 200  # device seconds per second until shortly before the limit
REAL_TIME_FROM_S = 300  # device second from which the day runs in real time (the bout starts at about 31 s)
PROMPT_TIMEOUT_S = 120.0
_TICKS = 1 << 30


class TimedNotifier:
    """Shows nothing; notes when the host's prompt manager asked for the prompt to be shown."""

    mode = "terminal"
    last_problem = None

    def __init__(self) -> None:
        self.shown_at: float | None = None

    async def show(self, note: Any, on_action: Any) -> str:
        if self.shown_at is None:
            self.shown_at = time.monotonic()
        return "terminal"

    async def show_card(self, title: str, text: str) -> str:
        return "terminal"


def _unwrap(masked_us: int, near_us: int) -> int:
    """The absolute device microsecond whose ticks_us value is masked_us, nearest to near_us."""
    return near_us + ((masked_us - near_us + _TICKS // 2) % _TICKS) - _TICKS // 2


def _write_settings(data_dir: Path) -> None:
    mpcompat.install()
    from lumbo_fw.settings_store import SettingsStore

    data_dir.mkdir(parents=True, exist_ok=True)
    store = SettingsStore(str(data_dir / "settings"))
    store.update({"sit_limit_s": SIT_LIMIT_S, "reprompt_s": SIT_LIMIT_S})
    store.save()


async def _one(mode: str, firmware_dir: Path | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="lumbo-bench-e2e-") as tmp:
        state = Path(tmp)
        _write_settings(state / "device-data")
        notifier = TimedNotifier()
        received: list[float] = []
        demo = Demo(Options(scenario=SCENARIO, speed=FAST, radio=mode, state_dir=state, firmware_dir=firmware_dir,
                            speed_changes=((REAL_TIME_FROM_S, 1),)), say=lambda _m: None)
        try:
            await demo.start(notifier)
            assert demo.device is not None and demo.device.emulation is not None and demo.host is not None
            firmware = demo.device.emulation.firmware
            assert firmware is not None
            slow = await firmware.wait_for(r"^pacedclock speed 1 from us (\d+)", timeout_s=PROMPT_TIMEOUT_S)
            anchor_wall, anchor_us = time.monotonic(), int(slow.group(1))

            def on_event(event: Any) -> None:
                if event.kind == vocab.EVENT_PROMPT and not received:
                    received.append(time.monotonic())

            demo.host.on_event_extra = on_event
            probe = await firmware.wait_for(r"^lumbo prompt t=(\d+) read_us=(\d+) decided_us=(\d+) logged_us=(\d+)",
                                            timeout_s=PROMPT_TIMEOUT_S)
            deadline = time.monotonic() + PROMPT_TIMEOUT_S
            while notifier.shown_at is None:
                if time.monotonic() > deadline:
                    raise RuntimeError("the host never showed the prompt; its link said:\n"
                                       + "\n".join(demo.host.link_messages[-10:]))
                demo.check()
                await asyncio.sleep(0.01)
            assert demo.store is not None and demo.day is not None
            starts = demo.store.events(0, 2**32, kinds=(vocab.EVENT_BOUT_START,))
            if not starts:
                raise RuntimeError("the prompt came without a bout start in the host's log")
            bout_start = starts[0].t_s - starts[0].a
            cross_us = (bout_start + SIT_LIMIT_S - demo.day.epoch0_s) * 1_000_000
            decided_us = _unwrap(int(probe.group(3)), cross_us)
            logged_us = _unwrap(int(probe.group(4)), cross_us)
            cross_wall = anchor_wall + (cross_us - anchor_us) / 1e6
            figures = {
                "decision_s": (decided_us - cross_us) / 1e6,
                "logged_s": (logged_us - cross_us) / 1e6,
                "host_notification_s": notifier.shown_at - cross_wall,
            }
            if received and mode == "always":
                figures["link_s"] = received[0] - (anchor_wall + (logged_us - anchor_us) / 1e6)
            return figures
        finally:
            await demo.close()
            demo.cleanup()


def run(modes: tuple[str, ...] = ("always", "schedule"), firmware_dir: Path | None = None) -> dict[str, float]:
    import logging

    from lumbo_fw.app import FIFO_WATERMARK_SAMPLES

    logging.getLogger("bumble").setLevel(logging.ERROR)  # notifications before the host subscribed: expected

    figures: dict[str, float] = {}
    for mode in modes:
        for key, value in asyncio.run(_one(mode, firmware_dir)).items():
            figures[f"{mode}_{key}"] = round(value, 3)
    rate_hz = CHIPS[DEFAULT_CHIP][1]
    figures["reference_read_period_s"] = round(FIFO_WATERMARK_SAMPLES / rate_hz, 3)
    figures["reference_decision_max_s"] = round(FIFO_WATERMARK_SAMPLES / rate_hz + 1.0, 3)
    return figures


def describe(figures: dict[str, float]) -> str:
    lines = ["end-to-end latency, the sample that crosses the sitting limit -> the prompt's notification call",
             f"{'radio':<10} {'decision (device s)':>20} {'in the log (device s)':>22} {'host shows it (wall s)':>23}"]
    for mode in ("always", "schedule"):
        if f"{mode}_decision_s" in figures:
            lines.append(f"{mode:<10} {figures[mode + '_decision_s']:>20.3f} {figures[mode + '_logged_s']:>22.3f} "
                         f"{figures[mode + '_host_notification_s']:>23.3f}")
    lines.append(f"reference: the IMU's read period {figures['reference_read_period_s']:.3f} s, so a decision takes "
                 f"at most {figures['reference_decision_max_s']:.3f} s by design")
    if "always_link_s" in figures:
        link = figures["always_link_s"]
        lines.append(f"reference: the emulated link, notification call to host receipt, {link:.3f} s")
    lines.append("the host scans without pause here; `lumbo run`'s back-off after a missed scan adds up to its "
                 "longest wait when the radio was off")
    return "\n".join(lines)


def main() -> None:
    figures = run()
    print(describe(figures))
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
