"""`lumbo power-budget`: the model's arithmetic, where it reads the firmware's settings, and the command."""

import json

import pytest

from lumbo import power
from lumbo.cli import main
from lumbo_shared import settings

BASE = {"imu_rate_hz": 50, "sit_limit_s": 1800, "not_worn_after_s": 600, "fifo_watermark_samples": 25,
        "ble_sync_period_s": 900, "ble_sync_window_s": 10, "ble_conn_interval_ms": 30, "ble_notify_per_min": 2}
KW = {"cpu_ms_per_wake": 5.0, "i2c_freq_hz": 400_000}


def test_settings_come_from_the_shared_table_and_absent_constants_are_marked_assumed():
    found = power.firmware_inputs()
    assert found["imu_rate_hz"]["value"] == settings.defaults()["imu_rate_hz"]
    assert "settings.py" in found["imu_rate_hz"]["source"]
    for name in ("fifo_watermark_samples", "ble_sync_period_s"):
        if found[name]["source"].startswith("assumed"):
            assert found[name]["value"] == power.INPUTS[name][1]


def test_constants_are_read_from_the_firmware_source(tmp_path):
    fw = tmp_path / "firmware" / "lumbo_fw"
    fw.mkdir(parents=True)
    (fw / "imu.py").write_text("from micropython import const\n_FIFO_WATERMARK_SAMPLES = const(32)\n"
                               "def f():\n    BLE_SYNC_PERIOD_S = 5\n")
    (fw / "radio.py").write_text("BLE_CONN_INTERVAL_MS = 250\n")
    found = power.firmware_inputs((tmp_path / "firmware",))
    assert found["fifo_watermark_samples"] == {"value": 32, "source": "firmware/lumbo_fw/imu.py"}
    assert found["ble_conn_interval_ms"]["value"] == 250
    # A name assigned inside a function is not a module setting.
    assert found["ble_sync_period_s"]["source"].startswith("assumed")


def test_two_different_definitions_of_one_constant_are_an_error(tmp_path):
    fw = tmp_path / "firmware"
    fw.mkdir()
    (fw / "a.py").write_text("FIFO_WATERMARK_SAMPLES = 16\n")
    (fw / "b.py").write_text("FIFO_WATERMARK_SAMPLES = 32\n")
    with pytest.raises(power.PowerError, match="different values"):
        power.firmware_inputs((fw,))


def test_cpu_time_per_wake_from_bench_figures():
    bench = {"filter_us_per_sample": 10.0, "driver_us_per_burst": 100.0, "posture_us_per_s": 1000.0,
             "esp32_slowdown_factor": 100.0, "filter_heap_bytes": 0}
    # 25 samples a burst at 2 bursts a second: 25 x 10 + 100 + 1000 / 2 = 850 us.
    assert power.cpu_us_per_wake_x64(bench, 25, 2.0) == pytest.approx(850.0)
    with pytest.raises(power.PowerError, match="_us_per_sample"):
        power.cpu_us_per_wake_x64({"esp32_slowdown_factor": 100.0}, 25, 2.0)


def test_a_device_never_worn_lives_on_its_sleep_current():
    result = power.budget("xiao-esp32s3", dict(BASE), worn_h=0, takeoffs_per_day=0, **KW)
    sleep_ma = power.XIAO_S3_DEEP_SLEEP_MA + power.LSM6DSOX_WAKE_ON_MOTION_MA + 4.2 / 440.0
    assert result["avg_current_ma"] == pytest.approx(sleep_ma, rel=1e-3)
    assert result["days"] == pytest.approx(400 * power.USABLE_FRACTION / (sleep_ma * 24), rel=1e-3)


def test_radio_always_on_keeps_the_chip_awake():
    inputs = dict(BASE, ble_sync_period_s=0)
    result = power.budget("xiao-esp32s3", inputs, worn_h=24, takeoffs_per_day=0, **KW)
    # 33.3 connection events a second, each 0.4 ms receiving at 88 mA and 0.1 ms sending at 130 mA;
    # 2 notifications a minute, each 0.24 ms sending and 0.23 ms receiving.
    radio = 1000 / 30 * (88 * 0.0004 + 130 * 0.0001) + 2 / 60 * (130 * 0.00024 + 88 * 0.00023)
    expected = 32.0 + 0.55 + radio + 4.2 / 440.0
    assert result["worn_current_ma"] == pytest.approx(expected, rel=1e-3)
    # Awake anyway: the CPU time per wake-up changes nothing.
    slower = power.budget("xiao-esp32s3", inputs, worn_h=24, takeoffs_per_day=0,
                          **dict(KW, cpu_ms_per_wake=50.0))
    assert slower["days"] == result["days"]


