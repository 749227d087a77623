"""Not worn: still for not_worn_after_s puts the IMU in wake-on-motion and the board to sleep; motion wakes
both. Driven end to end: emulated chip, real driver, motion windows, power manager, emulated sleep."""

# Compiled and loaded first, in an order that suits a board-sized heap (see preload.py).
from preload import load

load("chips.invensense", "chips.sleep", "wearer", "imutest", "powertest", "lumbo_fw.imu.invensense")

import machine  # noqa: E402
from chips.sleep import EmulatedSleep  # noqa: E402
from imutest import Rig, fresh  # noqa: E402
from powertest import NOT_WORN_AFTER_S, STEP_MS, check_day  # noqa: E402
from wearer import Wearer  # noqa: E402

from lumbo_fw.imu import MODE_WAKE_ON_MOTION  # noqa: E402
from lumbo_fw.imu.motion import MotionWindow  # noqa: E402
from lumbo_fw.power import PowerManager  # noqa: E402


def teardown_function(_function=None):
    fresh()


def test_mpu6050_sleeps_when_laid_down_and_wakes_when_picked_up():
    check_day("MPU-6050", True, 2200, 28, "cycle")


def test_a_part_twice_as_noisy_as_its_datasheet_still_counts_as_lying_still():
    check_day("MPU-6050", True, 4400, 56, "cycle")


def test_without_an_interrupt_wire_the_board_polls_the_chip():
    check_day("MPU-6050", False, 2200, 28, "cycle")


def test_a_bus_fault_while_going_to_sleep_keeps_the_board_running():
    rig = Rig("MPU-6050", Wearer(0, 1000, 50, 2200, 28))
    try:
        motion = MotionWindow.for_imu(rig.imu)
        power = PowerManager(rig.imu, motion, EmulatedSleep(rig.clock, 10), None, NOT_WORN_AFTER_S)
        while not power.not_worn:
            rig.clock.advance_ms(STEP_MS)
            rig.imu.read(rig.burst)
            motion.update(rig.burst)
            power.update()
        rig.chip.fail_transfers()
        assert power.sleep() == 0 and power.not_worn
        assert rig.imu.mode != MODE_WAKE_ON_MOTION
        rig.chip.clear_faults()
        assert power.sleep() == 0 and rig.imu.mode == MODE_WAKE_ON_MOTION
    finally:
        rig.close()


class _Esp32:
    """The esp32 module's wake calls, noted (the real ones exist only on a board)."""

    WAKEUP_ALL_LOW = False
    WAKEUP_ANY_HIGH = True

    def __init__(self, with_gpio_wake):
        self.armed = None
        if with_gpio_wake:
            self.wake_on_gpio = self._wake_on_gpio

    def _wake_on_gpio(self, pins, level):
        self.armed = ("gpio", pins, level)

    def wake_on_ext0(self, pin, level):
        self.armed = ("ext0", pin, level)


class _Machine:
    """machine.lightsleep noted; the IMU's line rises during the sleep when told to."""

    def __init__(self, pin_id, moves):
        self.slept = []
        self.pin_id = pin_id
        self.moves = moves

    def lightsleep(self, ms):
        self.slept.append(ms)
        if self.moves:
            machine.drive(self.pin_id, 1)


def test_the_esp32_sleeper_arms_the_pin_and_sleeps_lightly():
    from lumbo_fw.power import Esp32LightSleep

    fresh()
    pin = machine.Pin(4, machine.Pin.IN)
    for with_gpio_wake, moves in ((True, True), (False, False)):
        machine.drive(4, 0)
        esp32 = _Esp32(with_gpio_wake)
        board_machine = _Machine(4, moves)
        woke = Esp32LightSleep(board_machine, esp32).sleep_until(pin, 1, 5000)
        assert board_machine.slept == [5000] and woke == moves
        if with_gpio_wake:
            assert esp32.armed[0] == "gpio" and esp32.armed[1][0] is pin and esp32.armed[2] is True
        else:
            assert esp32.armed == ("ext0", pin, True)
    # No pin wired: a timed light sleep, and the chip is asked over I2C afterwards.
    board_machine = _Machine(4, False)
    assert not Esp32LightSleep(board_machine, _Esp32(True)).sleep_until(None, 0, 1000)
    assert board_machine.slept == [1000]
