"""Options and helpers the host commands share: where the log and settings live, days and time zones."""

import argparse
from datetime import date, datetime
from pathlib import Path

from lumbo import appdirs
from lumbo.cli import CommandError
from lumbo.config import Config, ConfigError
from lumbo.store import Store, StoreError


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="FILE",
                        help=f"the log database (default: ${appdirs.DB_ENV}, else {appdirs.db_path()})")


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE",
                        help=f"the settings file (default: ${appdirs.CONFIG_ENV}, else {appdirs.config_path()})")


def open_store(args: argparse.Namespace, *, must_exist: bool = False) -> Store:
    path = appdirs.db_path(getattr(args, "db", None))
    if must_exist and not path.exists():
        raise CommandError(f"no log yet at {path}: pair a device (lumbo pair) and run lumbo run first")
    try:
        return Store(path)
    except StoreError as exc:
        raise CommandError(str(exc)) from None


def load_config(args: argparse.Namespace) -> Config:
    try:
        return Config.load(appdirs.config_path(getattr(args, "config", None)))
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def parse_day(text: str) -> date:
    if text == "today":
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date; write it as YYYY-MM-DD, or 'today'") from None


def local_today() -> date:
    return datetime.now().date()


def output_path(text: str) -> Path:
    path = Path(text).expanduser()
    if path.parent and not path.parent.exists():
        raise CommandError(f"the folder {path.parent} does not exist")
    return path
