"""How fast the emulated radio is, end to end: the firmware under `micropython` behind the bridge, and a
bleak central on the bumble backend, over the radio process (as the demo runs) and over the in-process air
(as the fast tests run). The reference, measured in the same run, is a plain bumble peripheral with the
same service on the in-process air: what the stack and the air cost without the firmware's interpreter and
the bridge hop.

    python -m lumbo.bench.radio [--reads N] [--burst N]

Figures (milliseconds unless named otherwise), each the median of its repeats:

    connect_ms     BleakClient.connect(): link, MTU exchange, service discovery (advertising every 20 ms)
    read_ms        one read that goes through the firmware's read-request IRQ
    echo_ms        write without response -> the firmware notifies it back -> callback: a round trip
    notify_per_s   notifications per second in a burst of N sent by the firmware in one IRQ
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bleak import BleakClient, BleakScanner
from bumble import att, gatt, hci
from bumble.device import Device, DeviceConfiguration

from lumbo import ble
from lumbo.emu import launch
from lumbo.paths import EMULATED_HARDWARE_DIR

SERVICE = "6c756d62-6f00-4000-8000-000000000001"
OPEN = "6c756d62-6f00-4000-8000-000000000002"
ECHO = "6c756d62-6f00-4000-8000-000000000004"
ADVERTISING_INTERVAL_MS = 20
CONNECTS = 10


def _peripheral_script() -> str:
    """The test peripheral (tests/device/radio_peripheral.py) is the benchmark's firmware."""
    from pathlib import Path

    script = Path(EMULATED_HARDWARE_DIR).parents[3] / "tests" / "device" / "radio_peripheral.py"
    if not script.exists():
        raise SystemExit(f"the benchmark needs {script} (run it from a lumbo source tree)")
    return str(script)


async def _timed(action: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await action()
    return (time.perf_counter() - start) * 1000


async def measure(link: ble.Link, reads: int, burst: int) -> dict[str, float]:
    device = await BleakScanner.find_device_by_filter(
        lambda _d, adv: SERVICE in adv.service_uuids, timeout=10, backend=link.scanner)
    if device is None:
        raise SystemExit("the peripheral was not found")
    connect_ms = []
    for _ in range(CONNECTS):
        client = BleakClient(device, backend=link.client)
        connect_ms.append(await _timed(client.connect))
        await client.disconnect()
        await asyncio.sleep(0.05)  # let the peripheral advertise again
    async with BleakClient(device, backend=link.client) as client:
        read_ms = [await _timed(lambda: client.read_gatt_char(OPEN)) for _ in range(reads)]
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        await client.start_notify(OPEN, lambda _c, data: queue.put_nowait((time.perf_counter(), bytes(data))))
        echo_ms = []
        for i in range(reads):
            start = time.perf_counter()
            await client.write_gatt_char(ECHO, b"e%d" % i, response=False)
            arrived, _ = await asyncio.wait_for(queue.get(), 5)
            echo_ms.append((arrived - start) * 1000)
        await client.write_gatt_char(ECHO, b"burst:%d" % burst, response=True)
        times = [(await asyncio.wait_for(queue.get(), 10))[0] for _ in range(burst)]
    await asyncio.sleep(0.1)  # the peripheral advertises again before the next setup tears it down
    return {
        "connect_ms": statistics.median(connect_ms),
        "read_ms": statistics.median(read_ms),
        "echo_ms": statistics.median(echo_ms),
        "notify_per_s": (burst - 1) / (times[-1] - times[0]),
    }


async def _reference_peripheral(host: Any) -> Device:
    """The same service as the test firmware, served by bumble alone."""
    device = Device(config=DeviceConfiguration(name="lumbo-ref", address=hci.Address("C7:00:00:00:00:01")),
                    host=host)
    reads = 0

    def read_open(_connection: Any) -> bytes:
        nonlocal reads
        reads += 1
        return b"count:%d" % reads

    open_char = gatt.Characteristic(
        OPEN, gatt.Characteristic.Properties.READ | gatt.Characteristic.Properties.NOTIFY,
        att.Attribute.READABLE, att.AttributeValue(read=read_open))

    async def echo(connection: Any, value: bytes) -> None:
        if value.startswith(b"burst:"):
            for i in range(int(value[6:])):
                await device.notify_subscriber(connection, open_char, b"%d:%d" % (i, time.perf_counter_ns()))
        else:
            await device.notify_subscriber(connection, open_char, value)

    echo_char = gatt.Characteristic(
        ECHO, gatt.Characteristic.Properties.WRITE | gatt.Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
        att.Attribute.WRITEABLE, att.AttributeValue(write=echo))
    device.add_service(gatt.Service(SERVICE, [open_char, echo_char]))
    await device.power_on()

    def on_connection(connection: Any) -> None:
        connection.on(connection.EVENT_DISCONNECTION, lambda _reason: asyncio.ensure_future(advertise()))

    async def advertise() -> None:
        adv = bytes((2, 1, 6, 17, 7)) + bytes(reversed(bytes.fromhex(SERVICE.replace("-", ""))))
        await device.start_advertising(advertising_data=adv, advertising_interval_min=ADVERTISING_INTERVAL_MS,
                                       advertising_interval_max=ADVERTISING_INTERVAL_MS)

    device.on(device.EVENT_CONNECTION, on_connection)
    await advertise()
    return device


async def run(reads: int, burst: int) -> dict[str, dict[str, float]]:
    script = _peripheral_script()
    results: dict[str, dict[str, float]] = {}
    async with launch.Emulation(script) as emu:
        assert emu.firmware is not None and emu.radio is not None
        await emu.firmware.wait_for("^ready")
        link = ble.emulated(transport=emu.radio.transport)
        try:
            results["radio_process"] = await measure(link, reads, burst)
        finally:
            await link.close()
    async with launch.InProcessEmulation(script) as in_process:
        assert in_process.firmware is not None
        await in_process.firmware.wait_for("^ready")
        link = ble.emulated(host=in_process.host())
        try:
            results["in_process"] = await measure(link, reads, burst)
        finally:
            await link.close()
    air = launch.InProcessEmulation()
    await air.start()
    try:
        assert air.air is not None
        await _reference_peripheral(air.air.attach())
        link = ble.emulated(host=air.host())
        try:
            results["reference_bumble_only"] = await measure(link, reads, burst)
        finally:
            await link.close()
    finally:
        await air.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lumbo.bench.radio", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=200, help="reads and echoes to time (median)")
    parser.add_argument("--burst", type=int, default=500, help="notifications in the throughput burst")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.reads, args.burst))
    names = list(next(iter(results.values())))
    print(f"{'':24}" + "".join(f"{name:>14}" for name in names))
    for setup, figures in results.items():
        print(f"{setup:24}" + "".join(f"{figures[name]:>14.3f}" for name in names))
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
