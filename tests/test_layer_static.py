"""Layers 3 and 4: every device file compiles for the ESP32; firmware/ and shared/ type-check against
MicroPython's ESP32 stubs; ruff passes over the whole tree."""

import subprocess
import sys

import pytest

from conftest import REPO, stubs_dir
from lumbo.build import build


def test_every_device_file_compiles_for_the_esp32(tmp_path):
    written = build(tmp_path, "xtensawin")
    assert any(name.endswith(".mpy") for name in written)


def run_mypy(*targets):
    stubs = stubs_dir()
    if not (stubs / "stdlib").is_dir():
        pytest.fail(f"MicroPython stubs missing at {stubs}: run the tests with `python3 dev.py test`")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
         "--custom-typeshed-dir", str(stubs), "--cache-dir", str(REPO / ".mypy_cache" / "esp32"),
         *map(str, targets)],
        capture_output=True, text=True, cwd=REPO, env={"MYPYPATH": str(stubs), "PATH": ""},
    )


def test_device_code_type_checks_against_the_esp32_stubs():
    targets = [REPO / "firmware", REPO / "shared"]
    result = run_mypy(*targets)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(REPO)],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
