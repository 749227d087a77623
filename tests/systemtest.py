"""What the system tests share: running the demo in steps, and comparing the host's log with the device's.

The device's log is read from its flash (the emulated board's data folder) with the firmware's own
lumbo_fw.devlog under CPython, and compared record by record with what the host stored in SQLite.
"""

import asyncio
import logging
import struct
from pathlib import Path

from lumbo import mpcompat
from lumbo.demo.run import Demo, Options
from lumbo.store import open_store

mpcompat.install(emulated_hardware=True)
# bumble warns about each notification that arrives before the host has subscribed (the device sends its
# status at once on every new link): expected, and thousands of lines in a test's log.
logging.getLogger("bumble").setLevel(logging.ERROR)

from lumbo_fw.devlog import DevLog  # noqa: E402
from lumbo_shared import protocol  # noqa: E402

# The tests run the device's day as fast as the computer allows, up to this (device seconds per second).
TEST_SPEED = 200


def options(tmp_path: Path, firmware_dir: Path, **changes) -> Options:  # type: ignore[no-untyped-def]
    base = {"hours": 1.0, "speed": TEST_SPEED, "seed": 3, "state_dir": tmp_path, "firmware_dir": firmware_dir,
            "headless": True, "html": None}
    base.update(changes)
    return Options(**base)


def run(coro, timeout_s: float):  # type: ignore[no-untyped-def]
    async def bounded():  # type: ignore[no-untyped-def]
        return await asyncio.wait_for(coro, timeout_s)

    return asyncio.run(bounded())


def device_records(log_dir: Path) -> dict[int, tuple]:
    """{seq: ("event", t_s, kind, a, b) or ("minute", t_s, tilt mean, min, max, transitions, seconds per
    state...)} from the device's flash."""
    log = DevLog(str(log_dir))
    out: dict[int, tuple] = {}
    for seq in range(log.oldest_seq, log.next_seq):
        item = log.read(seq)
        if item is None:
            continue
        if item[0] == protocol.ITEM_EVENT:
            _seq, t_s, kind, a, b = struct.unpack_from("<IIBii", item, 2)
            out[seq] = ("event", t_s, kind, a, b)
        else:
            fields = struct.unpack_from("<IIhhhB6B", item, 2)
            out[seq] = ("minute", *fields[1:])
    return out


def stored_records(db: Path) -> tuple[dict[int, tuple], int]:
    """The same from the host's database, and how many rows it holds in all (a duplicate would show)."""
    store = open_store(db)
    try:
        out: dict[int, tuple] = {}
        rows = 0
        for e in store.events(0, 2**32):
            out[e.seq] = ("event", e.t_s, e.kind, e.a, e.b)
            rows += 1
        for m in store.minutes(0, 2**32):
            out[m.seq] = ("minute", m.t_s, m.tilt_mean_cdeg, m.tilt_min_cdeg, m.tilt_max_cdeg, m.transitions,
                          *m.seconds_per_state)
            rows += 1
        return out, rows
    finally:
        store.close()


def assert_host_holds_the_device_log(demo: Demo, up_to: int | None = None) -> int:
    """Every record the device logged (up to `up_to`) is in the host's database once, unchanged."""
    assert demo.device is not None
    device = device_records(Path(demo.device.log_dir))
    stored, rows = stored_records(demo.state_dir / "lumbo.sqlite3")
    last = max(device) if up_to is None else up_to
    wanted = {seq: r for seq, r in device.items() if seq <= last}
    assert wanted, "the device logged nothing"
    missing = sorted(set(wanted) - set(stored))
    assert not missing, f"records the host never stored: {missing[:20]} ({len(missing)} in all)"
    changed = [seq for seq in wanted if stored[seq] != wanted[seq]]
    assert not changed, f"records stored differently: {[(s, wanted[s], stored[s]) for s in changed[:5]]}"
    assert rows == len(stored), f"{rows} rows for {len(stored)} sequence numbers: a record is stored twice"
    extra = sorted(set(stored) - set(device))
    assert not extra, f"records in the database the device never logged: {extra[:20]}"
    return len(wanted)
