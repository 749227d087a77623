"""`lumbo bench session`: how long the host app takes to sync a device's history into its log, over the
emulated radio, beside the bare transfer of the same history in the same run.

The history is `lumbo bench sync`'s (days of minute summaries and events, written with the firmware's own
device log); the device is lumbo/emu/lumbo_device.py under `micropython` behind in-process air. The figure
is lumbo.link.session.Session.sync() from its first write to its return: learning the device's log,
receiving, decoding, storing in SQLite in batches (each commit flushed to disk) and acknowledging. The
reference is lumbo.bench.sync's transfer: the same notifications received and decoded, nothing stored.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from lumbo.bench import sync as sync_bench


async def host_sync(state: Path, build_dir: Path, db: Path) -> dict[str, Any]:
    from lumbo import ble
    from lumbo.emu import launch
    from lumbo.link import pairing
    from lumbo.paths import EMULATED_HARDWARE_DIR
    from lumbo.store import Store

    script = EMULATED_HARDWARE_DIR.parent / "lumbo_device.py"
    async with launch.InProcessEmulation(script, ["--state", str(state)], path=[build_dir],
                                         heapsize=sync_bench.DEVICE_HEAP) as emu:
        assert emu.firmware is not None
        await emu.firmware.wait_for("^ready", 60)
        link = ble.emulated(host=emu.host())
        store = Store(db)
        try:
            address = await pairing.pair(store, link, say=lambda _text: None)
            async with pairing.connected(store, address, link, say=lambda _text: None) as session:
                start = time.perf_counter()
                result = await session.sync()
                elapsed = time.perf_counter() - start
        finally:
            store.close()
            await link.close()
    return {"seconds": elapsed, "new": result.new, "received": result.received}


def run(days: int = 14, events_per_day: int = 300) -> dict[str, float]:
    from lumbo.build import build

    with tempfile.TemporaryDirectory(prefix="lumbo-bench-session-") as tmp:
        root = Path(tmp)
        build_dir = root / "build"
        build(build_dir, "x64")
        state = root / "state"
        state.mkdir()
        made = sync_bench.make_history(state / "log", days, events_per_day)
        pristine = root / "pristine"
        shutil.copytree(state, pristine)
        reference = asyncio.run(sync_bench.emulated_sync(state, build_dir))
        shutil.rmtree(state)
        shutil.copytree(pristine, state)  # the same log, without the first run's cursor
        host = asyncio.run(host_sync(state, build_dir, root / "log.sqlite3"))
    return {
        "days": days,
        "records": made,
        "host_sync_s": host["seconds"],
        "host_records_stored": host["new"],
        "host_records_per_s": host["received"] / host["seconds"],
        "reference_transfer_s": reference["seconds"],
        "reference_records_per_s": reference["records"] / reference["seconds"],
    }


def describe(figures: dict[str, float]) -> str:
    return "\n".join([
        f"history: {int(figures['records'])} records ({int(figures['days'])} days)",
        f"host app sync into the log: {figures['host_sync_s']:.2f} s "
        f"({figures['host_records_per_s']:.0f} records/s, {int(figures['host_records_stored'])} stored)",
        f"reference, the same transfer without storing: {figures['reference_transfer_s']:.2f} s "
        f"({figures['reference_records_per_s']:.0f} records/s)",
    ])
