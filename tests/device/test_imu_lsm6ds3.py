"""ST LSM6DS3 / LSM6DS3TR-C: driver and emulated chip, under CPython and MicroPython."""

# Compiled and loaded first, in an order that suits a board-sized heap (see preload.py).
from preload import load

load("chips.st_ds3", "imutest", "imuscenarios", "lumbo_fw.imu.lsm6ds3")

import imuscenarios  # noqa: E402
import imutest  # noqa: E402
from imutest import FRAMES_52HZ as FRAMES  # noqa: E402

CHIPS = ("LSM6DS3", "LSM6DS3TR-C")
STEP_MS = 500


def teardown_function(_function=None):
    imutest.fresh()


def test_each_chip_returns_the_recording_within_one_count():
    for name in CHIPS:
        imuscenarios.round_trip(name, FRAMES, STEP_MS)


def test_uneven_reads_lose_and_shift_nothing():
    imuscenarios.round_trip("LSM6DS3", FRAMES, 130)


def test_samples_are_mapped_into_the_board_frame():
    imuscenarios.board_frame("LSM6DS3", FRAMES)


def test_values_beyond_the_range_clip_at_the_int16_limits():
    imuscenarios.clipping("LSM6DS3TR-C")


def test_fifo_overflow_is_counted_and_samples_stay_whole():
    # A full FIFO overwrites single words, so it may resume mid-sample: the driver reads FIFO_PATTERN and
    # drops the partial sample (counted in `dropped`).
    dropped, pattern = imuscenarios.overflow("LSM6DS3TR-C", FRAMES, 9000)
    assert pattern != 0, "this gap should leave the FIFO starting mid-sample"
    assert dropped == 1


def test_an_overflowed_fifo_resumes_mid_sample():
    # What the driver guards against: 2048 words hold no whole number of 6-word samples, so after an
    # overflow the oldest word is not a gyro x; FIFO_PATTERN says which axis it is.
    rig = imutest.Rig("LSM6DS3TR-C", FRAMES)
    try:
        rig.clock.advance_ms(9000)
        rig.chip.poll()
        status = bytearray(4)
        rig.i2c.readfrom_mem_into(0x6A, 0x3A, status)
        pattern = status[2] | (status[3] & 3) << 8
        assert status[1] & 0x40 and pattern != 0, list(status)
    finally:
        rig.close()


def test_temperature_follows_the_chip():
    imuscenarios.temperature("LSM6DS3", FRAMES, 16)
    imuscenarios.temperature("LSM6DS3TR-C", FRAMES, 256)


def test_wake_on_motion():
    for name in CHIPS:
        imuscenarios.wake_on_motion(name, 60, 150, "accel")
        imuscenarios.wake_on_motion(name, 60, 30, "accel")


def mpytest_reading_a_burst_allocates_nothing():
    imuscenarios.reads_allocate_nothing("LSM6DS3", FRAMES)
