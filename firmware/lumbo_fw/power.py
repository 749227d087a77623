"""Not worn: when the sensor has been still for `not_worn_after_s` (600 s by default), the IMU goes to its
low-power wake-on-motion mode and the board to light sleep; motion wakes both.

Stillness comes from lumbo_fw.imu.motion (per-second windows judged against the chip's own noise): a
sensor on a table shows only noise, while a worn one keeps moving its mean by more than noise does, even
when the wearer sits still, through breathing and posture shifts.

    power = PowerManager(imu, motion, sleeper, wake_pin, not_worn_after_s=settings["not_worn_after_s"])
    while True:
        if power.not_worn:
            event = power.sleep()          # sleeps up to sleep_ms; EVENT_WORN when motion woke it
        else:
            imu.read(burst); motion.update(burst)
            event = power.update()         # EVENT_NOT_WORN once, when the stillness has lasted
        ...                                # the bout logic sees power.not_worn and the event

The sleeper is passed in: `Esp32LightSleep(machine, esp32)` on the board, an emulated one in tests and
the demo. Its one method, sleep_until(pin, level, max_ms), returns True when the pin woke the board. With
no interrupt pin wired (wake_pin None) the board sleeps for `poll_ms` at a time and asks the IMU over
I2C whether it saw motion.
"""

from micropython import const

from lumbo_fw.imu.base import MODE_WAKE_ON_MOTION
from lumbo_shared.vocab import EVENT_NOT_WORN, EVENT_WORN

DEFAULT_NOT_WORN_AFTER_S = const(600)
# The wake threshold: a clear movement (picking the device up, walking) passes it; a table's vibration
# from typing does not. Rounded up to the chip's step (2 to 31.25 mg).
DEFAULT_WAKE_THRESHOLD_MG = const(60)
DEFAULT_SLEEP_MS = const(60000)
DEFAULT_POLL_MS = const(1000)


class Esp32LightSleep:
    """Light sleep on an ESP32 until a GPIO reaches a level (or the time is up); RAM and state are kept."""

    def __init__(self, machine_module, esp32_module):
        self._machine = machine_module
        self._esp32 = esp32_module

    def sleep_until(self, pin, level, max_ms):
        esp32 = self._esp32
        if pin is not None:
            if pin.value() == level:
                return True
            wake_level = esp32.WAKEUP_ANY_HIGH if level else esp32.WAKEUP_ALL_LOW
            if hasattr(esp32, "wake_on_gpio"):
                esp32.wake_on_gpio((pin,), wake_level)  # any GPIO, light sleep
            else:
                esp32.wake_on_ext0(pin, wake_level)  # RTC GPIOs only
        self._machine.lightsleep(max_ms)
        return pin is not None and pin.value() == level


class PowerManager:
    def __init__(self, imu, motion, sleeper, wake_pin=None, not_worn_after_s=DEFAULT_NOT_WORN_AFTER_S,
                 wake_threshold_mg=DEFAULT_WAKE_THRESHOLD_MG, sleep_ms=DEFAULT_SLEEP_MS, poll_ms=DEFAULT_POLL_MS):
        if not_worn_after_s <= 0 or wake_threshold_mg <= 0 or sleep_ms <= 0 or poll_ms <= 0:
            raise ValueError("not_worn_after_s, wake_threshold_mg, sleep_ms and poll_ms must be positive")
        self.imu = imu
        self.motion = motion
        self.sleeper = sleeper
        self.wake_pin = wake_pin
        self.not_worn_after_s = not_worn_after_s
        self.wake_threshold_mg = wake_threshold_mg
        self.sleep_ms = sleep_ms
        self.poll_ms = poll_ms
        self.not_worn = False
        self.sleeps = 0
        self.wakes = 0

    def _windows(self):
        window_us = self.motion.window_samples * self.imu.sample_period_us
        return (self.not_worn_after_s * 1000000 + window_us - 1) // window_us

    def update(self):
        """After motion.update(burst): EVENT_NOT_WORN when the stillness has lasted long enough, else 0."""
        if self.not_worn:
            return 0
        if self.motion.still_run >= self._windows():
            self.not_worn = True
            return EVENT_NOT_WORN
        return 0

    def sleep(self):
        """While not worn: wait in low power for motion, at most sleep_ms. EVENT_WORN if motion came (the
        IMU is measuring again), else 0 (call again after any housekeeping)."""
        imu = self.imu
        if imu.mode != MODE_WAKE_ON_MOTION:
            try:
                imu.enable_wake_on_motion(self.wake_threshold_mg)
            except OSError:
                pass  # the bus failed: sleep on a timer and try again next time
        self.sleeps += 1
        if self.wake_pin is None:
            self.sleeper.sleep_until(None, 0, self.poll_ms)
            woke = False
        else:
            woke = self.sleeper.sleep_until(self.wake_pin, imu.wake_level, self.sleep_ms)
        try:
            moved = imu.motion_pending()
        except OSError:
            moved = False
        if not (woke or moved):
            return 0
        imu.resume()
        self.motion.reset()
        self.not_worn = False
        self.wakes += 1
        return EVENT_WORN
