"""The virtual wearer: a physically based simulator of a low-back IMU through a desk-work day.

    rec = simulate_day(seed=1, hours=8)            # a randomised day
    rec = simulate_scenario("sit 30m\\nwalk 2m", seed=1)
    write(rec, out_dir, "day1")                    # NAME.csv.gz, NAME.labels.csv, NAME.truth.json

A result is a lumbo.recording.Recording (lumbo-imu/1) with ground-truth columns (true_sagittal_deg,
true_lateral_deg, true_incl_deg, qw..qz, gt_valid, activity) and a `truth` dict (lumbo.sim.truth).
docs/simulator.md describes the model and the file contract.
"""

import json
from pathlib import Path

import numpy as np

from lumbo import recording
from lumbo.sim import day as _day
from lumbo.sim import scenario as _scenario
from lumbo.sim.engine import Options, SimRecording, random_streams, run
from lumbo.sim.plan import make_plan
from lumbo.sim.scenario import ScenarioError, parse_clock
from lumbo.sim.sensor import SensorSettings
from lumbo.sim.wearer import Wearer, WearerError, draw

__all__ = ["ScenarioError", "SensorSettings", "SimRecording", "Wearer", "WearerError", "simulate_day",
           "simulate_scenario", "write"]


def _options(rate_hz: float, imu: str, mounting: str, sensor: SensorSettings | None) -> Options:
    settings = sensor if sensor is not None else SensorSettings(imu=imu)
    return Options(rate_hz=rate_hz, sensor=settings, mounting=mounting)


def simulate_day(seed: int, hours: float, rate_hz: float = 50.0, imu: str = "mpu6050", mounting: str = "nominal",
                 start_clock: str = "09:00", wearer: Wearer | None = None,
                 sensor: SensorSettings | None = None) -> SimRecording:
    """A randomised desk-work day of exactly `hours`, the same for the same arguments."""
    start = parse_clock(start_clock)
    if start is None:
        raise ScenarioError(f"start_clock must be HH:MM, got {start_clock!r}")
    rngs = random_streams(seed)
    person = wearer if wearer is not None else draw(rngs["wearer"])
    plan = _day.generate(person, hours, rngs["plan"], start)
    rec = run(plan, person, seed, _options(rate_hz, imu, mounting, sensor), rngs, source="randomised day",
              end_s=hours * 3600.0)
    rec.name = f"sim-day-{seed}"
    return rec


def simulate_scenario(text: str, seed: int = 0, rate_hz: float = 50.0, imu: str = "mpu6050",
                      mounting: str = "nominal", wearer: Wearer | None = None,
                      sensor: SensorSettings | None = None, source: str = "scenario") -> SimRecording:
    """A day written in the scenario format (lumbo.sim.scenario); the wearer is drawn from the seed unless
    given, and the scenario's `wearer` line overrides either."""
    parsed = _scenario.parse(text)
    rngs = random_streams(seed)
    person = (wearer if wearer is not None else draw(rngs["wearer"])).with_overrides(parsed.wearer)
    plan = make_plan(parsed, person, rngs["plan"])
    rec = run(plan, person, seed, _options(rate_hz, imu, mounting, sensor), rngs, source=source)
    rec.name = f"sim-scenario-{seed}"
    return rec


def truth_path(out_dir: Path, name: str) -> Path:
    return Path(out_dir) / f"{name}.truth.json"


def write(rec: SimRecording, out_dir: Path | str, name: str, compress: bool = True) -> list[Path]:
    """Write NAME.csv.gz (or .csv), NAME.labels.csv and NAME.truth.json; the bytes depend only on rec."""
    out_dir = Path(out_dir)
    path = recording.write(out_dir / (name + (".csv.gz" if compress else ".csv")), rec)
    truth_file = truth_path(out_dir, name)
    truth_file.write_text(json.dumps(rec.truth, indent=1, sort_keys=True, default=_plain) + "\n", encoding="utf-8")
    return [path, recording.labels_path(path), truth_file]


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to the truth file")
