"""The radio's schedule: Bluetooth on for a short window every BLE_SYNC_PERIOD_S, and at once for a prompt.

MicroPython on the ESP32 cannot light-sleep while Bluetooth is active, and the board awake draws about 30
mA, so a radio left on all day empties a 400 mAh cell in half a day. With the radio off between syncs the
board sleeps between IMU bursts and lasts the week (`lumbo power-budget` works it out from the constants
below). The cost: records reach the host up to BLE_SYNC_PERIOD_S late. Prompts do not wait: a prompt turns
the radio on at once, and the host shows it as soon as it has connected.

A window: the service starts (advertising), a bonded host connects, subscribes, sets the clock and syncs.
The radio goes off BLE_LINGER_S after a host has acknowledged everything up to the newest record (long
enough for the host's command that answers a prompt, such as a snooze; records logged during the window
go in the next), or BLE_SYNC_WINDOW_S after it came
on (or a host left) with nobody connected, and never stays on longer than BLE_MAX_ON_S.

The radio's own deadlines run on the radio's clock (`radio_ticks_ms`, time.ticks_ms on the board), not on
the device clock: the link is real even when the emulation runs the wearer's day faster.
"""

import asyncio
import time

from micropython import const

from lumbo_fw.clock import pause_ms

BLE_SYNC_PERIOD_S = const(900)  # device seconds between syncs: records reach the host within 15 minutes
BLE_SYNC_WINDOW_S = const(20)  # radio seconds on, waiting for a host, per sync or prompt
BLE_LINGER_S = const(5)  # radio seconds connected after a host has acknowledged the newest record
BLE_MAX_ON_S = const(120)  # radio seconds on at most per window, whatever a host does
# While connected: the status once a second and a minute summary (the power budget multiplies this by the
# share of time the radio is on).
BLE_NOTIFY_PER_MIN = const(61)
_POLL_MS = const(20)  # between looks at the service while the radio is on


class Radio:
    """Decides when the service runs. `always_on` keeps it on (a bench setup with power to spare)."""

    def __init__(self, service, log, radio_ticks_ms, period_s=BLE_SYNC_PERIOD_S, window_s=BLE_SYNC_WINDOW_S,
                 linger_s=BLE_LINGER_S, max_on_s=BLE_MAX_ON_S, always_on=False, say=print, poll_ms=_POLL_MS):
        self.service = service
        self.say = say
        self.log = log
        self._ticks_ms = radio_ticks_ms
        self.period_s = period_s
        self.window_ms = window_s * 1000
        self.linger_ms = linger_s * 1000
        self.max_on_ms = max_on_s * 1000
        self.always_on = always_on
        self.poll_ms = poll_ms
        self.on = False
        self.windows = 0
        self.failures = 0
        self._last_window_t_s = None  # device second the last window began
        self._status = None
        self._wake = None  # asyncio.Event, made in run() (an Event belongs to the running loop)
        self._requested = False

    # -- reasons to come on -------------------------------------------------------------------------------

    def request(self):
        """Come on as soon as possible (a prompt, the pairing button, the first start)."""
        self._requested = True
        if self._wake is not None:
            self._wake.set()

    def second(self, t_s):
        """Once a device second: a sync is due every period_s."""
        if self.on:
            return
        if self._last_window_t_s is None:
            self._last_window_t_s = t_s
        elif t_s - self._last_window_t_s >= self.period_s:
            self.request()

    def status(self, state, tilt_cdeg, bout_s, battery_pct, flags, t_s):
        """The live status; notified to connected hosts at once, kept for the next window otherwise."""
        self._status = (state, tilt_cdeg, bout_s, battery_pct, flags, t_s)
        if self.on:
            self.service.set_status(state, tilt_cdeg, bout_s, battery_pct, flags, t_s)

    # -- the task -----------------------------------------------------------------------------------------

    def _acked_to(self, head, since_use):
        """Whether a host acknowledged (since the log's use counter was since_use) every record up to head."""
        for _host_id, acked, _lost, use in self.log.hosts():
            if use > since_use and acked >= head:
                return True
        return False

    def _latest_use(self):
        latest = 0
        for host in self.log.hosts():
            if host[3] > latest:
                latest = host[3]
        return latest

    async def run(self, t_s_now):
        """The radio's task. t_s_now: a callable giving the device second now."""
        self._wake = asyncio.Event()
        while True:
            if not (self.always_on or self._requested):
                await self._wake.wait()
            self._wake.clear()
            self._requested = False
            self._last_window_t_s = t_s_now()
            await self._window()

    async def _window(self):
        service = self.service
        ticks = self._ticks_ms
        try:
            service.start()
        except OSError as exc:
            self.failures += 1
            self.say("lumbo: the radio did not start (%s); trying again at the next sync" % exc)
            return
        self.on = True
        self.windows += 1
        if self._status is not None:
            service.set_status(*self._status)
        on_at = ticks()
        idle_since = on_at  # nobody connected since then
        synced_at = None
        use_at_start = self._latest_use()
        head_at_start = self.log.next_seq - 1  # records logged during the window wait for the next one
        try:
            while True:
                busy = service.poll()
                now = ticks()
                if service.bonded_links():
                    idle_since = now
                    if synced_at is None and self._acked_to(head_at_start, use_at_start):
                        synced_at = now
                elif synced_at is not None or time.ticks_diff(now, idle_since) > self.window_ms:
                    if not self.always_on:
                        return  # the host left after syncing, or nobody came
                if not self.always_on:
                    if synced_at is not None and time.ticks_diff(now, synced_at) > self.linger_ms:
                        return
                    if time.ticks_diff(now, on_at) > self.max_on_ms:
                        return
                await pause_ms(0 if busy else self.poll_ms)
        finally:
            service.stop()
            self.on = False
