"""What every emulated IMU shares: registers, sampling on an injected clock, quantisation, faults."""

# What every emulated IMU shares: a register file behind the I2C device interface, a sampling clock that
# follows an injected clock, quantisation of the source's motion to the chip's counts, an interrupt line,
# and the faults a test can inject.
#
# A family module (invensense, st) describes its registers and FIFO; a chip class sets its identity.
#
# Time: the chip samples at its configured output rate from the moment sampling starts, on the clock it
# was given (`now_us()`, microseconds, never wrapping). Nothing happens between bus transfers: on each
# transfer (and on `poll()`) the chip catches up with every sample that fell due since the last one, in
# order, so the FIFO fills, overflows and raises interrupts as the real chip would have. A long absence
# is shortened to the samples that can still matter (enough to refill the FIFO), so an hour of sleep does
# not replay an hour of samples; in wake-on-motion mode every low-power sample is still examined.
#
# Faults (each documented at its method): `fail_transfers()` (the chip stops acknowledging: OSError
# ENODEV), `hang_bus()` (the chip holds SDA low: every transfer on the bus times out, OSError ETIMEDOUT),
# `reset_spontaneously()` (a brown-out: all registers back to their reset values, the FIFO emptied, the
# configuration lost), `set_identity()` (a different WHO_AM_I, as a wrong or counterfeit part answers),
# and FIFO overflow, which needs no injection: stop reading for longer than the FIFO holds.
#
# The register map is strict: a write to a register the emulator does not model raises EmulatorError, so a
# driver cannot rely on something the emulator silently ignores.

from array import array

import machine

ENODEV = machine.ENODEV
ETIMEDOUT = machine.ETIMEDOUT


class EmulatorError(Exception):
    """The driver did something the emulated chip does not model (or a real chip would not accept)."""


