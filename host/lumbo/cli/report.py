"""`lumbo report`: the day or the week, as tables in the terminal, and as an HTML page or PNG charts."""

from lumbo.cli import CommandError
from lumbo.cli.options import add_db_option, local_today, open_store, output_path, parse_day


def register(subparsers) -> None:
    parser = subparsers.add_parser("report", help="your day or week: sitting, bouts, breaks, posture")
    span = parser.add_mutually_exclusive_group()
    span.add_argument("--day", metavar="DATE", help="one day, YYYY-MM-DD (default: today)")
    span.add_argument("--week", nargs="?", const="today", metavar="DATE",
                      help="the seven days ending with DATE (default: today)")
    parser.add_argument("--html", metavar="FILE", help="also write an HTML page with charts")
    parser.add_argument("--png", metavar="FILE", help="also write the charts as a PNG image")
    parser.add_argument("--quiet", action="store_true", help="no tables in the terminal")
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from lumbo.report import compute, terminal

    store = open_store(args, must_exist=True)
    try:
        if args.week is not None:
            report = compute.week(store, parse_day(args.week), None)
        else:
            report = compute.day(store, parse_day(args.day) if args.day else local_today(), None)
    finally:
        store.close()
    if not args.quiet:
        terminal.show(report)
    if report.worn_s == 0 and not report.bouts:
        print("No records for this span yet.")
    if args.html:
        from lumbo.report import html

        path = output_path(args.html)
        html.save(report, path)
        print(f"wrote {path}")
    if args.png:
        from lumbo.report import charts

        path = output_path(args.png)
        if path.suffix.lower() != ".png":
            raise CommandError(f"--png needs a file name ending in .png, not {path.name}")
        charts.save_png(report, path)
        print(f"wrote {path}")
    return 0
