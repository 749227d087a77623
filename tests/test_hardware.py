"""hardware/: the wiring and schematics agree with the firmware's pin map; the bills of materials are whole."""

import csv
import importlib
import re
import sys

import pytest

from conftest import REPO
from lumbo_fw import board

HARDWARE = REPO / "hardware"
sys.path.insert(0, str(HARDWARE))
wiring = importlib.import_module("wiring")


def test_generated_files_match_what_board_py_gives():
    for name, text in wiring.outputs().items():
        path = HARDWARE / name
        assert path.exists(), f"hardware/{name} is missing: run `python hardware/wiring.py`"
        assert path.read_text() == text, f"hardware/{name} is out of date: run `python hardware/wiring.py`"


def table_rows(markdown, build):
    """The pin-table rows of one build's section, read back from wiring.md as a person reads it."""
    section = markdown.split(f"## {build}:", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] in board.FIELDS:
            rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize("build", sorted(board.BOARDS))
def test_wiring_table_gives_the_gpio_board_py_gives(build):
    rows = table_rows((HARDWARE / "wiring.md").read_text(), build)
    pins = board.board(build)
    pin_fields = [f for f in board.FIELDS if f.endswith("_pin")]
    assert sorted(rows) == sorted(pin_fields)
    for field in pin_fields:
        expected = "-" if pins[field] == board.NOT_FITTED else f"GPIO{pins[field]}"
        assert rows[field][2] == expected, (build, field)


@pytest.mark.parametrize("build", sorted(board.BOARDS))
def test_schematic_labels_every_wired_pad(build):
    svg = (HARDWARE / f"schematic-{build}.svg").read_text()
    assert svg.lstrip().startswith("<svg")
    for field, _, gpio, pad, _, _ in wiring.wiring(build)[0]:
        if gpio != "-":
            assert pad in svg, (build, field, pad)


def with_pin(monkeypatch, build, field, gpio):
    row = list(board.BOARDS[build])
    row[board.FIELDS.index(field)] = gpio
    monkeypatch.setitem(board.BOARDS, build, tuple(row))


def test_a_gpio_the_board_does_not_break_out_stops_the_drawing(monkeypatch):
    # GPIO10 is inside the XIAO's module but not on any of its pads (D0-D10 are GPIO1-9, 43, 44).
    with_pin(monkeypatch, "xiao-esp32s3", "sda_pin", 10)
    with pytest.raises(wiring.WiringError, match="does not break out"):
        wiring.wiring("xiao-esp32s3")


def test_an_input_only_pin_cannot_drive_the_motor(monkeypatch):
    with_pin(monkeypatch, "esp32-devkit", "haptic_pin", 35)  # GPIO34-39 have no output driver on the ESP32
    with pytest.raises(wiring.WiringError, match="input-only"):
        wiring.wiring("esp32-devkit")


def test_the_battery_must_be_read_on_adc1(monkeypatch):
    with_pin(monkeypatch, "esp32-devkit", "battery_adc_pin", 25)  # GPIO25 is ADC2, unusable with the radio on
    with pytest.raises(wiring.WiringError, match="ADC1"):
        wiring.wiring("esp32-devkit")


def test_an_interrupt_pin_that_cannot_wake_from_deep_sleep_is_called_out(monkeypatch):
    with_pin(monkeypatch, "esp32-devkit", "imu_int_pin", 18)  # not among the ESP32's RTC GPIOs
    _, notes = wiring.wiring("esp32-devkit")
    assert any("GPIO18" in n and "deep sleep" in n for n in notes)
    with_pin(monkeypatch, "esp32-devkit", "imu_int_pin", 27)  # RTC_GPIO17
    _rows, notes = wiring.wiring("esp32-devkit")
    assert not notes


def test_a_not_fitted_part_shows_as_not_fitted(monkeypatch):
    with_pin(monkeypatch, "xiao-esp32s3", "haptic_pin", board.NOT_FITTED)
    rows, _ = wiring.wiring("xiao-esp32s3")
    haptic = next(r for r in rows if r[0] == "haptic_pin")
    assert haptic[2] == "-" and "not fitted" in haptic[4]


@pytest.mark.parametrize("build", sorted(board.BOARDS))
def test_bill_of_materials_is_whole(build):
    with open(HARDWARE / f"bom-{build}.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    refs = [r["ref"] for r in rows]
    assert len(refs) == len(set(refs)), "a reference designator is used twice"
    for row in rows:
        assert int(row["qty"]) >= 1 and float(row["price_usd"]) > 0, row
        assert row["fitted"] in ("required", "optional"), row
        if row["manufacturer"] not in ("", "generic"):
            assert row["part_number"], f"{row['ref']} names a maker but no part number"
    # Every reference the schematic draws is something one can buy.
    svg = (HARDWARE / f"schematic-{build}.svg").read_text()
    for ref in set(re.findall(r">(R\d|Q\d|M\d|D\d|SW\d)<", svg)):
        assert ref in refs, f"the schematic draws {ref} but the bill of materials has no {ref}"
    # The required parts include a board, an IMU and a cell.
    required = " ".join(r["part"] for r in rows if r["fitted"] == "required")
    assert "ESP32" in required and "LiPo" in required and ("IMU" in required or "MPU-6050" in required)


def test_bom_markdown_totals_add_up():
    text = (HARDWARE / "bom.md").read_text()
    for build in sorted(board.BOARDS):
        with open(HARDWARE / f"bom-{build}.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        required = sum(int(r["qty"]) * float(r["price_usd"]) for r in rows if r["fitted"] == "required")
        section = text.split(f"## {build}", 1)[1].split("\n## ", 1)[0]
        assert f"About {required:.0f} USD for the required parts" in section
