"""`lumbo config`: show and change settings, each checked before it is saved.

Device settings (sit_limit_s, quiet hours, ...) are sent to the device the next time `lumbo run`
connects, or at once while it is running. Host preferences shape the prompts on this computer.
"""

import json
import time

from lumbo.cli import CommandError
from lumbo.cli.options import add_config_option, load_config
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
    get.set_defaults(func=_get)
    put = actions.add_parser("set", help="change a setting")
    put.add_argument("key", choices=known_keys(), metavar="KEY")
    put.add_argument("value")
    put.set_defaults(func=_set)
    unset = actions.add_parser("unset", help="back to the default")
    unset.add_argument("key", choices=known_keys(), metavar="KEY")
    unset.set_defaults(func=_unset)


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
    print(_shown(args.key, load_config(args).get(args.key)))
    return 0


def _set(args) -> int:
    config = load_config(args)
    try:
        value = config.set(args.key, args.value)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    config.save()
    where = " (sent to the device when lumbo run connects)" if args.key in device_settings.names() else ""
    print(f"{args.key} = {_shown(args.key, value)}{where}")
    return 0


def _unset(args) -> int:
    config = load_config(args)
    config.unset(args.key)
    config.save()
    print(f"{args.key} = {_shown(args.key, config.get(args.key))} (default)")
    return 0
