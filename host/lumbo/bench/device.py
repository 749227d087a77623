"""`lumbo bench device`: cost of the firmware's hot paths under the MicroPython unix port.

Each script in device_scripts/ runs under `micropython` with the firmware compiled for x64 (the same
compiler output the tests import) on its path. A script measures its code and a reference in the same
run and prints one JSON object as its last line; this module merges them.

ESP32 estimate: MicroPython on an ESP32 at 240 MHz runs about 100x slower than on a modern x86 core.
The figure comes from MicroPython's own performance suite (tests/perf_bench), whose per-board results
put the ESP32 (Xtensa LX6/LX7, 240 MHz, code in external flash) about two orders of magnitude behind a
desktop x86-64 core; ESP32_SLOWDOWN carries that factor so every estimate uses the same one.
"""

import json
import tempfile
from pathlib import Path

from lumbo import mpy
from lumbo.build import build
from lumbo.paths import EMULATED_HARDWARE_DIR

SCRIPTS_DIR = Path(__file__).resolve().parent / "device_scripts"
ESP32_SLOWDOWN = 100.0


class BenchError(RuntimeError):
    pass


def scripts() -> list[Path]:
    return sorted(p for p in SCRIPTS_DIR.glob("*.py") if not p.name.startswith("_"))


def run_script(script: Path, build_dir: Path) -> dict[str, float]:
    result = mpy.run([str(script)], path=[build_dir, EMULATED_HARDWARE_DIR, SCRIPTS_DIR], timeout_s=600)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise BenchError(f"benchmark {script.name} failed under MicroPython:\n{result.stdout}{result.stderr}")
    return json.loads(lines[-1])


def run_all(selected: list[str] | None = None) -> dict[str, float]:
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="lumbo-bench-") as tmp:
        build_dir = Path(tmp)
        build(build_dir, "x64")
        for script in scripts():
            if selected and script.stem not in selected:
                continue
            figures.update(run_script(script, build_dir))
    figures["esp32_slowdown_factor"] = ESP32_SLOWDOWN
    return figures
