"""The `lumbo` command line. Each command lives in its own module under lumbo.cli and is listed below."""

import argparse
import importlib
import sys
from collections.abc import Sequence

from lumbo import __version__

# Each module here has `register(subparsers)`, which adds its command and sets `func(args) -> int`.
COMMAND_MODULES: tuple[str, ...] = (
    "scan", "pair", "run", "status", "calibrate", "config", "report", "export", "record", "sim", "eval", "bench",
    "flash", "device", "power_budget", "demo",
)


class CommandError(Exception):
    """A command failed in a way the user can fix; the message says how. Exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lumbo",
        description="lumbo: a low-back wearable that tells you when you have been sitting too long.",
    )
    parser.add_argument("--version", action="version", version=f"lumbo {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in COMMAND_MODULES:
        importlib.import_module(f"lumbo.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(func(args) or 0)
    except CommandError as exc:
        print(f"lumbo {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"lumbo {args.command}: interrupted", file=sys.stderr)
        return 130
