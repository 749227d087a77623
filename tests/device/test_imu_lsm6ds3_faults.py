"""ST LSM6DS3 / LSM6DS3TR-C: each injected fault and what the driver does about it (CPython and MicroPython)."""

# Compiled and loaded first, in an order that suits a board-sized heap (see preload.py).
from preload import load

load("chips.st_ds3", "imutest", "imufaults", "lumbo_fw.imu.lsm6ds3")

import imufaults  # noqa: E402
import imutest  # noqa: E402
from imutest import FRAMES_52HZ as FRAMES  # noqa: E402


def teardown_function(_function=None):
    imutest.fresh()


def test_a_refused_transfer_is_retried():
    imufaults.transient_nack("LSM6DS3", FRAMES)


def test_a_hung_bus_is_a_fault_that_recovers():
    imufaults.lasting_fault("LSM6DS3", FRAMES, "hang")


def test_a_chip_that_resets_itself_is_set_up_again():
    imufaults.spontaneous_reset("LSM6DS3TR-C", FRAMES)


def test_a_wrong_identity_at_start_names_what_answered_where():
    imufaults.wrong_identity_at_start("LSM6DS3", FRAMES, 0x6A, 0x0F)
