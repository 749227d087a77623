"""Emulated ST LSM6DS3 / LSM6DS3TR-C and LSM6DSOX / LSM6DSO, at their register maps."""

# Modelled (register numbers from the LSM6DS3 datasheet DocID026899, the LSM6DS3TR-C datasheet DS11875 and
# the LSM6DSOX datasheet DS12814):
# - identity: WHO_AM_I (0x0F); CTRL3_C (0x12) SW_RESET, BOOT, BDU, IF_INC (address auto-increment),
#   H_LACTIVE (interrupt active low);
# - configuration: CTRL1_XL (0x10: ODR, full scale, LPF2 on the DSOX), CTRL2_G (0x11: ODR, full scale,
#   125 dps), CTRL4_C, CTRL6_C (XL_HM_MODE: high performance off), CTRL7_G, CTRL8_XL, CTRL9_XL, CTRL10_C;
#   the accelerometer and gyro run at one common rate (12.5 Hz to 6.66 kHz), or the gyro is off;
# - data: OUT_TEMP (0x20), gyro (0x22), accel (0x28), little-endian, STATUS_REG (0x1E);
# - FIFO, LSM6DS3 family: FIFO_CTRL1-5 (0x06-0x0A: threshold, decimation, FIFO rate, mode), untagged
#   16-bit words in the pattern gyro x, y, z, accel x, y, z; FIFO_STATUS1-4 (0x3A-0x3D: unread words,
#   watermark, OVER_RUN, FULL, EMPTY, FIFO_PATTERN = position in the pattern of the next word to be read);
#   FIFO_DATA_OUT_L/H (0x3E-0x3F, a burst read wraps from 0x3F back to 0x3E); 4096 words (DS3) or 2048
#   (DS3TR-C). In continuous mode a full FIFO overwrites its oldest word, so after an overflow the next
#   word may be any axis: FIFO_PATTERN tells which.
# - FIFO, LSM6DSOX family: FIFO_CTRL1-4 (0x07-0x0A: watermark, batch rates BDR_XL/BDR_GY, mode); 512
#   tagged entries of 7 bytes (tag: sensor << 3 | 2-bit slot counter << 1 | parity; gyro 0x01, accel 0x02,
#   gyro first in each slot); FIFO_STATUS1-2 (0x3A-0x3B: unread entries, watermark, overrun, full, latched
#   overrun cleared on read); FIFO_DATA_OUT_TAG..Z_H (0x78-0x7E, a burst read wraps from 0x7E back to 0x78).
# - wake-up: WAKE_UP_THS (0x5B: threshold in full scale / 64), WAKE_UP_DUR (0x5C), MD1_CFG (0x5E:
#   INT1_WU), TAP_CFG (0x58 on the DS3: LIR latches) or TAP_CFG0 (0x56: LIR) and TAP_CFG2 (0x58:
#   INTERRUPTS_ENABLE) on the DSOX; the slope filter (half the difference of consecutive samples) against
#   the threshold; WAKE_UP_SRC (0x1B) reports it and, when latched, clears on read.
# Not modelled: the filters' dynamics, embedded functions (pedometer, tilt, tap, FSM, MLC), the sensor hub,
# timestamps, OIS, self-test, offsets, decimation other than 1 and FIFO compression.

from chips.regchip import EmulatorError, RegisterChip, quantise

WHO_AM_I = 0x0F
CTRL1_XL = 0x10
CTRL2_G = 0x11
CTRL3_C = 0x12
CTRL4_C = 0x13
CTRL5_C = 0x14
CTRL6_C = 0x15
CTRL7_G = 0x16
CTRL8_XL = 0x17
CTRL9_XL = 0x18
CTRL10_C = 0x19
WAKE_UP_SRC = 0x1B
STATUS_REG = 0x1E
OUT_TEMP = 0x20
OUT_G = 0x22
OUT_XL = 0x28
FIFO_STATUS1 = 0x3A
FIFO_STATUS2 = 0x3B
INT1_CTRL = 0x0D
INT2_CTRL = 0x0E
WAKE_UP_THS = 0x5B
WAKE_UP_DUR = 0x5C
MD1_CFG = 0x5E
MD2_CFG = 0x5F

