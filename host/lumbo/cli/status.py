"""`lumbo status`: what this computer knows — the paired device, how far the log is synced, what is missing
or lost, records waiting in the spool, whether prompts are held back right now — and the device's live
status: as `lumbo run` last saw it, or (--live) read from the device now."""

import json
import time
from datetime import datetime

from lumbo.cli.options import (
    add_address_option,
    add_config_option,
    add_db_option,
    add_scan_option,
    load_config,
    on_device,
    open_store,
)
from lumbo.prompts import policy
from lumbo.shared import vocab


def register(subparsers) -> None:
    parser = subparsers.add_parser("status", help="the paired device, the sync and the prompt state")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--live", action="store_true",
                        help="connect to the device and read its status now (not while `lumbo run` runs)")
    add_address_option(parser)
    add_scan_option(parser)
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
            "log_id": store.current_log_id(d.address),
            "status": _status_dict(store.last_status(d.address), "lumbo run"),
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


def _status_dict(status, source: str) -> dict | None:  # type: ignore[no-untyped-def,type-arg]
    if status is None:
        return None
    return {"seen": status.seen_s, "source": source, "posture": vocab.state_name(status.state),
            "tilt_deg": status.tilt_cdeg / 100, "bout_s": status.bout_s, "battery_pct": status.battery_pct,
            "flags": status.flags, "head_seq": status.head_seq}


def _read_live(args) -> dict:  # type: ignore[no-untyped-def,type-arg]
    from lumbo.store.store import LiveStatus

    async def work(session):  # type: ignore[no-untyped-def]
        status = await session.read_status()
        live = LiveStatus(time.time(), status.state, status.tilt_cdeg, status.bout_s, status.battery_pct,
                          status.flags, status.head_seq)
        session.store.save_status(session.address, live)
        return session.address, live

    address, status = on_device(args, "read the device's status", work, say=lambda _t: None)
    return {"address": address, "status": _status_dict(status, "device")}


def _describe(status: dict) -> str:  # type: ignore[type-arg]
    from lumbo.live import clock_text
    from lumbo.shared import protocol

    age = time.time() - status["seen"]
    when = "now" if status["source"] == "device" else f"{_when(status['seen'])} ({age / 60:.0f} min ago)"
    parts = [status["posture"].replace("_", " ")]
    if status["posture"] == "sitting":
        parts[0] += f" for {clock_text(status['bout_s'])}"
    parts.append(f"pelvic tilt {status['tilt_deg']:+.1f}°")
    parts.append("battery " + ("unknown" if status["battery_pct"] is None else f"{status['battery_pct']}%"))
    if status["flags"] & protocol.STATUS_FLAG_PROMPT:
        parts.append("a break prompt is on")
    if not status["flags"] & protocol.STATUS_FLAG_CALIBRATED:
        parts.append("not calibrated (run `lumbo calibrate`)")
    return f"  live ({when}): " + ", ".join(parts)


def run(args) -> int:
    live = _read_live(args) if args.live else None
    store = open_store(args)
    config = load_config(args)
    try:
        info = collect(store, config, time.time())
    finally:
        store.close()
    if live is not None:
        for d in info["devices"]:
            if d["address"] == live["address"]:
                d["status"] = live["status"]
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
        if d["status"] is not None:
            print(_describe(d["status"]))
    print(f"prompts: {'held back (' + info['prompts_held'] + ')' if info['prompts_held'] else 'shown'}")
    return 0
