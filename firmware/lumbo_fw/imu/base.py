"""What every IMU driver shares: settings, bus transfers with retries, the fault state machine, reading
the FIFO into a Burst, the temperature, and the axis mapping into the board's frame.

A family module (invensense, st) supplies the registers; a chip class supplies its identity and scales.

Faults. A transfer that fails is retried (_RETRIES more times). When it still fails, or the chip is found
to have lost its configuration (it reset itself: no samples arrive and its registers read back wrong), or
it answers with another identity, the driver enters a fault: `fault` names the kind (FAULT_*),
`faults` counts the episodes, `take_event()` hands out EVENT_SENSOR_FAULT once per episode, and `read()`
returns empty bursts while the driver re-initialises the chip with a growing back-off (0.1 s doubling to
5 s), so a dead bus costs little time. When re-initialisation succeeds, samples flow again, `fault` is
FAULT_NONE and `recoveries` counts it. The device keeps running throughout.

FIFO overflow (the reader fell behind) is counted in `Burst.overflows` and the FIFO is realigned to
whole samples before any are used: never are axes or samples silently shifted. A FIFO data read that
fails is not repeated (it may have taken bytes out of the FIFO): that burst is given up and counted in
`dropped`, and the next read starts on a whole sample again.
"""

import time

from micropython import const

from lumbo_fw.burst import Burst
from lumbo_fw.imu.decode import make_plan
from lumbo_shared.vocab import EVENT_SENSOR_FAULT

FAULT_NONE = const(0)
FAULT_BUS = const(1)  # transfers failed even after retries: no acknowledge, or the bus hangs
FAULT_IDENTITY = const(2)  # the chip answers WHO_AM_I with another value
FAULT_RESET = const(3)  # the chip lost its configuration (a reset or brown-out)
FAULT_STALL = const(4)  # configured, but no samples arrive
FAULT_NAMES = ("none", "bus", "identity", "reset", "stall")

MODE_OFF = const(0)
MODE_MEASURE = const(1)
MODE_WAKE_ON_MOTION = const(2)

# One retry catches a glitch; a third try covers a transfer that collided with the chip's own reset.
_RETRIES = const(2)
_BACKOFF_FIRST_MS = const(100)
_BACKOFF_MAX_MS = const(5000)
_TEMPERATURE_EVERY_MS = const(1000)
# No samples for this many sample periods (and at least _STALL_MIN_MS) means something is wrong.
_STALL_PERIODS = const(12)
_STALL_MIN_MS = const(250)

DEFAULT_RATE_HZ = const(50)
DEFAULT_ACCEL_RANGE_G = const(4)
DEFAULT_GYRO_RANGE_DPS = const(500)
DEFAULT_AXES = "+x+y+z"
DEFAULT_MAX_SAMPLES = const(64)


class ImuError(Exception):
    """The IMU cannot be used as asked; the message says what was found and what to do."""


def parse_axes(text):
    """'+x+y+z' style mounting: which chip axis (and sign) is the board's x, y and z.

    Returns ((axis, negate), (axis, negate), (axis, negate)). Only rotations are accepted: each chip
    axis used once, and no mirror image (a mounting cannot turn a sensor inside out)."""
    if not isinstance(text, str) or len(text) != 6:
        raise ImuError("axes %r must be three signed chip axes, such as '+x+y+z' or '-y+x+z'" % (text,))
    axes = []
    for i in range(3):
        sign = text[2 * i]
        name = text[2 * i + 1]
        if sign not in "+-" or name not in "xyz":
            raise ImuError("axes %r must be three signed chip axes, such as '+x+y+z' or '-y+x+z'" % (text,))
        axes.append(("xyz".index(name), sign == "-"))
    if len(set(a for a, _ in axes)) != 3:
        raise ImuError("axes %r uses a chip axis twice; each of x, y and z must appear once" % (text,))
    # The determinant of a signed permutation: the permutation's parity times the product of the signs.
    perm = [a for a, _ in axes]
    inversions = sum(1 for i in range(3) for j in range(i + 1, 3) if perm[i] > perm[j])
    negatives = sum(1 for _, n in axes if n)
    if (inversions + negatives) % 2:
        raise ImuError("axes %r describe a mirror image, which no mounting can give; flip one sign" % (text,))
    return tuple(axes)


