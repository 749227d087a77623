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
