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
    ingest = benches.add_parser("ingest", help="records per second into the SQLite log, beside plain inserts")
    ingest.add_argument("--records", type=int, default=100_000, help="how many records (default 100000)")
    ingest.add_argument("--batch", type=int, default=200, help="records per ingest call (default 200)")
    ingest.add_argument("--dir", metavar="DIR", help="where to put the scratch databases (default: temp)")
    ingest.add_argument("--json", action="store_true", help="print one JSON object")
    ingest.set_defaults(func=_host, bench_name="ingest")
    report = benches.add_parser("report", help="`lumbo report --week` over a year of minute summaries")
    report.add_argument("--days", type=int, default=365, help="days of log to build (default 365)")
    report.add_argument("--dir", metavar="DIR", help="where to put the scratch database (default: temp)")
    report.add_argument("--json", action="store_true", help="print one JSON object")
    report.set_defaults(func=_host, bench_name="report")
    sync = benches.add_parser("sync", help="time to sync a device's history over the emulated radio, and the "
                                           "estimate for a real link")
    sync.add_argument("--days", type=int, default=14, help="days of history on the device (default 14)")
    sync.add_argument("--events-per-day", type=int, default=300, help="events a day besides the minutes")
    sync.add_argument("--json", action="store_true", help="print one JSON object")
    sync.set_defaults(func=_sync)
    e2e = benches.add_parser("e2e", help="latency from the sample that crosses the sitting limit to the prompt's "
                                         "notification, on the whole emulated system")
    e2e.add_argument("--radio", choices=("always", "schedule", "both"), default="both",
                     help="the device's radio: a host connected (always), off between syncs (schedule), or both")
    e2e.add_argument("--json", action="store_true", help="print one JSON object")
    e2e.set_defaults(func=_e2e)
    cpu = benches.add_parser("cpu", help="CPU per process of the emulated system at real-time speed")
    cpu.add_argument("--seconds", type=float, default=120.0, help="how long to measure (default 120)")
    cpu.add_argument("--radio", choices=("always", "schedule", "both"), default="both")
    cpu.add_argument("--json", action="store_true", help="print one JSON object")
    cpu.set_defaults(func=_cpu)
    heap = benches.add_parser("heap", help="the firmware's heap in use at its peak, Bluetooth on, under the unix port")
    heap.add_argument("--heapsize", default="352k", help="the interpreter's heap (-X heapsize; default 352k)")
    heap.add_argument("--hours", type=float, default=1.0, help="device hours to run (default 1)")
    heap.add_argument("--json", action="store_true", help="print one JSON object")
    heap.set_defaults(func=_heap)
    session = benches.add_parser("session", help="the host app's sync of a device's history into its log, over "
                                                 "the emulated radio, beside the bare transfer")
    session.add_argument("--days", type=int, default=14, help="days of history on the device (default 14)")
    session.add_argument("--events-per-day", type=int, default=300, help="events a day besides the minutes")
    session.add_argument("--json", action="store_true", help="print one JSON object")
    session.set_defaults(func=_session)
    radio = benches.add_parser("radio", help="connect, read, echo and notification rates over the emulated radio, "
                                             "beside a plain bumble peripheral")
    radio.add_argument("--reads", type=int, default=200, help="reads and echoes to time (median; default 200)")
    radio.add_argument("--burst", type=int, default=500, help="notifications in the throughput burst (default 500)")
    radio.add_argument("--json", action="store_true", help="print one JSON object")
    radio.set_defaults(func=_radio)


def _print(figures: dict[str, float], as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, sort_keys=True))
        return
    width = max(len(k) for k in figures)
    for key in sorted(figures):
        print(f"{key:<{width}}  {figures[key]:.6g}")


def _host(args) -> int:
    from pathlib import Path

    from lumbo.bench import host

    folder = Path(args.dir) if args.dir else None
    if args.bench_name == "ingest":
        if args.records < 1 or args.batch < 1:
            raise CommandError("--records and --batch must be at least 1")
        figures = host.ingest(args.records, args.batch, folder)
    else:
        if args.days < 7:
            raise CommandError("--days must be at least 7 (a week)")
        figures = host.report_week(args.days, folder=folder)
    _print(figures, args.json)
    return 0


def _sync(args) -> int:
    from lumbo.bench import sync

    if args.days < 1 or args.events_per_day < 0:
        raise CommandError("--days must be at least 1 and --events-per-day at least 0")
    figures = sync.run(args.days, args.events_per_day)
    print(json.dumps(figures, sort_keys=True) if args.json else sync.describe(figures))
    return 0


def _radios(choice: str) -> tuple[str, ...]:
    return ("always", "schedule") if choice == "both" else (choice,)


def _e2e(args) -> int:
    from lumbo.bench import e2e

    figures = e2e.run(_radios(args.radio))
    print(json.dumps(figures, sort_keys=True) if args.json else e2e.describe(figures))
    return 0


def _cpu(args) -> int:
    from lumbo.bench import cpu

    if args.seconds < 10:
        raise CommandError("--seconds must be at least 10: shorter runs measure the start-up, not the day")
    figures = cpu.run(args.seconds, _radios(args.radio))
    print(json.dumps(figures, sort_keys=True) if args.json else cpu.describe(figures))
    return 0


def _heap(args) -> int:
    from lumbo.bench import heap

    if not args.heapsize.lower().endswith("k") or not args.heapsize[:-1].isdigit():
        raise CommandError(f"--heapsize takes kilobytes, such as 320k, not {args.heapsize!r}")
    figures = heap.run(args.heapsize, args.hours)
    print(json.dumps(figures, sort_keys=True) if args.json else heap.describe(figures))
    return 0


def _session(args) -> int:
    import logging

    from lumbo.bench import session

    if args.days < 1 or args.events_per_day < 0:
        raise CommandError("--days must be at least 1 and --events-per-day at least 0")
    logging.getLogger("bumble").setLevel(logging.ERROR)
    figures = session.run(args.days, args.events_per_day)
    print(json.dumps(figures, sort_keys=True) if args.json else session.describe(figures))
    return 0


def _radio(args) -> int:
    import asyncio

    from lumbo.bench import radio

    if args.reads < 1 or args.burst < 1:
        raise CommandError("--reads and --burst must be at least 1")
    results = asyncio.run(radio.run(args.reads, args.burst))
    if args.json:
        print(json.dumps(results, sort_keys=True))
        return 0
    names = list(next(iter(results.values())))
    print(f"{'':24}" + "".join(f"{name:>14}" for name in names))
    for setup, figures in results.items():
        print(f"{setup:24}" + "".join(f"{figures[name]:>14.3f}" for name in names))
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
