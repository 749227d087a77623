"""Layer 2: the device-side tests under the real MicroPython unix port, importing the compiled firmware."""

import re

import pytest

from conftest import DEVICE_TESTS
from lumbo import mpy
from lumbo.paths import EMULATED_HARDWARE_DIR

DEVICE_MODULES = sorted(p.stem for p in DEVICE_TESTS.glob("test_*.py"))
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)
# The GATT service's tests carry a model of the BLE stack (fakeble) and the host's decoder in the
# firmware's heap, where the board's stack is C outside it: they get the board's heap plus that much, as
# the emulated radio gives its firmware (lumbo.emu.launch.EMULATED_DEVICE_HEAP).
BLE_STACK_MODEL_HEAP = "128k"


# The application's tests import the whole processing chain (IMU stages, tilt filter, features, posture,
# routines, bouts, minute summary: about 80 KB on this 64-bit port) beside their own scaffolding, compiled
# from source in the same heap. docs/firmware-app.md has what the firmware as a whole takes.
APP_HEAP = "192k"


def heap_for(module):
    if module.startswith("test_ble_"):
        return BLE_STACK_MODEL_HEAP
    return APP_HEAP if module.startswith("test_app_") else mpy.DEVICE_HEAP


def run_under_micropython(build_dir, modules, extra_path=()):
    heaps = {heap_for(module) for module in modules}
    assert len(heaps) == 1, "run modules with different heaps separately"
    return mpy.run(
        [str(DEVICE_TESTS / "mprun.py"), *modules],
        path=[*extra_path, build_dir, EMULATED_HARDWARE_DIR, DEVICE_TESTS],
        heapsize=heaps.pop(),
        timeout_s=300,
    )


@pytest.mark.parametrize("module", DEVICE_MODULES)
def test_device_module_passes_under_micropython(x64_build, module):
    result = run_under_micropython(x64_build, [module])
    summary = SUMMARY.search(result.stdout)
    assert summary, f"the MicroPython runner printed no summary:\n{result.stdout}\n{result.stderr}"
    passed, failed = int(summary.group(1)), int(summary.group(2))
    assert failed == 0 and passed > 0 and result.returncode == 0, result.stdout + result.stderr


def test_the_tests_import_compiled_firmware_not_its_source(x64_build):
    compiled = list(x64_build.rglob("*.mpy"))
    assert compiled and not list(x64_build.rglob("lumbo_fw/*.py"))
    probe = mpy.run(["-c", "import lumbo_fw.burst as m; print(m.__file__)"],
                    path=[x64_build, EMULATED_HARDWARE_DIR])
    assert probe.returncode == 0, probe.stdout
    assert probe.stdout.strip().endswith("lumbo_fw/burst.mpy"), probe.stdout
