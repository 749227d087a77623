"""The demo's day: what the emulated IMU replays, and what really happened (when it is known).

A simulated desk-work day (lumbo.sim) carries its ground truth: sitting time, sitting bouts, when an ideal
device prompts. A recording (`--recording FILE`, lumbo-imu/1) carries what its labels say: sitting time
from the `sitting` spans, and the simulator's truth file if one lies beside it.
"""

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from lumbo import recording as rec_io
from lumbo.emu.imu_frames import write_frames

# Emulated chip -> (the simulator's IMU model, the rate the chip samples at).
CHIPS = {
    "LSM6DSOX": ("lsm6dsox", 52.0),
    "MPU-6050": ("mpu6050", 50.0),
}
DEFAULT_CHIP = "LSM6DSOX"
DAY_START = "09:00"


class DemoError(ValueError):
    """The demo cannot run as asked; the message says what to change."""


class Day(NamedTuple):
    name: str
    frames: Path
    chip: str
    duration_s: float
    epoch0_s: int  # Unix time at the recording's t = 0: the emulated board's clock starts there
    truth: dict[str, Any] | None  # lumbo-sim-truth/1, times in seconds from the recording's start
    sitting_truth_s: float | None


def day_start_epoch(start_clock: str = DAY_START, now_s: float | None = None) -> int:
    """Today's start_clock (HH:MM, local time) as Unix time."""
    now = datetime.fromtimestamp(time.time() if now_s is None else now_s)
    hours, minutes = (int(part) for part in start_clock.split(":"))
    return int(now.replace(hour=hours, minute=minutes, second=0, microsecond=0).timestamp())


def _check_chip(chip: str) -> tuple[str, float]:
    if chip not in CHIPS:
        raise DemoError(f"no emulated IMU called {chip!r}; choose one of {', '.join(sorted(CHIPS))}")
    return CHIPS[chip]


def simulated(out_dir: Path, seed: int, hours: float, chip: str = DEFAULT_CHIP,
              start_clock: str = DAY_START) -> Day:
    """A randomised desk-work day from the virtual wearer."""
    from lumbo import sim

    model, rate_hz = _check_chip(chip)
    if not 0.25 <= hours <= 16:
        raise DemoError(f"--hours {hours} is outside 0.25 to 16: a day of a quarter hour to sixteen hours")
    day = sim.simulate_day(seed=seed, hours=hours, imu=model, start_clock=start_clock)
    frames = write_frames(out_dir / "day.frames", day, rate_hz=rate_hz)
    truth = json.loads(json.dumps(day.truth, default=_plain))
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return Day(f"simulated day (seed {seed})", frames, chip, float(truth["duration_s"]),
               day_start_epoch(start_clock), truth, float(truth["sitting_total_s"]))


def scenario(out_dir: Path, text: str, seed: int = 0, chip: str = DEFAULT_CHIP,
             start_clock: str = DAY_START) -> Day:
    """A day written in the virtual wearer's scenario format (docs/simulator.md)."""
    from lumbo import sim

    model, rate_hz = _check_chip(chip)
    try:
        day = sim.simulate_scenario(text, seed=seed, imu=model)
    except ValueError as exc:
        raise DemoError(f"the scenario does not work: {exc}") from None
    frames = write_frames(out_dir / "day.frames", day, rate_hz=rate_hz)
    truth = json.loads(json.dumps(day.truth, default=_plain))
    return Day("scenario", frames, chip, float(truth["duration_s"]), day_start_epoch(start_clock), truth,
               float(truth["sitting_total_s"]))


def recorded(out_dir: Path, path: Path, chip: str = DEFAULT_CHIP, hours: float | None = None) -> Day:
    """A lumbo-imu/1 recording, replayed as the IMU's motion (cut to `hours` if given)."""
    _model, rate_hz = _check_chip(chip)
    try:
        rec = rec_io.read(path)
    except rec_io.RecordingError as exc:
        raise DemoError(str(exc)) from None
    duration_s = float(rec.t_s[-1] - rec.t_s[0])
    if hours is not None:
        if hours * 3600 < 60:
            raise DemoError("--hours must give at least a minute of the recording")
        duration_s = min(duration_s, hours * 3600)
    if duration_s < 60:
        raise DemoError(f"{path} holds {duration_s:.0f} s of samples; the demo needs at least a minute")
    frames = write_frames(out_dir / "day.frames", rec, rate_hz=rate_hz)
    truth_file = path.parent / (rec_io.stem(path) + ".truth.json")
    truth = json.loads(truth_file.read_text(encoding="utf-8")) if truth_file.exists() else None
    if truth is not None and hours is None:
        sitting = float(truth["sitting_total_s"])
    elif rec.labels:
        t0 = float(rec.t_s[0])
        sitting = sum(max(0.0, min(label.end_s - t0, duration_s) - max(label.start_s - t0, 0.0))
                      for label in rec.labels if label.label == "sitting")
    else:
        sitting = None
    start = rec.meta.get("start_clock") or DAY_START
    return Day(f"recording {path.name}", frames, chip, duration_s, day_start_epoch(start[:5]), truth, sitting)


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
