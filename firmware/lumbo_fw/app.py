"""The device application: five asyncio tasks around the processing chain, the device log and the radio.

    parts = app.Parts(i2c, clock, ble, sleeper, "/data", ...)    # made by main.py: hardware, clock, radio
    app.App(parts).run()                                          # never returns

Tasks, joined by one preallocated Burst and the record queue:

- sampler: reads the IMU's FIFO every FIFO_WATERMARK_SAMPLES samples into the Burst and hands it on; in
  between it light-sleeps when nothing else needs the CPU and the radio is off (MicroPython cannot
  light-sleep with Bluetooth on), else it lets the other tasks run.
- processor: the chain in lumbo_fw.processor (gyro bias, tilt filter, features; posture, routines, bouts
  and the minute summary once a second); records go to the queue.
- logger: writes queued records to the device log on flash (and so, live, to a connected host).
- radio: lumbo_fw.radio's schedule, the GATT service while it is on.
- power: when the sensor has lain still for not_worn_after_s (and the classifier agrees it is off the
  body), the IMU waits for motion and the board sleeps; the bout timer and minute summaries run on.

Files under the data folder (`/data` on the board; `lumbo flash` never touches it): `log/` (the device log),
`settings`, `bonds`, `calibration`.
"""

import asyncio
import gc
import os
import time

from micropython import const

from lumbo_fw import board, imu
from lumbo_fw.ble_security import PAIRING_WINDOW_S, BondStore, PairingWindow
from lumbo_fw.ble_service import ADDR_MODE_RPA, ADV_INTERVAL_US, BleService
from lumbo_fw.calibration import CalibrationStore
from lumbo_fw.clock import pause_ms
from lumbo_fw.devlog import DevLog
from lumbo_fw.power import PowerManager
from lumbo_fw.processor import Processor
from lumbo_fw.radio import Radio
from lumbo_fw.records import RecordQueue
from lumbo_fw.resume import last_run
from lumbo_fw.settings_store import SettingsStore
from lumbo_shared import protocol, vocab

# Samples the IMU's FIFO gathers between reads: half a second at 50 Hz, so the board wakes twice a
# second. Every supported FIFO holds at least 42 samples, so a read that comes a little late loses nothing.
FIFO_WATERMARK_SAMPLES = const(25)
# The calibration is written to flash this often (device seconds), and after each calibration stance.
_CALIBRATION_SAVE_S = const(900)
# With the radio on, the power task looks for motion this often instead of light-sleeping.
_AWAKE_POLL_MS = const(1000)
# A sensor that gives nothing this long makes the seconds count as unknown (the bout timer runs on).
_SILENT_MS = const(2000)
# The button held this many seconds opens the pairing window.
_PAIRING_HOLD_S = const(3)
_DAY_S = const(86400)
_LOG_RESOLUTION_S = const(60)
# A clock already set is not moved by less than this: a host's time arrives a connection interval or two
# late, and the device's crystal drifts by less than 2 s a day.
_CLOCK_TOLERANCE_S = const(3)


class Parts:
    """What main.py makes and hands over: the hardware, the clock and the radio.

    i2c: the IMU's bus; clock: see lumbo_fw.clock; ble: bluetooth.BLE(); sleeper: light sleep
    (lumbo_fw.power.Esp32LightSleep on the board); data_dir: the wearer's folder; board_name: a key of
    lumbo_fw.board.BOARDS; wake_pin, haptic_pin, button_pin: machine.Pin objects or None; battery: an
    object with percent() or None; radio_ticks_ms: the clock the radio's deadlines run on (time.ticks_ms);
    adv_interval_us, first_window_s, addr_mode: the GATT service's (a test rig advertises faster);
    imu_axes: the IMU's mounting (board.IMU_AXES by default); say: where status lines go (print).
    """

    def __init__(self, i2c, clock, ble, sleeper, data_dir, board_name=board.DEFAULT_BOARD, wake_pin=None,
                 haptic_pin=None, button_pin=None, battery=None, radio_ticks_ms=time.ticks_ms,
                 adv_interval_us=ADV_INTERVAL_US, first_window_s=PAIRING_WINDOW_S, addr_mode=ADDR_MODE_RPA,
                 imu_axes=None, radio_always_on=False, say=print):
        self.i2c = i2c
        self.clock = clock
        self.ble = ble
        self.sleeper = sleeper
        self.data_dir = data_dir
        self.board_name = board_name
        self.wake_pin = wake_pin
        self.haptic_pin = haptic_pin
        self.button_pin = button_pin
        self.battery = battery
        self.radio_ticks_ms = radio_ticks_ms
        self.adv_interval_us = adv_interval_us
        self.first_window_s = first_window_s
        self.addr_mode = addr_mode
        self.imu_axes = imu_axes
        self.radio_always_on = radio_always_on
        self.say = say


