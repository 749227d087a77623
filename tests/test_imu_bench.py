"""`lumbo bench device` runs the driver benchmark under MicroPython and reports the driver's own cost."""

from lumbo.bench import device


def test_the_driver_benchmark_reports_its_figures_and_reads_without_allocating(x64_build):
    script = device.SCRIPTS_DIR / "driver.py"
    assert script in device.scripts()
    figures = device.run_script(script, x64_build)
    for key in ("driver_us_per_sample", "driver_bytes_per_burst", "driver_mpu6050_us_per_sample",
                "driver_reference_us_per_sample"):
        assert key in figures, key
    assert figures["driver_us_per_sample"] > 0
    # The target: a read allocates nothing (the reference decode, one tuple per sample, does).
    assert figures["driver_bytes_per_burst"] == 0
    assert figures["driver_reference_bytes_per_burst"] > 0


def test_the_tagged_fifo_path_is_measured_too(x64_build):
    figures = device.run_script(device.SCRIPTS_DIR / "driver_lsm6dsox.py", x64_build)
    assert figures["driver_lsm6dsox_us_per_sample"] > 0 and figures["driver_lsm6dsox_bytes_per_burst"] == 0
