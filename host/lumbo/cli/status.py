"""`lumbo status`: what this computer knows — the paired device, how far the log is synced, what is missing
or lost, records waiting in the spool, and whether prompts are held back right now."""

import json
import time
from datetime import datetime

from lumbo.cli.options import add_config_option, add_db_option, load_config, open_store
from lumbo.prompts import policy


def register(subparsers) -> None:
    parser = subparsers.add_parser("status", help="the paired device, the sync and the prompt state")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_db_option(parser)
    add_config_option(parser)
    parser.set_defaults(func=run)


def _when(t_s: float | None) -> str:
    return "never" if t_s is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(t_s))


def collect(store, config, now_s: float) -> dict:  # type: ignore[no-untyped-def,type-arg]
    devices = []
    for d in store.devices():
        position = store.sync_position(d.address)
        gaps, _ = store.gaps(d.address)
        devices.append({
            "address": d.address,
            "name": d.name,
            "paired": d.bonded,
            "last_seen": d.last_seen_s,
            "synced_to_seq": position[0] if position else None,
            "newest_seq": position[1] if position else None,
            "missing": sum(b - a + 1 for a, b in gaps),
            "lost": store.lost_count(d.address),
        })
    settings = config.device_settings()
    held = policy.hold_reason(datetime.fromtimestamp(now_s).astimezone(),
                              quiet_start_min=settings["quiet_start_min"], quiet_end_min=settings["quiet_end_min"],
                              dnd_until_s=config.dnd_until_s(), snoozed_until_s=None)
    return {
        "log": str(store.path),
        "records": store.record_count(),
        "spooled": store.spool.pending(),
        "devices": devices,
        "prompts_held": held,
    }


def run(args) -> int:
    store = open_store(args)
    config = load_config(args)
    try:
        info = collect(store, config, time.time())
    finally:
        store.close()
    if args.json:
        print(json.dumps(info, sort_keys=True))
        return 0
    print(f"log: {info['log']} ({info['records']} records)")
    if info["spooled"]:
        print("records are waiting in the spool file: the log was locked or damaged; see the message above")
    if not info["devices"]:
        print("no device yet: pair one with `lumbo pair`")
    for d in info["devices"]:
        state = "paired" if d["paired"] else "not paired"
        print(f"device {d['name'] or d['address']} ({d['address']}), {state}, last seen {_when(d['last_seen'])}")
        if d["synced_to_seq"] is not None:
            print(f"  synced up to record {d['synced_to_seq']} of {d['newest_seq']}; "
                  f"{d['missing']} missing, {d['lost']} lost on the device")
    print(f"prompts: {'held back (' + info['prompts_held'] + ')' if info['prompts_held'] else 'shown'}")
    return 0