class _AwakeSleeper:
    """Stands in for light sleep while the radio is on: looks at the wake pin once and returns."""

    def sleep_until(self, pin, level, max_ms):
        return pin is not None and pin.value() == level


def _mkdir(path):
    try:
        os.stat(path)
    except OSError:
        os.mkdir(path)


class App:
    def __init__(self, parts):
        self.parts = parts
        self.clock = parts.clock
        self.say = parts.say
        data = parts.data_dir
        _mkdir(data)
        self.settings = SettingsStore(data + "/settings")
        values = self.settings.values
        pins = board.board(parts.board_name)
        axes = parts.imu_axes if parts.imu_axes is not None else board.IMU_AXES[parts.board_name]
        self.imu = imu.detect(parts.i2c, pins, clock=parts.clock, axes=axes, rate_hz=values["imu_rate_hz"])
        self.imu.configure()
        self.burst = imu.new_burst(self.imu)
        self.log = DevLog(data + "/log")
        self.records = RecordQueue()
        self.records.overflow = self._write_out
        self.records.listener = self._on_event
        self.records.written = self._on_written
        self.processor = Processor(self.imu, self.records, values)
        self.processor.on_second = self._on_second
        self.calibration = CalibrationStore(data + "/calibration")
        self.calibration.restore(self.processor)
        self.clock_set = False
        self.utc_offset_min = 0
        self._resume()
        self.bonds = BondStore(data + "/bonds")
        self.pairing = PairingWindow(parts.radio_ticks_ms)
        self.service = BleService(parts.ble, self.log, self.settings, self.bonds, self.pairing, self,
                                         board=parts.board_name, adv_interval_us=parts.adv_interval_us,
                                         first_window_s=parts.first_window_s, addr_mode=parts.addr_mode)
        self.radio = Radio(self.service, self.log, parts.radio_ticks_ms, always_on=parts.radio_always_on,
                           say=parts.say)
        self.power = PowerManager(self.imu, self.processor.motion, parts.sleeper, parts.wake_pin,
                                  not_worn_after_s=values["not_worn_after_s"])
        self.asleep = False
        self.rate_pending_hz = 0  # an IMU rate the host set, used from the next start
        self._awake_sleeper = _AwakeSleeper()
        self._silent_ms = 0
        self._button_held_s = 0
        self._haptic_until_ms = None
        self._calibration_due = False
        self._last_save_s = self.processor.t_s
        self._prompt_probe = None  # (t_s, burst read us, decided us) of a prompt not yet written out
        self.heap_max_used = 0
        # The tasks' meeting points.
        self._burst_ready = asyncio.Event()  # the sampler filled the Burst
        self._burst_done = asyncio.Event()  # the processor is through with it
        self._records_waiting = asyncio.Event()  # records queued for the log
        self._sleep_now = asyncio.Event()  # off the body: the power task takes over
        self._woke = asyncio.Event()  # worn again: the sampler goes on

    # -- start-up: where the last run stopped ----------------------------------------------------------

    def _resume(self):
        """Pick up the time and an open sitting bout from the log (see lumbo_fw.resume)."""
        processor = self.processor
        now = self.clock.epoch_s()
        self.clock_set = now >= 0
        last = last_run(self.log)
        if now < 0:
            # The real-time clock was lost: carry on from the last record (a lower bound) until a host sets it.
            now = last.last_t_s + 1 if last.last_t_s >= 0 else 0
        # Device seconds start at now's second of the minute, so minute summaries fall on whole minutes.
        processor.t_s = now % 60
        self.records.epoch_base_s = now - processor.t_s
        outage_s = now - last.last_t_s if last.last_t_s >= 0 else -1
        resumed = 0
        if last.bout_start_s >= 0:
            # The log shows the device running up to its last record; it may have run up to a minute beyond
            # (a minute's summary is written when the minute ends). An outage that could have been shorter
            # than a break does not end the bout.
            if self.clock_set and 0 <= outage_s < processor.bouts.settings.break_min_s + _LOG_RESOLUTION_S:
                processor.bouts.resume(processor.t_s, last.bout_start_s - self.records.epoch_base_s, last.prompts)
                resumed = 1
            else:
                # Off too long to know what the wearer did: the bout ended with the last record.
                self.log.event(last.last_t_s, vocab.EVENT_BOUT_END, last.last_t_s - last.bout_start_s, outage_s)
        self.log.event(now, vocab.EVENT_BOOT, outage_s, resumed)

    # -- what the BLE service asks for (its `actions`) ---------------------------------------------------

    def calibrate(self):
        self.processor.calibrate()
        self._calibration_due = True

    def set_time(self, epoch_s, utc_offset_min):
        old = self.records.epoch_base_s + self.processor.t_s
        if self.clock_set and -_CLOCK_TOLERANCE_S <= epoch_s - old <= _CLOCK_TOLERANCE_S:
            # Right to within what the link's delay makes of the host's reading: keep the time line steady.
            self.utc_offset_min = utc_offset_min
            self.processor.set_local_offset((self.records.epoch_base_s + 60 * utc_offset_min) % _DAY_S)
            return
        try:
            self.clock.set_epoch_s(epoch_s)
        except ValueError:
            pass  # a board without a settable RTC keeps the offset below only
        self.records.epoch_base_s = epoch_s - self.processor.t_s
        self.clock_set = True
        self.utc_offset_min = utc_offset_min
        self.processor.set_local_offset((self.records.epoch_base_s + 60 * utc_offset_min) % _DAY_S)
        change = epoch_s - old
        if change > 0x7FFFFFFF or change < -0x7FFFFFFF:
            change = 0x7FFFFFFF if change > 0 else -0x7FFFFFFF
        self.records.event(self.processor.t_s, vocab.EVENT_CLOCK_SET, change, utc_offset_min)
        self._records_ready()

    def snooze(self, duration_s):
        self.processor.snooze(duration_s)
        self._records_ready()

    def raw_stream(self, on):
        self.processor.raw_out = self._send_raw if on else None

    def factory_reset(self):
        try:
            os.remove(self.calibration.path)
        except OSError:
            pass
        self.processor.mounting.forget()
        self.processor.tilt.reset()

    def settings_changed(self, values):
        self.processor.apply_settings(values)
        self.power.not_worn_after_s = values["not_worn_after_s"]
        if values["imu_rate_hz"] != self.imu.rate_hz:
            self.rate_pending_hz = values["imu_rate_hz"]  # the filters are sized for the rate: next start
        self.records.event(self.processor.t_s, vocab.EVENT_SETTINGS_CHANGED, self.rate_pending_hz, 0)
        self._records_ready()

    # -- glue ----------------------------------------------------------------------------------------

    def _send_raw(self, burst):
        self.service.send_raw(burst.samples, burst.count, burst.t_end_us, int(burst.accel_lsb_per_g + 0.5),
                              int(burst.gyro_lsb_per_dps + 0.5))

    def _write_out(self, queue):
        queue.write_to(self.log)

    def _records_ready(self):
        self._records_waiting.set()

    def _on_event(self, kind, a, b):
        if kind == vocab.EVENT_PROMPT:
            self._prompt_probe = (self.records.epoch_base_s + self.processor.t_s, self.burst.t_end_us,
                                  self.clock.ticks_us())
            self.radio.request()
            self._buzz()
        elif kind == vocab.EVENT_CALIBRATED:
            self._calibration_due = True

    def _on_written(self, kind):
        probe = self._prompt_probe
        if kind == vocab.EVENT_PROMPT and probe is not None:
            # The prompt is in the log, and so notified to every bonded host connected now: the timing line
            # `lumbo bench e2e` reads (device microseconds, wrapping as ticks do).
            self._prompt_probe = None
            self.say("lumbo prompt t=%d read_us=%d decided_us=%d logged_us=%d" % (
                probe[0], probe[1], probe[2], self.clock.ticks_us()))

    def _buzz(self):
        pin = self.parts.haptic_pin
        if pin is None or not self.settings.values["haptic"]:
            return
        pin.value(1)
        self._haptic_until_ms = time.ticks_add(self.parts.radio_ticks_ms(), 400)

    def _on_second(self, t_s):
        """After each device second's processing: status, the radio's schedule, the button, housekeeping."""
        p = self.processor
        battery = self.parts.battery
        flags = 0
        if p.prompt_active():
            flags |= protocol.STATUS_FLAG_PROMPT
        if p.snoozed():
            flags |= protocol.STATUS_FLAG_SNOOZED
        if p.calibrated():
            flags |= protocol.STATUS_FLAG_CALIBRATED
        if self.clock_set:
            flags |= protocol.STATUS_FLAG_CLOCK_SET
        self.radio.status(p.state, p.sagittal_cdeg, p.bout_s(), battery.percent() if battery else 255, flags,
                          self.records.epoch_base_s + t_s)
        self.radio.second(t_s)
        button = self.parts.button_pin
        if button is not None:
            self._button_held_s = self._button_held_s + 1 if button.value() == 0 else 0
            if self._button_held_s == _PAIRING_HOLD_S:
                self.service.open_pairing_window(PAIRING_WINDOW_S)
                self.radio.request()
        if t_s - self._last_save_s >= _CALIBRATION_SAVE_S:
            self._calibration_due = True
        if t_s % 60 == 0:
            # Once a minute: a line for the console, with the heap in use after a collection (what the
            # firmware really holds, garbage aside).
            gc.collect()
            used = gc.mem_alloc()
            if used > self.heap_max_used:
                self.heap_max_used = used
            self.say("lumbo t=%d state=%s bout_s=%d records=%d heap_used=%d radio=%s" % (
                self.records.epoch_base_s + t_s, vocab.state_name(p.state), p.bout_s(), self.log.next_seq - 1,
                used, "on" if self.radio.on else "off"))

    # -- the tasks --------------------------------------------------------------------------------------

    def _may_light_sleep(self):
        return not (self.radio.on or len(self.records) or self._haptic_until_ms is not None)

    async def _between_bursts(self, ms):
        if self._may_light_sleep():
            self.parts.sleeper.sleep_until(None, 0, ms)
            await pause_ms(0)
        else:
            await self.clock.wait_ms(ms)

    async def sampler(self):
        imu_ = self.imu
        burst = self.burst
        period_ms = FIFO_WATERMARK_SAMPLES * 1000 // imu_.rate_hz
        while True:
            if self.asleep:
                await self._woke.wait()
                self._woke.clear()
                continue
            n = imu_.read(burst)
            fault = imu_.take_event()
            if fault:
                self.records.event(self.processor.t_s, fault, imu_.fault, imu_.last_errno)
                self._records_ready()
            if n:
                self._silent_ms = 0
                self._burst_ready.set()
                await self._burst_done.wait()
                self._burst_done.clear()
            else:
                self._silent_ms += period_ms
                if self._silent_ms >= _SILENT_MS:
                    self._silent_ms -= 1000
                    self.processor.idle_seconds(1, vocab.STATE_UNKNOWN)
                    self._records_ready()
            if self._haptic_until_ms is not None and time.ticks_diff(self.parts.radio_ticks_ms(),
                                                                     self._haptic_until_ms) >= 0:
                self.parts.haptic_pin.value(0)
                self._haptic_until_ms = None
            await self._between_bursts(period_ms)

    async def process(self):
        processor = self.processor
        power = self.power
        while True:
            await self._burst_ready.wait()
            self._burst_ready.clear()
            processor.burst(self.burst)
            self._burst_done.set()
            if len(self.records):
                self._records_waiting.set()
            power.update()
            if power.not_worn and processor.state == vocab.STATE_NOT_WORN and not self.asleep:
                self.asleep = True
                self._sleep_now.set()

    async def logger(self):
        while True:
            await self._records_waiting.wait()
            self._records_waiting.clear()
            while len(self.records):
                self.records.write_to(self.log, 4)
                await pause_ms(0)
            if self._calibration_due:
                self._calibration_due = False
                self._last_save_s = self.processor.t_s
                try:
                    self.calibration.save(self.processor)
                except OSError as exc:
                    self.say("lumbo: could not save the calibration (%s); it is kept in memory" % exc)

    async def power_task(self):
        power = self.power
        clock = self.clock
        while True:
            await self._sleep_now.wait()
            self._sleep_now.clear()
            last_ms = clock.ticks_ms()
            carry_ms = 0
            while self.asleep:
                if self.radio.on:
                    power.sleeper = self._awake_sleeper
                    await clock.wait_ms(_AWAKE_POLL_MS)
                else:
                    power.sleeper = self.parts.sleeper
                woke = power.sleep()
                now_ms = clock.ticks_ms()
                carry_ms += time.ticks_diff(now_ms, last_ms)
                last_ms = now_ms
                if carry_ms >= 1000:
                    self.processor.idle_seconds(carry_ms // 1000)
                    carry_ms %= 1000
                if woke == vocab.EVENT_WORN:
                    self.asleep = False
                    self._woke.set()
                if len(self.records):
                    self._records_waiting.set()
                await pause_ms(0)

    async def main(self):
        self.radio.request()  # the first window: a host may be waiting to pair or sync
        self._records_ready()
        self.say("lumbo ready: %s, %d records, radio %s" % (
            self.imu.NAME, self.log.next_seq - 1, "always on" if self.radio.always_on else "on a schedule"))
        tasks = [asyncio.create_task(coro) for coro in (
            self.sampler(), self.process(), self.logger(), self.power_task(),
            self.radio.run(lambda: self.processor.t_s))]
        await asyncio.gather(*tasks)

    def run(self):
        asyncio.run(self.main())
