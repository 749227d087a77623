"""Emulated ST LSM6DS3 and LSM6DS3TR-C: the family with an untagged FIFO (see chips.st for the map)."""

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

_FIFO_CTRL1_DS3 = 0x06
_FIFO_CTRL2_DS3 = 0x07
_FIFO_CTRL3_DS3 = 0x08
_FIFO_CTRL4_DS3 = 0x09
_FIFO_CTRL5_DS3 = 0x0A
_FIFO_STATUS3 = 0x3C
_FIFO_STATUS4 = 0x3D
_FIFO_DATA_OUT_L = 0x3E
_FIFO_DATA_OUT_H = 0x3F
_TAP_CFG_DS3 = 0x58


class Lsm6ds3Family(StChip):
    FIFO_WORDS = 4096
    DIFF_BITS = 12

    def __init__(self, source, clock, int_pin=None, temperature_cdeg=2500, clock_ppm=0):
        # In 1 KB pieces: a board-sized heap seldom has 8 KB in one piece.
        self._words = [bytearray(1024) for _ in range(2 * self.FIFO_WORDS // 1024)]
        self._word_read = 0
        self._word_count = 0
        self._word_index = 0  # words that have left the FIFO (read or overwritten) since it was emptied
        self._over_run = False
        StChip.__init__(self, source, clock, int_pin, temperature_cdeg, clock_ppm)

    @property
    def fifo_words(self):
        return self._word_count

    @property
    def fifo_pattern(self):
        """FIFO_PATTERN: the position in the gyro-accel pattern of the next word to be read."""
        n = self._pattern_words()
        return self._word_index % n if n else 0

    def _fifo_reset(self):
        self._word_read = 0
        self._word_count = 0
        self._word_index = 0
        self._over_run = False

    def _latched(self):
        return self.regs[_TAP_CFG_DS3] & 0x01

    def _next_register(self, register):
        if not self._auto_increment():
            return register
        if register == _FIFO_DATA_OUT_H:
            return _FIFO_DATA_OUT_L
        return (register + 1) & 0xFF

    def _pattern_words(self):
        dec = self.regs[_FIFO_CTRL3_DS3]
        return 3 * ((1 if dec & 0x07 else 0) + (1 if dec & 0x38 else 0))

    def _read_register(self, register):
        if register == FIFO_STATUS1:
            return self._word_count & 0xFF
        if register == FIFO_STATUS2:
            status = (self._word_count >> 8) & ((1 << (self.DIFF_BITS - 8)) - 1)
            threshold = self.regs[_FIFO_CTRL1_DS3] | (self.regs[_FIFO_CTRL2_DS3] & 0x0F) << 8
            if threshold and self._word_count >= threshold:
                status |= 0x80
            if self._over_run:
                status |= 0x40
            if self._word_count == self.FIFO_WORDS:
                status |= 0x20
            if self._word_count == 0:
                status |= 0x10
            return status
        if register == _FIFO_STATUS3 or register == _FIFO_STATUS4:
            n = self._pattern_words()
            pattern = self._word_index % n if n else 0
            return pattern & 0xFF if register == _FIFO_STATUS3 else pattern >> 8
        if register == _FIFO_DATA_OUT_L:
            if not self._word_count:
                return 0
            w = 2 * self._word_read
            return self._words[w >> 10][w & 1023]
        if register == _FIFO_DATA_OUT_H:
            if not self._word_count:
                return 0
            w = 2 * self._word_read + 1
            value = self._words[w >> 10][w & 1023]
            self._word_read += 1
            if self._word_read == self.FIFO_WORDS:
                self._word_read = 0
            self._word_count -= 1
            self._word_index += 1
            self._over_run = False
            return value
        return StChip._read_register(self, register)

    def _write_register(self, register, value):
        if register == _FIFO_CTRL5_DS3 and value & 0x07 == 0:
            self._fifo_reset()  # bypass mode empties the FIFO
        if register == _FIFO_CTRL3_DS3:
            for dec in (value & 0x07, (value >> 3) & 0x07):
                if dec > 1:
                    raise EmulatorError("%s: FIFO decimation other than 1 is not modelled" % self.NAME)
        StChip._write_register(self, register, value)

    def _fifo_mode(self):
        return self.regs[_FIFO_CTRL5_DS3] & 0x07

    def _push(self, accel_on, gyro_on):
        mode = self._fifo_mode()
        if mode == 0:
            return
        if mode != 1 and mode != 6:
            raise EmulatorError("%s: FIFO mode %d is not modelled (use 1, FIFO, or 6, continuous)" % (self.NAME, mode))
        fifo_odr = (self.regs[_FIFO_CTRL5_DS3] >> 3) & 0x0F
        sensor_odr = (self.regs[CTRL1_XL] >> 4) or (self.regs[CTRL2_G] >> 4)
        if fifo_odr != sensor_odr:
            raise EmulatorError(
                "%s: FIFO rate code %d differs from the sensors' %d; only equal rates are modelled"
                % (self.NAME, fifo_odr, sensor_odr)
            )
        dec = self.regs[_FIFO_CTRL3_DS3]
        if dec & 0x38:
            self._push_word(OUT_G, mode)
            self._push_word(OUT_G + 2, mode)
            self._push_word(OUT_G + 4, mode)
        if dec & 0x07:
            self._push_word(OUT_XL, mode)
            self._push_word(OUT_XL + 2, mode)
            self._push_word(OUT_XL + 4, mode)

    def _push_word(self, register, mode):
        size = self.FIFO_WORDS
        if self._word_count == size:
            if mode == 1:
                return  # FIFO mode stops when full
            self._word_read += 1
            if self._word_read == size:
                self._word_read = 0
            self._word_count -= 1
            self._word_index += 1
            if not self._over_run:
                self.overflows += 1
            self._over_run = True
        write = self._word_read + self._word_count
        if write >= size:
            write -= size
        chunk = self._words[(2 * write) >> 10]
        w = (2 * write) & 1023
        chunk[w] = self.regs[register]
        chunk[w + 1] = self.regs[register + 1]
        self._word_count += 1

    def _keep_samples(self):
        if self.regs[CTRL2_G] >> 4 == 0:
            return 1 << 30  # accelerometer alone: the wake-up set-up, every sample counts
        n = self._pattern_words()
        return self.FIFO_WORDS // n + 2 if n else 2

    def _skip(self, n):
        words = self._pattern_words()
        mode = self._fifo_mode()
        if not words or mode == 0:
            return
        total = self._word_count + n * words
        if mode == 1:
            self._word_count = min(total, self.FIFO_WORDS)
            return
        lost = total - self.FIFO_WORDS
        if lost > 0:
            self._word_read = (self._word_read + lost) % self.FIFO_WORDS
            self._word_index += lost
            self._word_count = self.FIFO_WORDS
            if not self._over_run:
                self.overflows += 1
            self._over_run = True
        else:
            self._word_count = total


class Lsm6ds3(Lsm6ds3Family):
    NAME = "LSM6DS3"
    WHO_AM_I = 0x69
    TEMP_COUNTS_PER_C = 16
    RESET_VALUES = ((CTRL3_C, 0x04), (CTRL9_XL, 0x38), (CTRL10_C, 0x38))
    WRITABLE = bytes((_FIFO_CTRL1_DS3, _FIFO_CTRL2_DS3, _FIFO_CTRL3_DS3, _FIFO_CTRL4_DS3, _FIFO_CTRL5_DS3,
                      INT1_CTRL, INT2_CTRL, CTRL1_XL, CTRL2_G, CTRL3_C, CTRL4_C, CTRL5_C, CTRL6_C,
                      CTRL7_G, CTRL8_XL, CTRL9_XL, CTRL10_C, _TAP_CFG_DS3, WAKE_UP_THS, WAKE_UP_DUR,
                      MD1_CFG, MD2_CFG))


class Lsm6ds3trc(Lsm6ds3):
    NAME = "LSM6DS3TR-C"
    WHO_AM_I = 0x6A
    FIFO_WORDS = 2048
    DIFF_BITS = 11
    TEMP_COUNTS_PER_C = 256

    def _wake_enabled(self):
        # TAP_CFG.INTERRUPTS_ENABLE gates the wake-up interrupt on this part.
        return self.regs[MD1_CFG] & 0x20 and self.regs[_TAP_CFG_DS3] & 0x80


CHIPS = (Lsm6ds3, Lsm6ds3trc)
