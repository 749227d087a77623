"""`lumbo sim ...`: the virtual wearer. Simulate a day or a scenario into a recording with labels and truth,
compare the simulator with real recordings, and time it."""

import json
import time
from pathlib import Path

from lumbo.cli import CommandError

_IMUS = ("mpu6050", "lsm6dsox")


def register(subparsers) -> None:
    parser = subparsers.add_parser("sim", help="simulate a wearer: recordings with labels and ground truth")
    commands = parser.add_subparsers(dest="sim_command", metavar="WHAT", required=True)

    day = commands.add_parser("day", help="a randomised desk-work day")
    day.add_argument("--seed", type=int, required=True, help="the same seed gives the same bytes")
    day.add_argument("--hours", type=float, required=True, help="length of the day")
    day.add_argument("--start", default="09:00", metavar="HH:MM", help="time of day the recording starts")
    _common(day)
    day.set_defaults(func=_day)

    scenario = commands.add_parser("scenario", help="a day written in the scenario format (docs/simulator.md)")
    scenario.add_argument("file", type=Path, help="scenario text file")
    scenario.add_argument("--seed", type=int, default=0, help="draws the wearer and the details (default 0)")
    _common(scenario)
    scenario.set_defaults(func=_scenario)

    check = commands.add_parser("check-hapt", help="simulated vs real statistics, side by side")
    check.add_argument("folder", type=Path, help="folder of labelled recordings (e.g. the HAPT sessions)")
    check.add_argument("--sims", type=int, default=21, help="simulated sessions to compare (default 21)")
    check.add_argument("--imu", choices=_IMUS, default="mpu6050")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=_check)

    bench = commands.add_parser("bench", help="time a simulated day beside a plain numpy reference")
    bench.add_argument("--hours", type=float, default=8.0)
    bench.add_argument("--seed", type=int, default=1)
    bench.add_argument("--rate-hz", type=float, default=50.0)
    bench.add_argument("--write", type=Path, metavar="DIR", help="also time writing the files into DIR")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.set_defaults(func=_bench)


def _common(parser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="folder to write into (made if missing)")
    parser.add_argument("--name", help="file name stem (default: sim-day-SEED or the scenario file's name)")
    parser.add_argument("--rate-hz", type=float, default=50.0, help="nominal sample rate (default 50)")
    parser.add_argument("--imu", choices=_IMUS, default="mpu6050", help="which chip's errors to simulate")
    parser.add_argument("--mounting", default="nominal",
                        help="nominal, upside-down, sideways, random, or ROLL,PITCH,YAW in degrees")
    parser.add_argument("--plain", action="store_true", help="write NAME.csv instead of NAME.csv.gz")


def _simulate(make):
    from lumbo.sim import ScenarioError, WearerError
    from lumbo.sim.mounting import MountingError

    started = time.perf_counter()
    try:
        rec = make()
    except (ScenarioError, WearerError, MountingError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    return rec, time.perf_counter() - started


def _write_and_report(rec, args, name: str, elapsed_s: float) -> int:
    from lumbo import sim

    started = time.perf_counter()
    try:
        paths = sim.write(rec, args.out, name, compress=not args.plain)
    except OSError as exc:
        raise CommandError(f"cannot write into {args.out}: {exc.strerror}; check the folder") from None
    written_s = time.perf_counter() - started
    hours = rec.truth["duration_s"] / 3600.0
    print(f"simulated {hours:.2f} h ({len(rec.t_s)} samples at {args.rate_hz:g} Hz) in {elapsed_s:.2f} s; "
          f"wrote in {written_s:.2f} s:")
    for path in paths:
        print(f"  {path}")
    truth = rec.truth
    print(f"sitting {truth['sitting_total_s'] / 3600:.2f} h in {len(truth['sitting_bouts'])} bouts, "
          f"{len(truth['prompts'])} prompts, {len(truth['routines'])} routines")
    return 0


def _day(args) -> int:
    from lumbo import sim

    rec, elapsed = _simulate(lambda: sim.simulate_day(args.seed, args.hours, rate_hz=args.rate_hz, imu=args.imu,
                                                      mounting=args.mounting, start_clock=args.start))
    return _write_and_report(rec, args, args.name or f"sim-day-{args.seed}", elapsed)


def _scenario(args) -> int:
    from lumbo import sim

    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read the scenario {args.file}: {exc}") from None
    rec, elapsed = _simulate(lambda: sim.simulate_scenario(text, seed=args.seed, rate_hz=args.rate_hz, imu=args.imu,
                                                           mounting=args.mounting, source=f"scenario {args.file.name}"))
    name = args.name or args.file.name.split(".")[0]
    return _write_and_report(rec, args, name, elapsed)


def _check(args) -> int:
    from lumbo.recording import RecordingError
    from lumbo.sim import validate

    if args.sims < 1:
        raise CommandError("--sims must be at least 1")
    try:
        real = validate.real_stats(args.folder)
    except RecordingError as exc:
        raise CommandError(str(exc)) from None
    sims = [validate.recording_stats(rec) for rec in validate.simulated_sessions(args.sims, imu=args.imu)]
    rows = validate.compare(real, sims)
    within = sum(row.sim_median_within for row in rows)
    if args.json:
        print(json.dumps({"folder": str(args.folder), "metrics": [row.as_dict() for row in rows],
                          "sim_medians_within_real_range": within, "metric_count": len(rows)}, sort_keys=True))
        return 0
    print(f"real: {len(real)} labelled recordings in {args.folder}; simulated: {len(sims)} sessions of the "
          f"same protocol (seeds 1..{len(sims)})")
    print(validate.format_table(rows))
    print(f"{within} of {len(rows)} metrics: the simulated median lies within the real recordings' range "
          "(last column: share of simulated sessions inside it)")
    return 0


def _bench(args) -> int:
    import numpy as np

    from lumbo import sim

    if not args.hours > 0:
        raise CommandError("--hours must be more than zero")
    started = time.perf_counter()
    rec = sim.simulate_day(args.seed, args.hours, rate_hz=args.rate_hz)
    generate_s = time.perf_counter() - started
    # Reference: plain numpy over the same number of samples (draw 16 Gaussian channels, sum them, and one
    # FFT round trip of 3 channels), so the figure can be read against this machine's speed right now.
    n = len(rec.t_s)
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    rng.standard_normal((16, n)).sum(axis=0)
    np.fft.irfft(np.fft.rfft(rng.standard_normal((3, n)), axis=1), n=n, axis=1)
    reference_s = time.perf_counter() - started
    figures = {"hours": args.hours, "samples": n, "generate_s": round(generate_s, 3),
               "reference_numpy_s": round(reference_s, 3),
               "generate_over_reference": round(generate_s / reference_s, 2)}
    if args.write:
        started = time.perf_counter()
        sim.write(rec, args.write, f"bench-{args.seed}")
        figures["write_csv_gz_s"] = round(time.perf_counter() - started, 3)
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        for key, value in figures.items():
            print(f"{key:<24} {value}")
    return 0
