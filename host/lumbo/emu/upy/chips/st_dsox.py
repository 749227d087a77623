"""Emulated ST LSM6DSOX and LSM6DSO: the family with a tagged FIFO (see chips.st for the map)."""

from chips.regchip import EmulatorError
from chips.st import (
    CTRL1_XL,
    CTRL2_G,
    CTRL3_C,
    CTRL4_C,
    CTRL5_C,
    CTRL6_C,
    CTRL7_G,
    CTRL8_XL,
    CTRL9_XL,
    CTRL10_C,
    FIFO_STATUS1,
    FIFO_STATUS2,
    INT1_CTRL,
    INT2_CTRL,
    MD1_CFG,
    MD2_CFG,
    OUT_G,
    OUT_XL,
    WAKE_UP_DUR,
    WAKE_UP_THS,
    StChip,
)

_FIFO_CTRL1_DSOX = 0x07
_FIFO_CTRL2_DSOX = 0x08
_FIFO_CTRL3_DSOX = 0x09
_FIFO_CTRL4_DSOX = 0x0A
_TAP_CFG0 = 0x56
_TAP_CFG1 = 0x57
_TAP_CFG2 = 0x58
_FIFO_DATA_OUT_TAG = 0x78
_FIFO_DATA_OUT_Z_H = 0x7E
_TAG_GYRO = 0x01
_TAG_ACCEL = 0x02
_ENTRY_BYTES = 7


def _tag_byte(sensor, slot):
    tag = (sensor << 3) | ((slot & 3) << 1)
    parity = 0
    bits = tag
    while bits:
        parity ^= bits & 1
        bits >>= 1
    return tag | parity


