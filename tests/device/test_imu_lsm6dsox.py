"""ST LSM6DSOX / LSM6DSO: driver and emulated chip, under CPython and MicroPython."""

# Compiled and loaded first, in an order that suits a board-sized heap (see preload.py).
from preload import load

load("chips.st_dsox", "imutest", "imuscenarios", "lumbo_fw.imu.lsm6dsox")

import imuscenarios  # noqa: E402
import imutest  # noqa: E402
from imutest import FRAMES_52HZ as FRAMES  # noqa: E402

CHIPS = ("LSM6DSOX", "LSM6DSO")
STEP_MS = 500


def teardown_function(_function=None):
    imutest.fresh()


def test_each_chip_returns_the_recording_within_one_count():
    for name in CHIPS:
        imuscenarios.round_trip(name, FRAMES, STEP_MS)


def test_uneven_reads_lose_and_shift_nothing():
    # 130 ms reads split a sample's gyro and accel entries across two reads now and then.
    imuscenarios.round_trip("LSM6DSOX", FRAMES, 130)


def test_samples_are_mapped_into_the_board_frame():
    imuscenarios.board_frame("LSM6DSOX", FRAMES)


def test_values_beyond_the_range_clip_at_the_int16_limits():
    imuscenarios.clipping("LSM6DSOX")


def test_fifo_overflow_is_counted_and_samples_stay_whole():
    # Tagged entries stay whole by themselves; an entry whose partner was overwritten is dropped.
    imuscenarios.overflow("LSM6DSOX", FRAMES, 8000)


def test_temperature_follows_the_chip():
    imuscenarios.temperature("LSM6DSOX", FRAMES, 256)


def test_wake_on_motion():
    imuscenarios.wake_on_motion("LSM6DSOX", 60, 150, "accel")
    imuscenarios.wake_on_motion("LSM6DSOX", 60, 30, "accel")


def mpytest_reading_a_burst_allocates_nothing():
    imuscenarios.reads_allocate_nothing("LSM6DSOX", FRAMES)
