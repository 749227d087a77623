"""`lumbo config`: show and change settings, each checked before it is saved.

Device settings (sit_limit_s, quiet hours, ...) are checked against the settings table, saved, and sent to
the device: at once if it is in range (by `lumbo run` within seconds while it runs, else by a short
connection of its own), otherwise the next time `lumbo run` connects. The device checks them again and
refuses what it cannot take. Host preferences shape the prompts on this computer.
"""

import json
import time

from lumbo import appdirs
from lumbo.cli import CommandError
from lumbo.cli.options import (
    add_address_option,
    add_config_option,
    add_db_option,
    add_scan_option,
    load_config,
    on_device,
    run_lock,
)
from lumbo.config import DND_KEY, HOST_KEYS, ConfigError, known_keys
from lumbo.shared import settings as device_settings


def register(subparsers) -> None:
    parser = subparsers.add_parser("config", help="show or change settings (validated)")
    add_config_option(parser)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("list", help="every setting with its value and what it does")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_list)
    get = actions.add_parser("get", help="one setting's value")
    get.add_argument("key", choices=known_keys(), metavar="KEY")
    get.add_argument("--device", action="store_true", help="read the value in force on the device")
    _device_options(get)
    get.set_defaults(func=_get)
    put = actions.add_parser("set", help="change a setting (device settings are sent to the device)")
    put.add_argument("key", choices=known_keys(), metavar="KEY")
    put.add_argument("value")
    put.add_argument("--no-push", action="store_true", help="only save it; `lumbo run` sends it when it connects")
    _device_options(put)
    put.set_defaults(func=_set)
    unset = actions.add_parser("unset", help="back to the default")
    unset.add_argument("key", choices=known_keys(), metavar="KEY")
    unset.set_defaults(func=_unset)


def _device_options(parser) -> None:  # type: ignore[no-untyped-def]
    add_address_option(parser)
    add_scan_option(parser, default_s=5.0)
    add_db_option(parser)


def _describe(key: str) -> str:
    if key in HOST_KEYS:
        return HOST_KEYS[key][2]
    if key == DND_KEY:
        return "do-not-disturb: on, off, or a duration such as 45m or 2h"
    _, default, low, high, unit = device_settings.spec(key)
    return f"device setting, {low} to {high} {unit} (default {default})"


def _shown(key: str, value) -> str:  # type: ignore[no-untyped-def]
    if key == DND_KEY:
        if value is None:
            return "off"
        if value == "on":
            return "on"
        return "until " + time.strftime("%Y-%m-%d %H:%M", time.localtime(float(value)))
    if isinstance(value, list):
        return ",".join(value) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _list(args) -> int:
    config = load_config(args)
    if args.json:
        print(json.dumps({k: config.get(k) for k in known_keys()}, sort_keys=True))
        return 0
    width = max(len(k) for k in known_keys())
    for key in known_keys():
        print(f"{key:<{width}}  {_shown(key, config.get(key)):<12}  {_describe(key)}")
    return 0


def _get(args) -> int:
    if not args.device:
        print(_shown(args.key, load_config(args).get(args.key)))
        return 0
    if args.key not in device_settings.names():
        raise CommandError(f"{args.key} is a setting of this computer, not of the device")

    async def work(session):  # type: ignore[no-untyped-def]
        return await session.read_settings()

    values = on_device(args, "read the device's settings", work, say=lambda _t: None)
    if args.key not in values:
        raise CommandError(f"the device does not report {args.key}: its firmware may be older than this lumbo")
    print(values[args.key])
    return 0


def _push(args, config) -> str:  # type: ignore[no-untyped-def]
    """Send the device settings now if that can be done; say what happened."""
    if run_lock(args).held_elsewhere():
        return "`lumbo run` is connected and sends it within a few seconds"
    if not appdirs.db_path(args.db).exists():
        return "sent to the device when `lumbo run` connects"
    from lumbo.store import Store

    with Store(appdirs.db_path(args.db)) as store:
        paired = args.address or (store.paired_device().address if store.paired_device() else None)
    if paired is None:
        return "sent to the device once one is paired (`lumbo pair`)"
    overrides = config.device_overrides()

    async def work(session):  # type: ignore[no-untyped-def]
        await session.send_settings(overrides)

    try:
        on_device(args, "send it now", work, say=lambda _t: None)
    except CommandError as exc:
        if "refused" in str(exc):
            raise
        return f"saved; not sent now ({exc}). `lumbo run` sends it when it connects"
    return "sent to the device"


def _set(args) -> int:
    config = load_config(args)
    before = dict(config.values)
    try:
        value = config.set(args.key, args.value)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    config.save()
    print(f"{args.key} = {_shown(args.key, value)}")
    if args.key in device_settings.names():
        if args.no_push:
            print("sent to the device when `lumbo run` connects")
            return 0
        try:
            print(_push(args, config))
        except CommandError as exc:
            config.values = before
            config.save()
            raise CommandError(f"{exc}; the setting was left as it was") from None
    return 0


def _unset(args) -> int:
    config = load_config(args)
    config.unset(args.key)
    config.save()
    print(f"{args.key} = {_shown(args.key, config.get(args.key))} (default)")
    return 0