def test_days_scale_with_the_cell_and_fall_with_cpu_time():
    small = power.budget("xiao-esp32s3", dict(BASE), battery_mah=400, **KW)
    large = power.budget("xiao-esp32s3", dict(BASE), battery_mah=800, **KW)
    assert large["days"] == pytest.approx(2 * small["days"], rel=1e-3)
    slower = power.budget("xiao-esp32s3", dict(BASE), **dict(KW, cpu_ms_per_wake=20.0))
    assert slower["days"] < small["days"]


def test_the_cpu_limit_it_reports_lands_on_the_target():
    result = power.budget("xiao-esp32s3", dict(BASE), **KW)
    limit = result["max_cpu_ms_per_wake_for_target"]
    assert limit > KW["cpu_ms_per_wake"]
    at_limit = power.budget("xiao-esp32s3", dict(BASE), **dict(KW, cpu_ms_per_wake=limit))
    assert at_limit["days"] == pytest.approx(power.TARGET_DAYS, abs=0.02)


def test_fewer_wakeups_read_longer_bursts_over_i2c():
    # 51 samples x 12 bytes + 6 bytes = 618 bytes x 9 bits at 400 kHz = 13.9 ms.
    result = power.budget("xiao-esp32s3", dict(BASE, fifo_watermark_samples=51), **KW)
    assert result["i2c_ms_per_wake"] == pytest.approx(618 * 9 / 400.0, rel=1e-3)
    assert result["wakeups_per_s"] == pytest.approx(50 / 51, rel=1e-3)


def test_a_cpu_that_cannot_keep_up_is_an_error():
    with pytest.raises(power.PowerError, match="cannot keep up"):
        # 50 wake-ups a second of 25 ms CPU each need 125% of the time.
        power.budget("xiao-esp32s3", dict(BASE, fifo_watermark_samples=1), **dict(KW, cpu_ms_per_wake=25.0))


def test_advice_names_a_change_that_reaches_the_target():
    inputs = dict(BASE, ble_sync_period_s=0)
    assert not power.budget("xiao-esp32s3", inputs, **KW)["meets_target"]
    advice = power.advise("xiao-esp32s3", inputs, **KW)
    assert advice and advice[0].startswith("set BLE_SYNC_PERIOD_S = ")
    period = int(advice[0].split("= ")[1].split(" ")[0])
    assert power.budget("xiao-esp32s3", dict(inputs, ble_sync_period_s=period), **KW)["meets_target"]


def test_the_command_prints_the_json_keys(tmp_path, capsys):
    bench = tmp_path / "bench.json"
    bench.write_text("building...\n" + json.dumps({"filter_us_per_sample": 20.0, "esp32_slowdown_factor": 100}))
    assert main(["power-budget", "--json", "--bench-json", str(bench), "--set", "ble_sync_period_s=900"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("battery_mah", "avg_current_ma", "days"):
        assert isinstance(out[key], (int, float))
    assert out["battery_mah"] == 400
    # The CPU time per wake-up is the bench figure times the ESP32 factor: 25 samples x 20 us x 100.
    assert out["inputs"]["cpu_ms_per_wake"]["value"] == pytest.approx(50.0)
    assert out["days"] == pytest.approx(400 * power.USABLE_FRACTION / (out["avg_current_ma"] * 24), rel=1e-2)


def test_the_command_explains_bad_input(tmp_path, capsys):
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps({"esp32_slowdown_factor": 100}))
    assert main(["power-budget", "--bench-json", str(bench)]) == 1
    assert "--cpu-ms-per-wake" in capsys.readouterr().err
    assert main(["power-budget", "--cpu-ms-per-wake", "5", "--set", "imu_rate=50"]) == 1
    assert "NAME=VALUE" in capsys.readouterr().err
    assert main(["power-budget", "--bench-json", str(tmp_path / "missing.json")]) == 1
    assert "cannot read" in capsys.readouterr().err
