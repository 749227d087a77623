"""`lumbo scan`: the lumbo devices advertising nearby, strongest first, and which one is paired."""

import asyncio
import json

from lumbo.cli.options import add_db_option, link_error, open_link, open_store, refuse_while_running


def register(subparsers) -> None:
    parser = subparsers.add_parser("scan", help="list the lumbo devices advertising nearby")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to listen (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from bleak.exc import BleakError

    from lumbo.link import pairing

    refuse_while_running(args, "scan")
    store = open_store(args)
    try:
        known = {d.address: d for d in store.devices() if d.bonded}
    finally:
        store.close()
    link = open_link(args)

    async def main() -> list[pairing.Found]:
        try:
            return await pairing.scan(link, args.seconds)
        finally:
            await link.close()

    try:
        found = asyncio.run(main())
    except (BleakError, OSError) as exc:
        raise link_error(exc) from None
    rows = [{"address": f.address, "name": f.name, "rssi_dbm": f.rssi, "paired": f.address in known}
            for f in found]
    if args.json:
        print(json.dumps({"devices": rows}, sort_keys=True))
        return 0
    if not rows:
        print(f"no lumbo device advertised within {args.seconds:g} s: bring it close and move it so it wakes "
              "(it keeps its radio off between syncs)")
        return 0
    for row in rows:
        rssi = "?" if row["rssi_dbm"] is None else f"{row['rssi_dbm']} dBm"
        note = "paired" if row["paired"] else "not paired (a paired device shows its fixed address)"
        print(f"{row['address']}  {row['name'] or '-':<10} {rssi:>8}  {note}")
    return 0
