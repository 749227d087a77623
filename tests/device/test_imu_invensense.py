"""InvenSense MPU-6050 / MPU-6500 / MPU-9250: driver and emulated chip, under CPython and MicroPython."""

# Compiled and loaded first, in an order that suits a board-sized heap (see preload.py).
from preload import load

load("chips.invensense", "imutest", "imuscenarios", "lumbo_fw.imu.invensense")

import imuscenarios  # noqa: E402
import imutest  # noqa: E402
from imutest import FRAMES_50HZ as FRAMES  # noqa: E402

CHIPS = ("MPU-6050", "MPU-6500", "MPU-9250")
# The MPU-6500's FIFO holds 0.84 s at 50 Hz; reading every 0.6 s keeps up with it.
STEP_MS = 600


def teardown_function(_function=None):
    imutest.fresh()


def test_each_chip_returns_the_recording_within_one_count():
    for name in CHIPS:
        imuscenarios.round_trip(name, FRAMES, STEP_MS)


def test_uneven_reads_lose_and_shift_nothing():
    imuscenarios.round_trip("MPU-6050", FRAMES, 130)


def test_samples_are_mapped_into_the_board_frame():
    imuscenarios.board_frame("MPU-6050", FRAMES)


def test_values_beyond_the_range_clip_at_the_int16_limits():
    imuscenarios.clipping("MPU-6500")


def test_fifo_overflow_is_counted_and_samples_stay_whole():
    # The 6050 overwrites its oldest bytes (1024 is no whole number of 12-byte samples), the 6500 keeps
    # them and may end on part of a sample: both must come back aligned.
    for name in CHIPS[:2]:
        imuscenarios.overflow(name, FRAMES, 5000)


def test_an_overflowed_6050_fifo_really_is_misaligned():
    # What the driver guards against: after an overflow the FIFO holds 1024 bytes, not whole samples.
    rig = imutest.Rig("MPU-6050", FRAMES)
    try:
        rig.clock.advance_ms(5000)
        rig.chip.poll()
        assert rig.chip.fifo_count == 1024 and 1024 % 12 != 0
    finally:
        rig.close()


def test_temperature_follows_the_chip():
    imuscenarios.temperature("MPU-6050", FRAMES, 340)
    imuscenarios.temperature("MPU-6500", FRAMES, 333)


def test_wake_on_motion():
    for name in CHIPS[:2]:
        imuscenarios.wake_on_motion(name, 60, 150, "cycle")
        imuscenarios.wake_on_motion(name, 60, 30, "cycle")


def mpytest_reading_a_burst_allocates_nothing():
    for name in CHIPS[:2]:
        imuscenarios.reads_allocate_nothing(name, FRAMES)
