"""`lumbo export`: every record in the log as CSV or JSON Lines, for a spreadsheet or your own analysis."""

import sys

from lumbo.cli.options import add_db_option, open_store, output_path, parse_day


def register(subparsers) -> None:
    parser = subparsers.add_parser("export", help="the log as CSV or JSON Lines")
    fmt = parser.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--csv", action="store_true", help="one CSV table")
    fmt.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    parser.add_argument("--from", dest="first", metavar="DATE", help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", metavar="DATE", help="last day, YYYY-MM-DD")
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from lumbo import export
    from lumbo.report.compute import day_bounds

    start_s = day_bounds(parse_day(args.first), None)[0] if args.first else 0
    end_s = day_bounds(parse_day(args.last), None)[1] if args.last else 2**63 - 1
    writer = export.write_csv if args.csv else export.write_jsonl
    store = open_store(args, must_exist=True)
    try:
        if args.output:
            path = output_path(args.output)
            with open(path, "w", encoding="utf-8", newline="") as out:
                count = writer(store, out, start_s, end_s)
            print(f"wrote {count} records to {path}", file=sys.stderr)
        else:
            writer(store, sys.stdout, start_s, end_s)
    finally:
        store.close()
    return 0
