"""`lumbo bench ...`: benchmarks, each printing its figure beside a reference from the same run."""

import json

from lumbo.cli import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="measure speed and memory beside a reference run")
    benches = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)
    device = benches.add_parser("device", help="firmware hot paths under MicroPython: us and heap bytes")
    device.add_argument("--json", action="store_true", help="print one JSON object")
    device.add_argument("--only", action="append", metavar="SCRIPT", help="run only this bench script")
    device.set_defaults(func=_device)
    sync = benches.add_parser("sync", help="time to sync a device's history over the emulated radio, and the "
                                           "estimate for a real link")
    sync.add_argument("--days", type=int, default=14, help="days of history on the device (default 14)")
    sync.add_argument("--events-per-day", type=int, default=300, help="events a day besides the minutes")
    sync.add_argument("--json", action="store_true", help="print one JSON object")
    sync.set_defaults(func=_sync)


def _sync(args) -> int:
    from lumbo.bench import sync

    if args.days < 1 or args.events_per_day < 0:
        raise CommandError("--days must be at least 1 and --events-per-day at least 0")
    figures = sync.run(args.days, args.events_per_day)
    print(json.dumps(figures, sort_keys=True) if args.json else sync.describe(figures))
    return 0


def _device(args) -> int:
    from lumbo.bench import device

    if not device.scripts():
        raise CommandError("no device benchmarks are installed")
    try:
        figures = device.run_all(args.only)
    except device.BenchError as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        width = max(len(k) for k in figures)
        for key in sorted(figures):
            print(f"{key:<{width}}  {figures[key]:.6g}")
    return 0
