"""The wearer's day run through the firmware's not-worn logic, for the power tests of each chip family."""

import machine
from chips.sleep import EmulatedSleep
from imutest import INT_PIN, Rig
from wearer import Wearer

from lumbo_fw.imu import MODE_MEASURE
from lumbo_fw.imu.motion import MotionWindow
from lumbo_fw.power import PowerManager
from lumbo_shared.vocab import EVENT_NOT_WORN, EVENT_WORN

NOT_WORN_AFTER_S = 60
TABLE_S = 100  # worn and sitting very still (breathing only) for 100 s: longer than NOT_WORN_AFTER_S
PICKED_S = 200
STEP_MS = 500


class _WatchedSleep(EmulatedSleep):
    """Notes the chip's mode each time the board goes to sleep."""

    def __init__(self, clock, chip):
        EmulatedSleep.__init__(self, clock, 10)
        self.chip = chip
        self.modes = []

    def sleep_until(self, pin, level, max_ms):
        self.modes.append(self.chip.mode)
        return EmulatedSleep.sleep_until(self, pin, level, max_ms)


def day(chip_name, wired, accel_noise_ug, gyro_noise_mdps):
    """Runs the firmware's loop over the wearer's day; returns (events with their times, rig, power)."""
    rig = Rig(chip_name, Wearer(TABLE_S, PICKED_S, 50, accel_noise_ug, gyro_noise_mdps))
    imu = rig.imu
    motion = MotionWindow.for_imu(imu)
    pin = machine.Pin(INT_PIN, machine.Pin.IN) if wired else None
    sleeper = _WatchedSleep(rig.clock, rig.chip)
    power = PowerManager(imu, motion, sleeper, pin, NOT_WORN_AFTER_S)
    events = []
    while rig.clock.now_us() < (PICKED_S + 20) * 1000000:
        if power.not_worn:
            event = power.sleep()
        else:
            rig.clock.advance_ms(STEP_MS)
            imu.read(rig.burst)
            motion.update(rig.burst)
            event = power.update()
        if event:
            events.append((event, rig.clock.now_us() // 1000))
    return events, rig, power, sleeper


def check_day(chip_name, wired, accel_noise_ug, gyro_noise_mdps, sleep_mode):
    events, rig, power, sleeper = day(chip_name, wired, accel_noise_ug, gyro_noise_mdps)
    try:
        kinds = [e for e, _ in events]
        assert kinds == [EVENT_NOT_WORN, EVENT_WORN], events
        not_worn_ms = events[0][1]
        worn_ms = events[1][1]
        # Not worn once it has lain still for NOT_WORN_AFTER_S, give or take three one-second windows (the
        # window that holds the last breath, the one it is compared with, and the read interval).
        assert (TABLE_S + NOT_WORN_AFTER_S) * 1000 <= not_worn_ms <= (TABLE_S + NOT_WORN_AFTER_S + 3) * 1000, events
        # Awake within a second of being picked up (an interrupt, or a poll each second without one).
        assert PICKED_S * 1000 <= worn_ms <= PICKED_S * 1000 + 1000, events
        # While not worn the chip sat in its low-power mode and the board slept.
        assert sleeper.modes and all(mode == sleep_mode for mode in sleeper.modes), sleeper.modes[:3]
        assert sleeper.slept_ms >= (PICKED_S - TABLE_S - NOT_WORN_AFTER_S - 3) * 1000
        assert rig.imu.mode == MODE_MEASURE and rig.chip.mode == "measure" and not power.not_worn
        rig.clock.advance_ms(STEP_MS)
        assert rig.imu.read(rig.burst) > 0
    finally:
        rig.close()