class Imu:
    NAME = "IMU"
    WHO_AM_I_REG = 0x00
    WHO_AM_I = 0x00
    ADDRESSES: tuple = ()
    # A FIFO is read in units (a whole sample, or one tagged entry): bytes per unit, units per sample,
    # and spare units a read may take beyond max_samples' worth. LAYOUT: where each value sits in a
    # sample (see decode.make_plan).
    UNIT_BYTES = 12
    UNITS_PER_SAMPLE = 1
    EXTRA_UNITS = 0
    LAYOUT = ((0, 2, 4, 6, 8, 10), True)
    # Typical noise at the configured bandwidth (datasheet density x sqrt of the noise bandwidth).
    GYRO_NOISE_MDPS = 50
    ACCEL_NOISE_UG = 2000
    # The level of the interrupt pin when motion wakes the chip (every driver sets it push-pull, active high).
    wake_level = 1

    def __init__(self, i2c, address, clock=None, axes=DEFAULT_AXES, rate_hz=DEFAULT_RATE_HZ,
                 accel_range_g=DEFAULT_ACCEL_RANGE_G, gyro_range_dps=DEFAULT_GYRO_RANGE_DPS,
                 max_samples=DEFAULT_MAX_SAMPLES):
        """i2c: a machine.I2C (or anything with readfrom_mem_into and writeto_mem); clock: anything with
        ticks_us() and sleep_ms() (the `time` module by default); max_samples: the most samples one
        read() takes, which must not exceed the capacity of the Burst it fills."""
        if max_samples < 1:
            raise ImuError("max_samples must be at least 1")
        self._i2c = i2c
        self.address = address
        self._clock = time if clock is None else clock
        self.axes = axes
        self._axes = parse_axes(axes)
        self.rate_hz = rate_hz
        self.accel_range_g = accel_range_g
        self.gyro_range_dps = gyro_range_dps
        self._check_settings()
        self.max_samples = max_samples
        self._plan = make_plan(self.LAYOUT, self.UNIT_BYTES * self.UNITS_PER_SAMPLE, self._axes)
        self.max_units = max_samples * self.UNITS_PER_SAMPLE + self.EXTRA_UNITS
        self._buf = bytearray(self.max_units * self.UNIT_BYTES)
        whole = memoryview(self._buf)
        self._views = [whole[: k * self.UNIT_BYTES] for k in range(self.max_units + 1)]
        self._one = bytearray(1)
        self._two = bytearray(2)
        self._four = bytearray(4)
        self._wbuf = bytearray(1)
        # Set by configure(): scales, actual rate.
        self.accel_lsb_per_g = 1.0
        self.gyro_lsb_per_dps = 1.0
        self.sample_period_us = 1000000 // rate_hz
        self.mode = MODE_OFF
        # Health and counters.
        self.fault = FAULT_NONE
        self.faults = 0
        self.recoveries = 0
        self.bus_errors = 0
        self.overflows = 0
        self.dropped = 0
        self.last_errno = 0
        self._event = 0
        self._backoff_ms = _BACKOFF_FIRST_MS
        self._retry_at = 0
        self._last_data_us = 0
        self._stall_us = 0
        self.temp_cdeg = 0
        self._temp_at = 0

    # -- public ----------------------------------------------------------------------------------------

    def configure(self):
        """Identify, reset and configure the chip and start its FIFO. Raises ImuError if the chip is
        another part, OSError if the bus fails (both at start-up only; later faults are handled)."""
        self._setup()

    def read(self, burst):
        """Fill burst with the samples waiting in the FIFO (up to max_samples); return how many.

        Never raises on a chip or bus fault: it reports the fault (see the module's docstring) and
        returns 0. burst.t_end_us is the time of the read."""
        clock = self._clock
        now = clock.ticks_us()
        burst.count = 0
        burst.t_end_us = now
        if burst.accel_lsb_per_g != self.accel_lsb_per_g or burst.gyro_lsb_per_dps != self.gyro_lsb_per_dps:
            burst.set_scale(self.accel_lsb_per_g, self.gyro_lsb_per_dps)
        if self.fault:
            if time.ticks_diff(now, self._retry_at) < 0:
                return 0
            if not self._recover(now):
                return 0
        if self.mode != MODE_MEASURE:
            return 0
        try:
            n = self._read_fifo(burst)
        except OSError as exc:
            self._fail(FAULT_BUS, now, exc)
            return 0
        if n:
            self._last_data_us = now
        elif time.ticks_diff(now, self._last_data_us) > self._stall_us:
            self._check_alive(now)
            return 0
        burst.count = n
        if time.ticks_diff(now, self._temp_at) >= 0:
            self._temp_at = time.ticks_add(now, _TEMPERATURE_EVERY_MS * 1000)
            try:
                self.temp_cdeg = self._read_temperature()
            except OSError as exc:
                self._fail(FAULT_BUS, now, exc)  # the samples already read are good: hand them on
        return n

    def take_event(self):
        """EVENT_SENSOR_FAULT once for each new fault episode, else 0."""
        event = self._event
        self._event = 0
        return event

    def enable_wake_on_motion(self, threshold_mg):
        """Stop sampling and wait in the chip's low-power mode for motion above threshold_mg; the
        chip's interrupt pin goes to `wake_level` (and motion_pending() turns true) when it comes."""
        if threshold_mg <= 0:
            raise ImuError("the wake-on-motion threshold must be positive, got %r mg" % (threshold_mg,))
        self._enter_wake(threshold_mg)
        self.mode = MODE_WAKE_ON_MOTION

    def motion_pending(self):
        """True once motion has woken the chip (reads and clears the chip's motion flag)."""
        return self._motion_flag()

    def resume(self):
        """Back to measuring after wake-on-motion: the chip is reset and configured afresh."""
        now = self._clock.ticks_us()
        try:
            self._setup()
        except OSError as exc:
            self._fail(FAULT_BUS, now, exc)
        except ImuError:
            self._fail(FAULT_IDENTITY, now, None)

    def status(self):
        """A summary for logs and the BLE status: allocates, so call it rarely."""
        return {
            "chip": self.NAME, "address": self.address, "fault": FAULT_NAMES[self.fault], "faults": self.faults,
            "recoveries": self.recoveries, "bus_errors": self.bus_errors, "overflows": self.overflows,
            "dropped": self.dropped, "temp_cdeg": self.temp_cdeg, "rate_hz": 1000000 // self.sample_period_us,
        }

    # -- what a family provides ------------------------------------------------------------------------

    def _check_settings(self):
        raise NotImplementedError

    def _configure_chip(self):
        """Reset and configure the chip, set the scales and sample_period_us, start the FIFO."""
        raise NotImplementedError

    def _read_fifo(self, burst):
        raise NotImplementedError

    def _config_intact(self):
        raise NotImplementedError

    def _read_temperature(self):
        raise NotImplementedError

    def _enter_wake(self, threshold_mg):
        raise NotImplementedError

    def _motion_flag(self):
        raise NotImplementedError

    def _read_data(self, register, buf, units):
        """Read FIFO data, once: a failed read may have taken bytes out of the FIFO, so it is not
        repeated. The burst is given up (its units counted in `dropped`), the family makes sure the
        next read starts on a whole sample, and True is returned."""
        try:
            self._i2c.readfrom_mem_into(self.address, register, buf)
            return False
        except OSError as exc:
            self.bus_errors += 1
            self.last_errno = exc.args[0] if exc.args else 0
        self.dropped += units
        self._after_bus_error()
        return True

    def _after_bus_error(self):
        """A FIFO read was cut short: make sure the next read starts on a whole sample."""

    # -- bus -------------------------------------------------------------------------------------------

    def _rd(self, register, buf):
        tries = 0
        while True:
            try:
                self._i2c.readfrom_mem_into(self.address, register, buf)
                return
            except OSError as exc:
                self.bus_errors += 1
                self.last_errno = exc.args[0] if exc.args else 0
                tries += 1
                if tries > _RETRIES:
                    raise

    def _rd8(self, register):
        self._rd(register, self._one)
        return self._one[0]

    def _wr8(self, register, value):
        self._wbuf[0] = value
        tries = 0
        while True:
            try:
                self._i2c.writeto_mem(self.address, register, self._wbuf)
                return
            except OSError as exc:
                self.bus_errors += 1
                self.last_errno = exc.args[0] if exc.args else 0
                tries += 1
                if tries > _RETRIES:
                    raise

    def _sleep_ms(self, ms):
        self._clock.sleep_ms(ms)

    # -- life cycle ------------------------------------------------------------------------------------

    def _identify(self):
        found = self._rd8(self.WHO_AM_I_REG)
        if found != self.WHO_AM_I:
            raise ImuError(
                "the chip at 0x%02x answered WHO_AM_I (register 0x%02x) with 0x%02x, not the %s's 0x%02x: "
                "another part is fitted, or the bus is unreliable; check the wiring and the part"
                % (self.address, self.WHO_AM_I_REG, found, self.NAME, self.WHO_AM_I)
            )

    def _setup(self):
        self._identify()
        self.mode = MODE_OFF
        self._configure_chip()
        self.mode = MODE_MEASURE
        now = self._clock.ticks_us()
        self._last_data_us = now
        self._temp_at = now
        self._stall_us = max(_STALL_MIN_MS * 1000, _STALL_PERIODS * self.sample_period_us)

    def _fail(self, kind, now, exc):
        if not self.fault:
            self.faults += 1
            self._event = EVENT_SENSOR_FAULT
            self._backoff_ms = _BACKOFF_FIRST_MS
        else:
            self._backoff_ms = min(2 * self._backoff_ms, _BACKOFF_MAX_MS)
        self.fault = kind
        self._retry_at = time.ticks_add(now, self._backoff_ms * 1000)

    def _recover(self, now):
        try:
            self._setup()
        except OSError as exc:
            self._fail(FAULT_BUS, now, exc)
            return False
        except ImuError:
            self._fail(FAULT_IDENTITY, now, None)
            return False
        self.fault = FAULT_NONE
        self.recoveries += 1
        return True

    def _check_alive(self, now):
        """No samples for a while: has the chip lost its configuration?"""
        try:
            intact = self._config_intact()
        except OSError as exc:
            self._fail(FAULT_BUS, now, exc)
            return
        self._fail(FAULT_STALL if intact else FAULT_RESET, now, None)
        # A reset chip is set up again straight away; a stalled one after the back-off.
        if not intact:
            self._recover(now)


def new_burst(imu):
    """A Burst sized for the driver's largest read."""
    return Burst(imu.max_samples)
