"""The emulated board's parts for firmware/main.py, where there is no ESP32 (both interpreters).

main.py wires a real board from its pins; without one it asks this module. It plugs an emulated IMU
(chips/) on the emulated I2C bus, fed from a frames file, with its interrupt line on the board's IMU pin;
makes an accelerated clock (pacedclock.py) that both the chip and the firmware run on; an emulated light
sleep on that clock; and the emulated radio (bluetooth.py, joined to its bridge by LUMBO_BLE_BRIDGE).

Settings come from the environment (lumbo.demo sets them):

    LUMBO_EMU_FRAMES        the frames file the IMU replays (required; lumbo.emu.imu_frames writes one)
    LUMBO_EMU_IMU           the chip (default LSM6DSOX; any name in chips.FAMILIES)
    LUMBO_EMU_SPEED         device seconds per real second (default 1; 0 = as fast as the computer can);
                            "200,1@300" runs at 200 until device second 300, then at 1
    LUMBO_EMU_START_US      device time now, microseconds into the frames (default 0; a restart carries on)
    LUMBO_EMU_EPOCH_S       Unix time at device time 0: the board's RTC was set (default: not set)
    LUMBO_EMU_DATA          the wearer's folder (default "data", beside the working directory)
    LUMBO_EMU_BOARD         the build whose pin map is used (default xiao-esp32s3)
    LUMBO_EMU_ADV_US        advertising interval (default: the firmware's)
    LUMBO_EMU_RADIO         "schedule" (default, as on the board) or "always" (on all the time)
    LUMBO_EMU_FIRST_WINDOW_S  pairing window at a start without bonds (default: the firmware's)
"""

import os
import time

import bluetooth
import machine
from chips import plug
from chips.frames import FrameSource
from chips.sleep import EmulatedSleep
from pacedclock import PacedClock

from lumbo_fw import board
from lumbo_fw.app import Parts

# Light sleep watches the wake pin this often (device time): fine enough, and cheap at a high speed.
_SLEEP_STEP_MS = 100


class _DayFrom:
    """The day's frames as seen by a chip switched on start_us into it: a chip plays its source from the
    moment it is plugged in, so a firmware restarted mid-day must see the day go on, not begin again."""

    def __init__(self, source, start_us):
        self._source = source
        self._start_us = start_us
        self.rate_mhz = source.rate_mhz
        self.count = source.count

    def index_at(self, t_us):
        return self._source.index_at(t_us + self._start_us)

    def get(self, index, out):
        self._source.get(index, out)


def _env(name, default=None):
    value = os.getenv(name)
    return default if value is None or value == "" else value


def _int(name, default):
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError("%s=%r is not a whole number" % (name, value)) from None


def _speeds(text):
    """"200,1@300" -> (200, [(300000000, 1)])."""
    try:
        parts_ = text.split(",")
        first = int(parts_[0])
        changes = []
        for part in parts_[1:]:
            speed, at_s = part.split("@")
            changes.append((int(at_s) * 1000000, int(speed)))
    except ValueError:
        raise ValueError("LUMBO_EMU_SPEED=%r: write SPEED or SPEED,SPEED@SECOND,..." % text) from None
    return first, changes


def parts():
    frames = _env("LUMBO_EMU_FRAMES")
    if frames is None:
        raise ValueError("no recording for the emulated IMU: set LUMBO_EMU_FRAMES to a frames file "
                         "(`lumbo demo` does; lumbo.emu.imu_frames writes one from a recording)")
    name = _env("LUMBO_EMU_BOARD", board.DEFAULT_BOARD)
    pins = board.board(name)
    start_us = _int("LUMBO_EMU_START_US", 0)
    speed, changes = _speeds(_env("LUMBO_EMU_SPEED", "1"))
    clock = PacedClock(speed, start_us, _int("LUMBO_EMU_EPOCH_S", -1), changes)
    plug(_env("LUMBO_EMU_IMU", "LSM6DSOX"), _DayFrom(FrameSource.open(frames), start_us), clock,
         bus_id=pins["i2c_id"], int_pin=pins["imu_int_pin"])
    i2c = machine.I2C(pins["i2c_id"], scl=machine.Pin(pins["scl_pin"]), sda=machine.Pin(pins["sda_pin"]),
                      freq=pins["i2c_freq_hz"])
    machine.drive(pins["button_pin"], 1)  # the button's pull-up: not pressed
    extra = {}
    adv_us = _int("LUMBO_EMU_ADV_US", 0)
    if adv_us:
        extra["adv_interval_us"] = adv_us
    first_window_s = _int("LUMBO_EMU_FIRST_WINDOW_S", -1)
    if first_window_s >= 0:
        extra["first_window_s"] = first_window_s
    radio = _env("LUMBO_EMU_RADIO", "schedule")
    if radio not in ("schedule", "always"):
        raise ValueError("LUMBO_EMU_RADIO=%r: choose schedule or always" % radio)
    return Parts(i2c, clock, bluetooth.BLE(), EmulatedSleep(clock, _SLEEP_STEP_MS), _env("LUMBO_EMU_DATA", "data"),
                 board_name=name, wake_pin=machine.Pin(pins["imu_int_pin"], machine.Pin.IN),
                 haptic_pin=machine.Pin(pins["haptic_pin"], machine.Pin.OUT),
                 button_pin=machine.Pin(pins["button_pin"], machine.Pin.IN, machine.Pin.PULL_UP),
                 radio_ticks_ms=time.ticks_ms, radio_always_on=radio == "always", **extra)
