"""Not worn, on an ST part: the LSM6DSOX's wake-up interrupt and low-power accelerometer."""

# Compiled and loaded first, in an order that suits a board-sized heap (see preload.py).
from preload import load

load("chips.st_dsox", "chips.sleep", "wearer", "imutest", "powertest", "lumbo_fw.imu.lsm6dsox")

from imutest import fresh  # noqa: E402
from powertest import check_day  # noqa: E402


def teardown_function(_function=None):
    fresh()


def test_lsm6dsox_sleeps_when_laid_down_and_wakes_when_picked_up():
    check_day("LSM6DSOX", True, 330, 21, "accel")