def quantise(value, num, den):
    """round(value * num / den) to the nearest count, halves away from zero, clipped to int16."""
    if value >= 0:
        q = (2 * value * num + den) // (2 * den)
    else:
        q = 0 - ((0 - 2 * value * num + den) // (2 * den))
    if q > 32767:
        return 32767
    if q < -32768:
        return -32768
    return q


class RegisterChip:
    NAME = "chip"
    ADDRESS = 0x68
    WHO_AM_I_REG = 0x75
    WHO_AM_I = 0x00
    # (register, value) pairs that differ from zero after a reset.
    RESET_VALUES = ()
    # Registers a driver may write (bytes: membership tests are cheap on both interpreters).
    WRITABLE = b""

    def __init__(self, source, clock, int_pin=None, temperature_cdeg=2500, clock_ppm=0):
        """source: a chips.frames.FrameSource; clock: anything with now_us(); int_pin: the board's pin
        number wired to the chip's interrupt output (or None); clock_ppm: how far the chip's own
        oscillator is off (+1000 samples 0.1 % fast)."""
        self.source = source
        self.clock = clock
        self.int_pin = int_pin
        self.temperature_cdeg = temperature_cdeg
        self.clock_ppm = clock_ppm
        self.regs = bytearray(256)
        self.identity = self.WHO_AM_I
        self.bus_id = None
        self.address = None
        self.frame = array("i", bytes(4 * 6))  # the source's motion at the current sample (ug, mdps)
        self.counts = array("i", bytes(4 * 6))  # the same, quantised to the chip's counts
        self._origin_us = clock.now_us()
        self._nack_left = 0
        self._int_level = 0
        # Counters a test can read.
        self.transfers = 0
        self.samples = 0
        self.resets = 0
        self.overflows = 0
        self._sampling = False
        self._period_ns = 0
        self._start_us = 0
        self._k = 0
        self._power_on_reset()

    # -- the machine.I2C device interface ------------------------------------------------------------

    def attached(self, bus_id, address):
        self.bus_id = bus_id
        self.address = address

    def read_into(self, register, buf):
        self._transfer()
        self._catch_up()
        self._read(register, buf)
        self._after_access()

    def write(self, register, buf):
        self._transfer()
        self._catch_up()
        i = 0
        n = len(buf)
        while i < n:
            if register not in self.WRITABLE:
                raise EmulatorError(
                    "driver wrote 0x%02x to register 0x%02x, which the %s emulator does not model"
                    % (buf[i], register, self.NAME)
                )
            self._write_register(register, buf[i])
            register = self._next_register(register)
            i += 1
        self._after_access()

    def poll(self):
        """Let time-driven state (samples, FIFO, interrupts) catch up with the clock."""
        self._catch_up()

    # -- faults ----------------------------------------------------------------------------------------

    def fail_transfers(self, count=-1):
        """Stop acknowledging: the next `count` transfers (all of them if -1, until clear_faults())
        raise OSError(ENODEV), as a chip that lost power or a loose wire does. Nothing in the chip
        changes on a refused transfer; samples keep being taken."""
        self._nack_left = count

    def hang_bus(self):
        """Hold SDA low: every transfer on this bus, to any address, times out (OSError ETIMEDOUT) and a
        scan finds nothing, until clear_faults(). The chip keeps sampling meanwhile."""
        if self.bus_id is None:
            raise EmulatorError("attach the chip to a bus before hanging it")
        machine.set_bus_fault(self.bus_id, "hang")

    def clear_faults(self):
        self._nack_left = 0
        if self.bus_id is not None:
            machine.set_bus_fault(self.bus_id, None)

    def reset_spontaneously(self):
        """A brown-out or glitch: every register returns to its reset value and the FIFO empties, as
        after power-on. The driver is not told; it must notice."""
        self._catch_up()
        self.resets += 1
        self._power_on_reset()

    def set_identity(self, value):
        """Answer WHO_AM_I with `value` from now on (a different or counterfeit part)."""
        self.identity = value
        self.regs[self.WHO_AM_I_REG] = value

    # -- what a family module provides ---------------------------------------------------------------

    def _reset_registers(self):
        regs = self.regs
        i = 0
        while i < 256:
            regs[i] = 0
            i += 1
        for register, value in self.RESET_VALUES:
            regs[register] = value
        regs[self.WHO_AM_I_REG] = self.identity

    def _power_on_reset(self):
        self._reset_registers()
        self._stop_sampling()
        self._set_int(0)

    def _read(self, register, buf):
        i = 0
        n = len(buf)
        while i < n:
            buf[i] = self._read_register(register)
            register = self._next_register(register)
            i += 1

    def _read_register(self, register):
        return self.regs[register]

    def _write_register(self, register, value):
        self.regs[register] = value

    def _next_register(self, register):
        return (register + 1) & 0xFF

    def _after_access(self):
        pass

    def _sample(self, t_us):
        """Take one sample: self.frame holds the motion at t_us."""
        raise NotImplementedError

    def _skip(self, n):
        """n samples fell due that will be overwritten before anyone can read them: account for them."""
        raise NotImplementedError

    def _keep_samples(self):
        """How many of the most recent due samples must be taken in full (the rest are skipped)."""
        return 1 << 30

    # -- sampling --------------------------------------------------------------------------------------

    def _start_sampling(self, period_ns):
        """Sample every period_ns (nominal; the chip's clock error applies) from now on."""
        period_ns = period_ns * 1000000 // (1000000 + self.clock_ppm)
        if self._sampling and self._period_ns == period_ns:
            return
        self._sampling = True
        self._period_ns = period_ns
        self._start_us = self.clock.now_us()
        self._k = 0

    def _stop_sampling(self):
        self._sampling = False

    def _catch_up(self):
        if not self._sampling:
            return
        now = self.clock.now_us()
        due = (now - self._start_us) * 1000 // self._period_ns
        new = due - self._k
        if new <= 0:
            return
        skip = new - self._keep_samples()
        if skip > 0:
            self._skip(skip)
            self._k += skip
            self.samples += skip
        source = self.source
        while self._k < due and self._sampling:
            self._k += 1
            t = self._start_us + self._k * self._period_ns // 1000
            source.get(source.index_at(t - self._origin_us), self.frame)
            self.samples += 1
            self._sample(t)

    @property
    def sample_period_us(self):
        return self._period_ns // 1000 if self._sampling else 0

    # -- interrupt line --------------------------------------------------------------------------------

    def _set_int(self, active, active_low=False, pulse=False):
        """Drive the interrupt output: a level, or a short pulse when the chip is set to pulse."""
        if self.int_pin is None:
            return
        idle = 1 if active_low else 0
        if pulse:
            if active:
                machine.drive(self.int_pin, 1 - idle)
            machine.drive(self.int_pin, idle)
            self._int_level = 0
            return
        level = (1 - idle) if active else idle
        machine.drive(self.int_pin, level)
        self._int_level = 1 if active else 0

    def _transfer(self):
        self.transfers += 1
        if self._nack_left:
            if self._nack_left > 0:
                self._nack_left -= 1
            raise OSError(ENODEV)
