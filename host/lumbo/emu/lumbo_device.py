"""An emulated lumbo device for end-to-end tests, the sync benchmark and demos: the firmware's device log,
settings store, bonds, pairing window and GATT service, wired together over MicroPython's `bluetooth` API
(the emulated module on a PC), without the IMU and posture parts.

    micropython lumbo_device.py --state DIR [--first-window-s S] [--adv-interval-us US] [--addr-mode N]

with the firmware (compiled for the unix port) and host/lumbo/emu/upy on MICROPYPATH; lumbo.emu.launch
runs it that way. DIR plays the board's flash: DIR/log (the device log), DIR/settings and DIR/bonds. A
test or benchmark may fill DIR/log beforehand with lumbo_fw.devlog under CPython: the files are the same.

It prints `ready RECORDS NEXT_SEQ` once it advertises, and `action NAME ...` for each control command
and settings change a host sends. A calibration request logs a `calibrated` event (hosts get it live) and
makes the current tilt the upright (it reads 0 from then on). The status (a posture and its tilt; a bout
growing by a second a second while sitting) is refreshed every second.

What the posture code would do is played from DIR/inbox: a test writes lines there (write another file
and rename it to inbox), the device reads and deletes it within a second and prints `did LINE` for each:

    status STATE TILT_CDEG     the posture (vocab state) and pelvic tilt before calibration; sitting
                               starts a bout, anything else ends it
    event KIND A B             log an event now (a prompt: `event 18 BOUT_S COUNT`)

While a host has the raw stream on, the device sends a burst of 5 samples every 100 ms as if sampled at
50 Hz: sample k (counting from the first sample sent since boot) reads ax = k mod 16384, ay = -(k mod 256),
az = 16384 (1 g), gx = k mod 131, gy = 0, gz = -(k mod 100) in chip counts, with 16384 counts per g and
131 per degree per second. Its burst end time is the device's microsecond clock for sample k, k x 20000
after a start 1 s before the 2**30 wrap of MicroPython's ticks_us, so a recording crosses the wrap.
"""

import asyncio
import os
import sys
import time
from array import array

import bluetooth

from lumbo_fw.ble_security import BondStore, PairingWindow
from lumbo_fw.ble_service import BleService
from lumbo_fw.devlog import DevLog
from lumbo_fw.settings_store import SettingsStore
from lumbo_shared import protocol, vocab

RAW_BURST = 5
RAW_PERIOD_US = 20000
RAW_START_US = (1 << 30) - 1000000
TICKS_PERIOD = 1 << 30
ACCEL_LSB_PER_G = 16384
GYRO_LSB_PER_DPS = 131


class Wearer:
    """What the posture code would report: a posture, a tilt, the upright offset, the bout."""

    def __init__(self):
        self.state = vocab.STATE_SITTING
        self.raw_tilt_cdeg = 1250  # slumped back 12.5 degrees
        self.upright_cdeg = 0
        self.calibrated = False
        self.bout_s = 0

    def tilt_cdeg(self):
        return self.raw_tilt_cdeg - self.upright_cdeg


class Actions:
    """What the device does for a host's commands: log them, as the bout timer and filter would."""

    def __init__(self, log, wearer):
        self.log = log
        self.wearer = wearer

    def calibrate(self):
        print("action calibrate")
        self.wearer.upright_cdeg = self.wearer.raw_tilt_cdeg
        self.wearer.calibrated = True
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
        print("settings " + " ".join(f"{name}={values[name]}" for name in sorted(values)))
        self.log.event(int(time.time()), vocab.EVENT_SETTINGS_CHANGED, 0, 0)


def option(args, name, default):
    return args[args.index(name) + 1] if name in args else default


def read_inbox(path, log, wearer):
    try:
        os.stat(path)
    except OSError:
        return
    with open(path) as f:
        lines = f.read().split("\n")
    os.remove(path)
    for line in lines:
        words = line.split()
        if not words:
            continue
        if words[0] == "status" and len(words) == 3:
            state = int(words[1])
            if state != vocab.STATE_SITTING:
                wearer.bout_s = 0
            wearer.state = state
            wearer.raw_tilt_cdeg = int(words[2])
        elif words[0] == "event" and len(words) == 4:
            log.event(int(time.time()), int(words[1]), int(words[2]), int(words[3]))
        else:
            print(f"unknown inbox line: {line}")
            continue
        print(f"did {line}")


async def status_every_second(service, log, wearer, inbox):
    while True:
        read_inbox(inbox, log, wearer)
        flags = protocol.STATUS_FLAG_CLOCK_SET
        if wearer.calibrated:
            flags |= protocol.STATUS_FLAG_CALIBRATED
        service.set_status(wearer.state, wearer.tilt_cdeg(), wearer.bout_s, 90, flags, int(time.time()))
        if wearer.state == vocab.STATE_SITTING:
            wearer.bout_s += 1
        await asyncio.sleep(1)


async def raw_samples(service):
    samples = array("h", bytes(2 * 6 * RAW_BURST))
    k = 0
    while True:
        if service.raw_streaming:
            for i in range(RAW_BURST):
                n = k + i
                base = 6 * i
                samples[base] = n % 16384
                samples[base + 1] = 0 - (n % 256)
                samples[base + 2] = ACCEL_LSB_PER_G
                samples[base + 3] = n % 131
                samples[base + 4] = 0
                samples[base + 5] = 0 - (n % 100)
            k += RAW_BURST
            t_end_us = (RAW_START_US + (k - 1) * RAW_PERIOD_US) % TICKS_PERIOD
            service.send_raw(samples, RAW_BURST, t_end_us, ACCEL_LSB_PER_G, GYRO_LSB_PER_DPS)
        await asyncio.sleep(RAW_BURST * RAW_PERIOD_US / 1000000)


async def main(args):
    state = option(args, "--state", None)
    if state is None:
        print("usage: lumbo_device.py --state DIR [--first-window-s S] [--adv-interval-us US] [--addr-mode N]")
        sys.exit(2)
    log = DevLog(state + "/log")
    store = SettingsStore(state + "/settings")
    bonds = BondStore(state + "/bonds")
    wearer = Wearer()
    service = BleService(bluetooth.BLE(), log, store, bonds, PairingWindow(time.ticks_ms), Actions(log, wearer),
                         board="emulated", adv_interval_us=int(option(args, "--adv-interval-us", "20000")),
                         first_window_s=int(option(args, "--first-window-s", "300")),
                         addr_mode=int(option(args, "--addr-mode", "2")))
    service.start()
    print(f"ready {len(log)} {log.next_seq}")
    status = asyncio.create_task(status_every_second(service, log, wearer, state + "/inbox"))
    raw = asyncio.create_task(raw_samples(service))
    await service.run()
    status.cancel()
    raw.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
