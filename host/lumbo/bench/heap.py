"""`lumbo bench heap`: the firmware's heap, whole, under the MicroPython unix port with Bluetooth on.

The demo's device (firmware/main.py with the emulated IMU and radio) runs a simulated hour with a host
connected, under `-X heapsize`; once a device minute the firmware collects garbage and prints what is still
in use, and the peak of those is the figure. Beside it, from separate interpreters in the same run: what the
emulated parts alone take (the bluetooth module and the IMU chip model are Python in the firmware's heap
here; on the board the radio's stack is C outside the heap and the IMU is a chip), and what importing the
firmware alone takes. The firmware's own peak is the first less the second.

On the board the objects are about half the size (32-bit pointers; bytecode the same), so compare with the
board's ~100 KB free with Bluetooth on by halving the unix port's figure for objects, not for bytecode.
"""

import asyncio
import json
import tempfile
from pathlib import Path

from lumbo import mpy
from lumbo.demo.device import build_dir
from lumbo.demo.run import Demo, Options

# The emulated board's modules (emulated_parts.py itself only wires, and imports the firmware).
EMULATION_MODULES = ("machine", "bluetooth", "chips", "chips.st_dsox", "chips.frames", "chips.sleep", "pacedclock")
_IMPORT_COST = """
import gc
gc.collect()
before = gc.mem_alloc()
for name in %r:
    __import__(name)
    gc.collect()
print(gc.mem_alloc() - before)
"""


def import_cost(build: Path, modules: tuple[str, ...]) -> int:
    """Heap bytes that importing modules (from the compiled build) leaves in use, in a fresh interpreter."""
    result = mpy.run(["-c", _IMPORT_COST % (modules,)], path=[build], heapsize="1m", timeout_s=60)
    if result.returncode != 0:
        raise RuntimeError(f"micropython could not import {modules}: {result.stdout}{result.stderr}")
    return int(result.stdout.strip().splitlines()[-1])


async def _peak(build: Path, heapsize: str, hours: float) -> int:
    with tempfile.TemporaryDirectory(prefix="lumbo-bench-heap-") as tmp:
        demo = Demo(Options(hours=hours, speed=200, seed=3, radio="always", state_dir=Path(tmp), firmware_dir=build,
                            heapsize=heapsize), say=lambda _m: None)
        try:
            from lumbo.bench.e2e import TimedNotifier

            await demo.start(TimedNotifier())
            assert demo.day is not None and demo.device is not None
            await demo.run_until(demo.day.duration_s)
            return demo.device.heap_max_used
        finally:
            await demo.close()
            demo.cleanup()


def run(heapsize: str = "352k", hours: float = 1.0) -> dict[str, int]:
    import logging

    logging.getLogger("bumble").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="lumbo-heap-build-") as tmp:
        build = build_dir(Path(tmp) / "build")
        peak = asyncio.run(_peak(build, heapsize, hours))
        emulation = import_cost(build, EMULATION_MODULES)
        firmware_import = import_cost(build, ("lumbo_fw.app",))
    return {
        "heapsize_kb": int(heapsize.rstrip("kK")),
        "peak_in_use_bytes": peak,
        "emulation_import_bytes": emulation,
        "firmware_peak_bytes": peak - emulation,
        "firmware_import_bytes": firmware_import,
        "reference_board_heap_x64_bytes": int(mpy.DEVICE_HEAP.rstrip("k")) * 1024,
    }


def describe(figures: dict[str, int]) -> str:
    kb = 1024
    return "\n".join([
        f"heap in use at its peak, after a collection, running under -X heapsize={figures['heapsize_kb']}k "
        f"with a host connected: {figures['peak_in_use_bytes'] / kb:.0f} KB",
        f"  of which the emulated radio and IMU (Python here, not on the board): "
        f"{figures['emulation_import_bytes'] / kb:.0f} KB",
        f"  the firmware's own: {figures['firmware_peak_bytes'] / kb:.0f} KB, "
        f"{figures['firmware_import_bytes'] / kb:.0f} KB of it its code and tables once imported",
        f"reference: the board-sized heap the device tests use on this port, "
        f"{figures['reference_board_heap_x64_bytes'] / kb:.0f} KB",
    ])


def main() -> None:
    figures = run()
    print(describe(figures))
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
