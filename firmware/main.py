"""lumbo's start: make the hardware, the clock and the radio, and hand them to the app.

On an ESP32 the parts are the board's: its I2C bus and pins from lumbo_fw.board, the RTC, light sleep and
the Bluetooth controller. On any other port (the MicroPython unix port, CPython) there is no board, and the
parts come from the emulated one (host/lumbo/emu/upy/emulated_parts.py: an emulated IMU replaying a
recording, an accelerated clock, the emulated radio), so the same application runs unchanged.

The build is read from /data/board if the wearer wrote one (a line such as `esp32-devkit`), else guessed
from the chip: the XIAO ESP32-S3 build on an ESP32-S3, the DevKit build on a classic ESP32.
"""

import sys


def _board_name():
    try:
        with open("/data/board") as f:
            return f.read().strip()
    except OSError:
        pass
    machine_name = getattr(sys.implementation, "_machine", "")
    return "xiao-esp32s3" if "ESP32S3" in machine_name else "esp32-devkit"


def esp32_parts():
    import time

    import bluetooth
    import esp32
    import machine

    from lumbo_fw import board
    from lumbo_fw.app import Parts
    from lumbo_fw.battery import BatteryGauge
    from lumbo_fw.clock import BoardClock
    from lumbo_fw.power import Esp32LightSleep

    name = _board_name()
    pins = board.board(name)

    def pin(number, mode, pull=None):
        if number == board.NOT_FITTED:
            return None
        return machine.Pin(number, mode) if pull is None else machine.Pin(number, mode, pull)

    i2c = machine.I2C(pins["i2c_id"], scl=machine.Pin(pins["scl_pin"]), sda=machine.Pin(pins["sda_pin"]),
                      freq=pins["i2c_freq_hz"])
    haptic = pin(pins["haptic_pin"], machine.Pin.OUT)
    if haptic is not None:
        haptic.value(0)
    battery = None
    if pins["battery_adc_pin"] != board.NOT_FITTED:
        adc = machine.ADC(machine.Pin(pins["battery_adc_pin"]))
        adc.atten(machine.ADC.ATTN_11DB)
        battery = BatteryGauge(adc)
    return Parts(i2c, BoardClock(time, machine.RTC()), bluetooth.BLE(), Esp32LightSleep(machine, esp32), "/data",
                 board_name=name, wake_pin=pin(pins["imu_int_pin"], machine.Pin.IN), haptic_pin=haptic,
                 button_pin=pin(pins["button_pin"], machine.Pin.IN, machine.Pin.PULL_UP), battery=battery)


def main():
    from lumbo_fw.app import App
    from lumbo_fw.imu import ImuError

    try:
        if sys.platform == "esp32":
            parts = esp32_parts()
        else:
            # host/lumbo/emu/upy/, on the module path wherever there is no board
            import emulated_parts  # type: ignore[import-not-found]

            parts = emulated_parts.parts()
        app = App(parts)
    except (ImuError, OSError, ValueError) as exc:
        print("lumbo cannot start: %s" % exc)
        return
    app.run()


if __name__ == "__main__":
    main()
