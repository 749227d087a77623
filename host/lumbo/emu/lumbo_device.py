"""An emulated lumbo device for end-to-end tests, the sync benchmark and demos: the firmware's device log,
settings store, bonds, pairing window and GATT service, wired together over MicroPython's `bluetooth` API
(the emulated module on a PC), without the IMU and posture parts.

    micropython lumbo_device.py --state DIR [--first-window-s S] [--adv-interval-us US] [--addr-mode N]

with the firmware (compiled for the unix port) and host/lumbo/emu/upy on MICROPYPATH; lumbo.emu.launch
runs it that way. DIR plays the board's flash: DIR/log (the device log), DIR/settings and DIR/bonds. A
test or benchmark may fill DIR/log beforehand with lumbo_fw.devlog under CPython: the files are the same.

It prints `ready RECORDS NEXT_SEQ` once it advertises, and `action NAME ...` for each control command
and settings change a host sends. A calibration request logs a `calibrated` event (hosts get it live),
and the status (sitting, a bout growing by a second a second) is refreshed every second.
"""

import asyncio
import sys
import time

import bluetooth

from lumbo_fw.ble_security import BondStore, PairingWindow
from lumbo_fw.ble_service import BleService
from lumbo_fw.devlog import DevLog
from lumbo_fw.settings_store import SettingsStore
from lumbo_shared import vocab


class Actions:
    """What the device does for a host's commands: log them, as the bout timer and filter would."""

    def __init__(self, log):
        self.log = log

    def calibrate(self):
        print("action calibrate")
        self.log.event(int(time.time()), vocab.EVENT_CALIBRATED, 0, 0)

    def set_time(self, epoch_s, utc_offset_min):
        print(f"action set_time {epoch_s} {utc_offset_min}")
        self.log.event(int(time.time()), vocab.EVENT_CLOCK_SET, 0, utc_offset_min)

    def snooze(self, duration_s):
        print(f"action snooze {duration_s}")
        self.log.event(int(time.time()), vocab.EVENT_SNOOZE, duration_s, 0)

    def raw_stream(self, on):
        print(f"action raw_stream {1 if on else 0}")

    def factory_reset(self):
        print("action factory_reset")

    def settings_changed(self, values):
        print(f"action settings sit_limit_s={values['sit_limit_s']}")
        self.log.event(int(time.time()), vocab.EVENT_SETTINGS_CHANGED, 0, 0)


def option(args, name, default):
    return args[args.index(name) + 1] if name in args else default


async def status_every_second(service):
    bout_s = 0
    while True:
        service.set_status(vocab.STATE_SITTING, 1250, bout_s, 90, 0, int(time.time()))  # slumped back 12.5°
        bout_s += 1
        await asyncio.sleep(1)


async def main(args):
    state = option(args, "--state", None)
    if state is None:
        print("usage: lumbo_device.py --state DIR [--first-window-s S] [--adv-interval-us US] [--addr-mode N]")
        sys.exit(2)
    log = DevLog(state + "/log")
    store = SettingsStore(state + "/settings")
    bonds = BondStore(state + "/bonds")
    service = BleService(bluetooth.BLE(), log, store, bonds, PairingWindow(time.ticks_ms), Actions(log),
                         board="emulated", adv_interval_us=int(option(args, "--adv-interval-us", "20000")),
                         first_window_s=int(option(args, "--first-window-s", "300")),
                         addr_mode=int(option(args, "--addr-mode", "2")))
    service.start()
    print(f"ready {len(log)} {log.next_seq}")
    status = asyncio.create_task(status_every_second(service))
    await service.run()
    status.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