# Output data rate codes 1-11 (CTRL1_XL, CTRL2_G, FIFO rates) as periods in ns; 11 is the DSOX's 1.6 Hz.
_ODR_PERIOD_NS = (0, 80000000, 38461538, 19230769, 9615385, 4807692, 2403846, 1200480, 602410, 300300,
                  150150, 625000000)
# Accel full scale FS_XL 0-3: +-2, +-16, +-4, +-8 g at 0.061, 0.488, 0.122, 0.244 mg per count.
_ACCEL_UG_PER_COUNT = (61, 488, 122, 244)
_ACCEL_RANGE_G = (2, 16, 4, 8)
# Gyro counts per mdps for FS_G 0-3 (8.75, 17.5, 35, 70 mdps per count) and for FS_125 (4.375).
_GYRO_SCALE = ((4, 35), (2, 35), (1, 35), (1, 70))
_GYRO_SCALE_125 = (8, 35)


class StChip(RegisterChip):
    ADDRESS = 0x6A
    WHO_AM_I_REG = WHO_AM_I
    TEMP_COUNTS_PER_C = 256

    def __init__(self, source, clock, int_pin=None, temperature_cdeg=2500, clock_ppm=0):
        self._previous = [0, 0, 0]
        self._has_previous = False
        self._wake_run = 0
        self._wake_src = 0
        RegisterChip.__init__(self, source, clock, int_pin, temperature_cdeg, clock_ppm)

    # -- state a test can look at ----------------------------------------------------------------------

    @property
    def mode(self):
        """"off", "accel" (accelerometer only: the low-power wake-up set-up) or "measure"."""
        if self.regs[CTRL1_XL] >> 4 == 0:
            return "off"
        if self.regs[CTRL2_G] >> 4 == 0:
            return "accel"
        return "measure"

    @property
    def high_performance(self):
        return not self.regs[CTRL6_C] & 0x10

    # -- registers -------------------------------------------------------------------------------------

    def _power_on_reset(self):
        self._fifo_reset()
        self._has_previous = False
        self._wake_run = 0
        self._wake_src = 0
        RegisterChip._power_on_reset(self)

    def _auto_increment(self):
        return self.regs[CTRL3_C] & 0x04

    def _read_register(self, register):
        if register == WAKE_UP_SRC:
            value = self._wake_src
            if self._latched():
                self._wake_src &= ~0x0F
                self._update_int()
            return value
        if register == STATUS_REG:
            value = self.regs[STATUS_REG]
            return value
        if OUT_G <= register < OUT_XL + 6:
            self.regs[STATUS_REG] &= ~(0x02 if register < OUT_XL else 0x01)
        elif register == OUT_TEMP or register == OUT_TEMP + 1:
            self.regs[STATUS_REG] &= ~0x04
        return self.regs[register]

    def _write_register(self, register, value):
        regs = self.regs
        if register == CTRL3_C:
            if value & 0x01:
                self.resets += 1
                self._power_on_reset()
                return
            regs[register] = value & ~0x81  # BOOT and SW_RESET clear themselves
            return
        regs[register] = value
        if register == CTRL1_XL or register == CTRL2_G:
            self._reschedule()

    def _reschedule(self):
        xl = self.regs[CTRL1_XL] >> 4
        g = self.regs[CTRL2_G] >> 4
        self._has_previous = False
        self._wake_run = 0
        if xl == 0 and g == 0:
            self._stop_sampling()
            return
        if xl and g and xl != g:
            raise EmulatorError(
                "%s: accelerometer and gyro at different rates (codes %d and %d) are not modelled" % (self.NAME, xl, g)
            )
        code = xl or g
        if code >= len(_ODR_PERIOD_NS):
            raise EmulatorError("%s: output data rate code %d is reserved" % (self.NAME, code))
        self._start_sampling(_ODR_PERIOD_NS[code])

    def _latched(self):
        return False

    def _wake_enabled(self):
        return self.regs[MD1_CFG] & 0x20

    # -- sampling --------------------------------------------------------------------------------------

    def _accel_scale(self):
        return _ACCEL_UG_PER_COUNT[(self.regs[CTRL1_XL] >> 2) & 3]

    def _gyro_scale(self):
        ctrl = self.regs[CTRL2_G]
        if ctrl & 0x02:
            return _GYRO_SCALE_125
        return _GYRO_SCALE[(ctrl >> 2) & 3]

    def _sample(self, t_us):
        regs = self.regs
        frame = self.frame
        counts = self.counts
        ug = self._accel_scale()
        accel_on = regs[CTRL1_XL] >> 4
        gyro_on = regs[CTRL2_G] >> 4
        status = regs[STATUS_REG] | 0x04
        if accel_on:
            counts[0] = quantise(frame[0], 1, ug)
            counts[1] = quantise(frame[1], 1, ug)
            counts[2] = quantise(frame[2], 1, ug)
            self._put16(OUT_XL, counts[0])
            self._put16(OUT_XL + 2, counts[1])
            self._put16(OUT_XL + 4, counts[2])
            status |= 0x01
        if gyro_on:
            num, den = self._gyro_scale()
            counts[3] = quantise(frame[3], num, den)
            counts[4] = quantise(frame[4], num, den)
            counts[5] = quantise(frame[5], num, den)
            self._put16(OUT_G, counts[3])
            self._put16(OUT_G + 2, counts[4])
            self._put16(OUT_G + 4, counts[5])
            status |= 0x02
        self._put16(OUT_TEMP, quantise(self.temperature_cdeg - 2500, self.TEMP_COUNTS_PER_C, 100))
        regs[STATUS_REG] = status
        self._push(accel_on, gyro_on)
        if accel_on:
            self._wake_check(frame)

    def _put16(self, register, value):
        self.regs[register] = value & 0xFF
        self.regs[register + 1] = (value >> 8) & 0xFF

    def _wake_check(self, frame):
        previous = self._previous
        if self._has_previous and self._wake_enabled():
            # Threshold: WK_THS counts of full scale / 64; slope = half the change between samples.
            threshold_ug = (self.regs[WAKE_UP_THS] & 0x3F) * _ACCEL_RANGE_G[(self.regs[CTRL1_XL] >> 2) & 3] * 15625
            src = 0
            if abs(frame[0] - previous[0]) > 2 * threshold_ug:
                src |= 0x04
            if abs(frame[1] - previous[1]) > 2 * threshold_ug:
                src |= 0x02
            if abs(frame[2] - previous[2]) > 2 * threshold_ug:
                src |= 0x01
            if src:
                self._wake_run += 1
                # WAKE_DUR: the threshold must be exceeded for WAKE_DUR + 1 samples.
                if self._wake_run > (self.regs[WAKE_UP_DUR] >> 5) & 3:
                    self._wake_src = src | 0x08
                    self._update_int()
            else:
                self._wake_run = 0
                if not self._latched() and self._wake_src:
                    self._wake_src = 0
                    self._update_int()
        previous[0] = frame[0]
        previous[1] = frame[1]
        previous[2] = frame[2]
        self._has_previous = True

    def _update_int(self):
        active = 1 if (self._wake_src & 0x08 and self._wake_enabled()) else 0
        active_low = self.regs[CTRL3_C] & 0x20
        self._set_int(active, active_low, False)

    # -- FIFO: provided by the two families below ------------------------------------------------------

    def _fifo_reset(self):
        raise NotImplementedError

    def _push(self, accel_on, gyro_on):
        raise NotImplementedError