class Lsm6dsoxFamily(StChip):
    FIFO_ENTRIES = 512

    def __init__(self, source, clock, int_pin=None, temperature_cdeg=2500, clock_ppm=0):
        # In pieces of 128 entries (896 bytes): a board-sized heap seldom has 3.5 KB in one piece.
        self._entries = [bytearray(_ENTRY_BYTES * 128) for _ in range(self.FIFO_ENTRIES // 128)]
        self._entry_read = 0
        self._entry_count = 0
        self._entry_byte = 0  # bytes of the oldest entry already read
        self._slot = 0
        self._over_run = False
        self._over_run_latched = False
        StChip.__init__(self, source, clock, int_pin, temperature_cdeg, clock_ppm)

    @property
    def fifo_entries(self):
        return self._entry_count

    def _fifo_reset(self):
        self._entry_read = 0
        self._entry_count = 0
        self._entry_byte = 0
        self._over_run = False
        self._over_run_latched = False

    def _latched(self):
        return self.regs[_TAP_CFG0] & 0x01

    def _wake_enabled(self):
        return self.regs[MD1_CFG] & 0x20 and self.regs[_TAP_CFG2] & 0x80

    def _next_register(self, register):
        if not self._auto_increment():
            return register
        if register == _FIFO_DATA_OUT_Z_H:
            return _FIFO_DATA_OUT_TAG
        return (register + 1) & 0xFF

    def _read_register(self, register):
        if register == FIFO_STATUS1:
            return self._entry_count & 0xFF
        if register == FIFO_STATUS2:
            status = (self._entry_count >> 8) & 0x03
            threshold = self.regs[_FIFO_CTRL1_DSOX] | (self.regs[_FIFO_CTRL2_DSOX] & 0x01) << 8
            if threshold and self._entry_count >= threshold:
                status |= 0x80
            if self._over_run:
                status |= 0x40
            if self._entry_count == self.FIFO_ENTRIES:
                status |= 0x20
            if self._over_run_latched:
                status |= 0x08
                self._over_run_latched = False
            return status
        if _FIFO_DATA_OUT_TAG <= register <= _FIFO_DATA_OUT_Z_H:
            if not self._entry_count:
                return 0
            offset = register - _FIFO_DATA_OUT_TAG
            e = self._entry_read
            value = self._entries[e >> 7][_ENTRY_BYTES * (e & 127) + offset]
            if offset == _ENTRY_BYTES - 1:
                self._entry_read += 1
                if self._entry_read == self.FIFO_ENTRIES:
                    self._entry_read = 0
                self._entry_count -= 1
                self._over_run = False
            return value
        return StChip._read_register(self, register)

    def _write_register(self, register, value):
        if register == _FIFO_CTRL4_DSOX and value & 0x07 == 0:
            self._fifo_reset()  # bypass mode empties the FIFO
        if register == _FIFO_CTRL4_DSOX and value & 0xF0:
            raise EmulatorError("%s: batching temperature or timestamps in the FIFO is not modelled" % self.NAME)
        if register == _FIFO_CTRL2_DSOX and value & 0x40:
            raise EmulatorError("%s: FIFO compression is not modelled" % self.NAME)
        StChip._write_register(self, register, value)

    def _fifo_mode(self):
        return self.regs[_FIFO_CTRL4_DSOX] & 0x07

    def _push(self, accel_on, gyro_on):
        mode = self._fifo_mode()
        if mode == 0:
            return
        if mode != 1 and mode != 6:
            raise EmulatorError("%s: FIFO mode %d is not modelled (use 1, FIFO, or 6, continuous)" % (self.NAME, mode))
        batch = self.regs[_FIFO_CTRL3_DSOX]
        sensor_odr = (self.regs[CTRL1_XL] >> 4) or (self.regs[CTRL2_G] >> 4)
        if (batch & 0x0F and batch & 0x0F != sensor_odr) or (batch >> 4 and batch >> 4 != sensor_odr):
            raise EmulatorError(
                "%s: batch rates (FIFO_CTRL3=0x%02x) differ from the sensors' rate code %d; only equal rates "
                "are modelled" % (self.NAME, batch, sensor_odr)
            )
        slot = self._slot
        self._slot = (slot + 1) & 3
        if batch >> 4 and gyro_on:
            self._push_entry(_tag_byte(_TAG_GYRO, slot), OUT_G, mode)
        if batch & 0x0F and accel_on:
            self._push_entry(_tag_byte(_TAG_ACCEL, slot), OUT_XL, mode)

    def _push_entry(self, tag, register, mode):
        size = self.FIFO_ENTRIES
        if self._entry_count == size:
            if mode == 1:
                return
            self._entry_read += 1
            if self._entry_read == size:
                self._entry_read = 0
            self._entry_count -= 1
            if not self._over_run:
                self.overflows += 1
            self._over_run = True
            self._over_run_latched = True
        write = self._entry_read + self._entry_count
        if write >= size:
            write -= size
        base = _ENTRY_BYTES * (write & 127)
        entries = self._entries[write >> 7]
        regs = self.regs
        entries[base] = tag
        i = 0
        while i < 6:
            entries[base + 1 + i] = regs[register + i]
            i += 1
        self._entry_count += 1

    def _entries_per_sample(self):
        batch = self.regs[_FIFO_CTRL3_DSOX]
        return (1 if batch & 0x0F else 0) + (1 if batch >> 4 else 0)

    def _keep_samples(self):
        if self.regs[CTRL2_G] >> 4 == 0:
            return 1 << 30
        n = self._entries_per_sample()
        return self.FIFO_ENTRIES // n + 2 if n else 2

    def _skip(self, n):
        per = self._entries_per_sample()
        mode = self._fifo_mode()
        self._slot = (self._slot + n) & 3
        if not per or mode == 0:
            return
        total = self._entry_count + n * per
        if mode == 1:
            self._entry_count = min(total, self.FIFO_ENTRIES)
            return
        lost = total - self.FIFO_ENTRIES
        if lost > 0:
            self._entry_read = (self._entry_read + lost) % self.FIFO_ENTRIES
            self._entry_count = self.FIFO_ENTRIES
            if not self._over_run:
                self.overflows += 1
            self._over_run = True
            self._over_run_latched = True
        else:
            self._entry_count = total


class Lsm6dsox(Lsm6dsoxFamily):
    NAME = "LSM6DSOX"
    WHO_AM_I = 0x6C
    RESET_VALUES = ((CTRL3_C, 0x04), (CTRL9_XL, 0xE0))
    WRITABLE = bytes((_FIFO_CTRL1_DSOX, _FIFO_CTRL2_DSOX, _FIFO_CTRL3_DSOX, _FIFO_CTRL4_DSOX, INT1_CTRL,
                      INT2_CTRL, CTRL1_XL, CTRL2_G, CTRL3_C, CTRL4_C, CTRL5_C, CTRL6_C, CTRL7_G,
                      CTRL8_XL, CTRL9_XL, CTRL10_C, _TAP_CFG0, _TAP_CFG1, _TAP_CFG2, WAKE_UP_THS,
                      WAKE_UP_DUR, MD1_CFG, MD2_CFG))


class Lsm6dso(Lsm6dsox):
    """The LSM6DSO answers the same WHO_AM_I and has the same registers for everything modelled here."""

    NAME = "LSM6DSO"


CHIPS = (Lsm6dsox, Lsm6dso)
