"""`lumbo bench device` for the tilt filter: the figures it must print, and its ESP32 factor."""

import json
import re

import pytest

from conftest import REPO
from lumbo.bench import device
from lumbo.cli import main

SCRIPT = REPO / "host" / "lumbo" / "bench" / "device_scripts" / "tilt.py"


def test_the_bench_uses_the_documented_esp32_factor():
    # the script runs under MicroPython and cannot import lumbo.bench.device: it carries the same number
    found = re.search(r"^ESP32_SLOWDOWN = ([0-9.]+)$", SCRIPT.read_text(), re.M)
    assert found, "tilt.py must define ESP32_SLOWDOWN"
    assert float(found.group(1)) == device.ESP32_SLOWDOWN


@pytest.mark.slow
def test_bench_device_reports_the_tilt_filter_beside_its_reference(capsys):
    assert main(["bench", "device", "--json", "--only", "tilt"]) == 0
    figures = json.loads(capsys.readouterr().out)
    for key in ("tilt_us_per_sample", "tilt_bytes_per_sample", "reference_us_per_sample", "esp32_us_per_sample_est"):
        assert key in figures, key
    assert figures["tilt_bytes_per_sample"] == 0
    assert figures["tilt_bytes_per_burst"] == 0
    assert figures["reference_bytes_per_sample"] > 0  # the reference measured its floats: the method sees heap
    assert figures["esp32_us_per_sample_est"] == pytest.approx(figures["tilt_us_per_sample"] * device.ESP32_SLOWDOWN,
                                                               rel=0.01)
