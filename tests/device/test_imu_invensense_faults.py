"""InvenSense MPU-6050 / MPU-6500: each injected fault and what the driver does about it (both interpreters)."""

# Compiled and loaded first, in an order that suits a board-sized heap (see preload.py).
from preload import load

load("chips.invensense", "imutest", "imufaults", "lumbo_fw.imu.invensense")

import imufaults  # noqa: E402
import imutest  # noqa: E402
from imutest import FRAMES_50HZ as FRAMES  # noqa: E402


def teardown_function(_function=None):
    imutest.fresh()


def test_a_refused_transfer_is_retried():
    imufaults.transient_nack("MPU-6050", FRAMES)


def test_a_chip_that_stops_answering_is_a_fault_that_recovers():
    imufaults.lasting_fault("MPU-6050", FRAMES, "nack")


def test_a_hung_bus_is_a_fault_that_recovers():
    imufaults.lasting_fault("MPU-6500", FRAMES, "hang")


def test_a_dead_bus_is_retried_with_growing_pauses():
    imufaults.back_off("MPU-6050", FRAMES)


def test_a_chip_that_resets_itself_is_set_up_again():
    for name in ("MPU-6050", "MPU-6500"):
        imufaults.spontaneous_reset(name, FRAMES)


def test_a_changed_identity_is_a_fault_until_it_is_right_again():
    imufaults.identity_lost("MPU-6050", FRAMES, 0x68)


def test_a_wrong_identity_at_start_names_what_answered_where():
    imufaults.wrong_identity_at_start("MPU-6050", FRAMES, 0x68, 0x75)
