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


# -- the device ----------------------------------------------------------------------------------------

def add_address_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--address", help="the device to use (default: the one paired last)")


def add_scan_option(parser: argparse.ArgumentParser, default_s: float = 10.0) -> None:
    parser.add_argument("--scan-s", type=float, default=default_s, metavar="S",
                        help=f"how long to look for the device (default {default_s:g} s)")


def open_link(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The Bluetooth the commands use: the emulated radio named by $LUMBO_BLE_RADIO (its bonds kept beside
    the log), else this computer's own."""
    import logging

    from lumbo import ble

    # bumble (the emulated radio's stack) warns of harmless things, such as a notification that arrives
    # before its subscription; the commands say what matters themselves.
    logging.getLogger("bumble").setLevel(logging.ERROR)
    db = appdirs.db_path(getattr(args, "db", None))
    return ble.from_environment(keystore_path=db.with_name(db.name + ".ble-keys.json"))


def paired_address(store: Store, args: argparse.Namespace) -> str:
    address = getattr(args, "address", None)
    if address:
        return str(address)
    paired = store.paired_device()
    if paired is None:
        raise CommandError("no paired device: run `lumbo pair` first (or give --address)")
    return paired.address


def run_lock(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from lumbo.link.lock import RunLock

    return RunLock(appdirs.db_path(getattr(args, "db", None)))


def refuse_while_running(args: argparse.Namespace, what: str) -> None:
    """A CommandError if `lumbo run` holds the device (it takes one connection per computer)."""
    if run_lock(args).held_elsewhere():
        raise CommandError(f"`lumbo run` is connected to the device; stop it (Ctrl-C in its terminal) to {what}, "
                           "then start it again")


def link_error(exc: BaseException) -> CommandError:
    """A link failure as a message for the wearer."""
    from lumbo.link.runner import classify

    try:
        kind = classify(exc)
    except Exception:  # not a link failure after all: say what it was
        return CommandError(f"{type(exc).__name__}: {exc}")
    hints = {
        "adapter": "turn Bluetooth on (or plug the adapter in) and try again",
        "auth": "the device does not know this computer (any more): run `lumbo pair`",
        "not_found": "bring the device close and move it so it wakes, then try again",
    }
    hint = hints.get(kind, "try again; if it keeps failing, move closer to the device")
    return CommandError(f"{exc}; {hint}" if str(exc) else hint)


def on_device(args: argparse.Namespace, what: str, work, *, scan_s: float | None = None,  # type: ignore[no-untyped-def]
              say=print, **session_kwargs):
    """Connect to the paired device once, run `await work(session)`, disconnect; return what work returned.

    `what` finishes "stop lumbo run to ...". Link failures become CommandErrors that say what to do."""
    import asyncio

    from bleak.exc import BleakError

    from lumbo.link import pairing
    from lumbo.link.session import DeviceRefused, LinkError

    refuse_while_running(args, what)
    store = open_store(args, must_exist=True)
    try:
        address = paired_address(store, args)
        link = open_link(args)

        async def main():  # type: ignore[no-untyped-def]
            try:
                async with pairing.connected(store, address, link, scan_s=scan_s or getattr(args, "scan_s", 10.0),
                                             say=say, **session_kwargs) as session:
                    return await work(session)
            finally:
                await link.close()

        try:
            return asyncio.run(main())
        except DeviceRefused as exc:
            raise CommandError(str(exc)) from None
        except (BleakError, LinkError, TimeoutError, OSError) as exc:
            raise link_error(exc) from None
    finally:
        store.close()
