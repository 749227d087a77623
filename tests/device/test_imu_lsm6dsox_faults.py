"""ST LSM6DSOX / LSM6DSO: each injected fault and what the driver does about it (CPython and MicroPython)."""

# Compiled and loaded first, in an order that suits a board-sized heap (see preload.py).
from preload import load

load("chips.st_dsox", "imutest", "imufaults", "lumbo_fw.imu.lsm6dsox")

import imufaults  # noqa: E402
import imutest  # noqa: E402
from imutest import FRAMES_52HZ as FRAMES  # noqa: E402


def teardown_function(_function=None):
    imutest.fresh()


def test_a_refused_transfer_is_retried():
    imufaults.transient_nack("LSM6DSOX", FRAMES)


def test_a_chip_that_stops_answering_is_a_fault_that_recovers():
    imufaults.lasting_fault("LSM6DSOX", FRAMES, "nack")


def test_a_chip_that_resets_itself_is_set_up_again():
    imufaults.spontaneous_reset("LSM6DSOX", FRAMES)


def test_a_changed_identity_is_a_fault_until_it_is_right_again():
    imufaults.identity_lost("LSM6DSOX", FRAMES, 0x6C)
