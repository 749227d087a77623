"""`lumbo bench sync`: how long a host takes to sync a device's history, over the emulated radio, beside an
estimate for a real BLE link.

The history is made here with the firmware's own device log (under CPython; the files are the ones the
board writes): `days` of minute summaries and `events_per_day` events. The device is
lumbo/emu/lumbo_device.py under `micropython` (the firmware compiled for the unix port) behind the
emulated radio, in-process air and bridge; the host is bleak on the bumble backend. The figure is the time
from the sync_start write to the sync_end item.

Reference, measured in the same run: the same history read from the same files into the same payloads
under CPython, without radio or MicroPython: what reading the log costs.

Real-link estimate. The emulated air has no air time, so the estimate adds it from the notifications the
sync actually sent: each notification of L bytes is an ATT PDU of L + 3 bytes in an L2CAP frame of
L + 7 bytes, cut into link-layer packets of at most 251 bytes (with LE Data Length Extension) or 27 (without).
On the LE 1M PHY a packet with p payload bytes on an encrypted link takes (1 preamble + 4 access address
+ 2 header + p + 4 MIC + 3 CRC) x 8 us, then 150 us between packets, the central's empty packet (10 bytes:
80 us) and 150 us again. Packets go into connection events back to back until the next one would run past
the connection interval. That is the air-time bound: real controllers often send fewer packets per event,
so a real sync takes at least this long.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from lumbo import mpcompat

US_PER_BYTE_1M = 8
T_IFS_US = 150
EMPTY_PDU_US = 10 * US_PER_BYTE_1M
PACKET_OVERHEAD_BYTES = 1 + 4 + 2 + 4 + 3  # preamble, access address, header, MIC, CRC
L2CAP_ATT_OVERHEAD = 3 + 4  # ATT opcode and handle, L2CAP length and channel
LL_MAX_DLE = 251
LL_MAX_LEGACY = 27
INTERVALS_MS = (7.5, 15.0, 30.0)
SYNC_HOST_ID = 0xBE7C0001
# The device script holds the protocol, device log and BLE service beside the emulated bluetooth module;
# the emulation's default heap (128 KB) leaves it nothing to spare (see tests/test_ble_e2e.py).
DEVICE_HEAP = "144k"


def packet_air_us(payload_bytes: int) -> int:
    """Air time of one link-layer data packet with its acknowledgement, LE 1M PHY, encrypted link."""
    return (PACKET_OVERHEAD_BYTES + payload_bytes) * US_PER_BYTE_1M + T_IFS_US + EMPTY_PDU_US + T_IFS_US


def estimate_link_s(notification_lengths: list[int], interval_ms: float, dle: bool = True) -> float:
    """Seconds to send these notifications at one connection interval (the air-time bound)."""
    ll_max = LL_MAX_DLE if dle else LL_MAX_LEGACY
    interval_us = interval_ms * 1000
    events = 0
    used_us = interval_us  # start "full", so the first packet opens the first event
    for length in notification_lengths:
        left = length + L2CAP_ATT_OVERHEAD
        while left > 0:
            air = packet_air_us(min(left, ll_max))
            if used_us + air > interval_us:
                events += 1
                used_us = 0
            used_us += air
            left -= ll_max
    return events * interval_us / 1e6


def make_history(log_dir: Path, days: int, events_per_day: int) -> int:
    """Write a device log of `days` of minute summaries and events; returns the number of records."""
    mpcompat.install(emulated_hardware=True)
    from lumbo_fw.devlog import DevLog
    from lumbo_shared import vocab

    log = DevLog(str(log_dir))
    t_s = 1700000000
    minutes = days * 24 * 60
    events = days * events_per_day
    for i in range(minutes):
        log.minute(t_s + 60 * i, (0, 38, 14, 6, 0, 2), -1400, -2300, -300, 3)
        if (i * events) // minutes != ((i + 1) * events) // minutes:  # `events` of them, evenly spread
            log.event(t_s + 60 * i + 30, vocab.EVENT_SIT_TO_STAND, 0, 0)
    return log.next_seq - 1


def reference_read_s(log_dir: Path, payload: int) -> tuple[float, int]:
    """Seconds to read the whole log into payload-sized notifications under CPython; and their count."""
    mpcompat.install(emulated_hardware=True)
    from lumbo_fw.devlog import DevLog

    log = DevLog(str(log_dir))
    reader = log.reader(1)
    buf = bytearray(payload)
    count = 0
    start = time.perf_counter()
    while not reader.done:
        reader.fill(buf, 1, payload)
        count += 1
    return time.perf_counter() - start, count


async def emulated_sync(state: Path, build_dir: Path) -> dict[str, float]:
    """Sync the device at `state` over the emulated radio; the time and what was sent."""
    from bleak import BleakClient, BleakScanner

    from lumbo import ble
    from lumbo.emu import launch
    from lumbo.paths import EMULATED_HARDWARE_DIR
    from lumbo_shared import codec, protocol

    script = EMULATED_HARDWARE_DIR.parent / "lumbo_device.py"
    args = ["--state", str(state)]
    async with launch.InProcessEmulation(script, args, path=[build_dir], heapsize=DEVICE_HEAP) as emu:
        assert emu.firmware is not None
        await emu.firmware.wait_for("^ready", 60)
        link = ble.emulated(host=emu.host())
        try:
            device = await BleakScanner.find_device_by_filter(
                lambda _d, adv: protocol.SERVICE_UUID in adv.service_uuids, timeout=10, backend=link.scanner)
            if device is None:
                raise RuntimeError("the emulated device was not found advertising")
            async with BleakClient(device, backend=link.client, pair=True) as client:
                queue: asyncio.Queue[bytes] = asyncio.Queue()
                await client.start_notify(protocol.HISTORY_UUID, lambda _c, data: queue.put_nowait(bytes(data)))
                lengths: list[int] = []
                records = 0
                start = time.perf_counter()
                await client.write_gatt_char(protocol.HISTORY_UUID, codec.encode([
                    ("sync_start", {"host_id": SYNC_HOST_ID, "from_seq": 1})]), response=True)
                while True:
                    payload = await asyncio.wait_for(queue.get(), 30)
                    lengths.append(len(payload))
                    items = codec.decode(payload).items
                    records += sum(1 for item in items if item.name in ("minute", "event"))
                    if items and items[-1].name == "sync_end":
                        break
                elapsed = time.perf_counter() - start
                mtu = client.mtu_size
        finally:
            await link.close()
    return {"seconds": elapsed, "records": records, "lengths": lengths, "mtu": mtu}  # type: ignore[dict-item]


def run(days: int = 14, events_per_day: int = 300) -> dict[str, float]:
    """Make the history, sync it over the emulated radio, read it as the reference, estimate real links."""
    from lumbo.build import build

    with tempfile.TemporaryDirectory(prefix="lumbo-bench-sync-") as tmp:
        root = Path(tmp)
        build_dir = root / "build"
        build(build_dir, "x64")
        state = root / "state"
        state.mkdir()
        made = make_history(state / "log", days, events_per_day)
        sync = asyncio.run(emulated_sync(state, build_dir))
        payload = int(sync["mtu"]) - 3
        reference_s, reference_notifications = reference_read_s(state / "log", payload)
    lengths: list[int] = sync["lengths"]  # type: ignore[assignment]
    figures: dict[str, float] = {
        "days": days,
        "records": made,
        "records_received": sync["records"],
        "notifications": len(lengths),
        "bytes": sum(lengths),
        "mtu": sync["mtu"],
        "emulated_sync_s": sync["seconds"],
        "reference_log_read_s": reference_s,
        "reference_notifications": reference_notifications,
    }
    for interval in INTERVALS_MS:
        figures[f"real_link_s_dle_{interval:g}ms"] = estimate_link_s(lengths, interval, dle=True)
        figures[f"real_link_s_no_dle_{interval:g}ms"] = estimate_link_s(lengths, interval, dle=False)
    return figures


def describe(figures: dict[str, float]) -> str:
    lines = [
        f"history: {int(figures['records'])} records ({int(figures['days'])} days of minute summaries and "
        f"events), {int(figures['bytes'])} bytes in {int(figures['notifications'])} notifications "
        f"(MTU {int(figures['mtu'])})",
        f"emulated radio, firmware under micropython: {figures['emulated_sync_s']:.2f} s "
        f"({figures['records_received'] / figures['emulated_sync_s']:.0f} records/s)",
        f"reference, the same log read into the same payloads under CPython: "
        f"{figures['reference_log_read_s']:.2f} s",
        "real link estimate (air time bound, LE 1M PHY, encrypted):",
    ]
    for interval in INTERVALS_MS:
        lines.append(f"  connection interval {interval:g} ms: "
                     f"{figures[f'real_link_s_dle_{interval:g}ms']:.1f} s with data length extension, "
                     f"{figures[f'real_link_s_no_dle_{interval:g}ms']:.1f} s without")
    return "\n".join(lines)

