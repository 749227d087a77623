import os
from pathlib import Path

import pytest

from lumbo import mpcompat

# Firmware modules import `micropython`, `machine` and MicroPython's time functions: give them the
# CPython stand-ins before any test module imports them.
mpcompat.install(emulated_hardware=True)

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
DEVICE_TESTS = TESTS / "device"
TEST_DATA = TESTS / "data"


def stubs_dir() -> Path:
    return Path(os.environ.get("LUMBO_STUBS_DIR", REPO / ".stubs" / "esp32"))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def x64_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """firmware/ and shared/ compiled for the unix port: what the MicroPython tests import."""
    from lumbo.build import build

    out = tmp_path_factory.mktemp("x64-build")
    build(out, "x64")
    return out
