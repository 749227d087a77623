"""ST LSM6DS3 / LSM6DS3TR-C and LSM6DSOX / LSM6DSO (Adafruit, SparkFun and Seeed breakouts).

Registers used (LSM6DS3 DocID026899, LSM6DS3TR-C DS11875, LSM6DSOX DS12814): WHO_AM_I 0x0F, CTRL1_XL
0x10 (rate, full scale, the DS3's anti-aliasing band, the DSOX's LPF2), CTRL2_G 0x11, CTRL3_C 0x12
(SW_RESET, BDU, IF_INC), CTRL4_C 0x13 (DS3: XL_BW_SCAL_ODR), CTRL6_C 0x15 (XL_HM_MODE), CTRL8_XL 0x17,
WAKE_UP_SRC 0x1B, OUT_TEMP 0x20, FIFO_STATUS1-4 0x3A-0x3D, TAP_CFG 0x58 (DS3: LIR; DS3TR-C and DSOX
TAP_CFG2: INTERRUPTS_ENABLE), TAP_CFG0 0x56 (DSOX: LIR), WAKE_UP_THS 0x5B, WAKE_UP_DUR 0x5C, MD1_CFG 0x5E;
DS3 family FIFO: FIFO_CTRL3 0x08 (decimation), FIFO_CTRL5 0x0A (FIFO rate, mode), FIFO_DATA_OUT 0x3E;
DSOX family FIFO: FIFO_CTRL3 0x09 (batch rates), FIFO_CTRL4 0x0A (mode), FIFO_DATA_OUT_TAG 0x78.

Measuring: accelerometer and gyro at 52 Hz (the rate nearest above 50 Hz), block data update, address
auto-increment. Low-pass: the DS3's accelerometer anti-aliasing filter at 50 Hz, the DS3TR-C's LPF1 at
ODR/2, the DSOX's LPF2 at ODR/4 (13 Hz); the gyros' own low-pass at their rate. Values are little-endian.

FIFO, DS3 family: continuous mode, words in the pattern gyro x, y, z, accel x, y, z; 4096 words (DS3,
13 s at 52 Hz) or 2048 (DS3TR-C, 6.5 s). A full FIFO overwrites its oldest word, so after an overflow the
next word can be any of the six: the driver reads FIFO_PATTERN, discards the words up to the next whole
sample and counts the overflow (and the partial sample in `dropped`).
FIFO, DSOX family: continuous mode, tagged entries (gyro and accel of one time slot share a 2-bit
counter); 512 entries (4.9 s at 52 Hz). Overflow is read from FIFO_STATUS2.FIFO_OVR_LATCHED and counted;
the tags keep every sample whole, and an entry whose partner was overwritten is dropped and counted.

Wake-on-motion: gyro off, FIFO off, accelerometer alone at 12.5 Hz in low-power mode at +-2 g, the
wake-up interrupt (the slope filter, half the change between consecutive samples, against WAKE_UP_THS in
full scale / 64 = 31.25 mg per count, so a change of threshold_mg between samples wakes) latched on INT1,
which is push-pull and active high; reading WAKE_UP_SRC clears it.
"""

from micropython import const

from lumbo_fw.imu.base import Imu, ImuError

_WHO_AM_I = const(0x0F)
_CTRL1_XL = const(0x10)
_CTRL2_G = const(0x11)
_CTRL3_C = const(0x12)
_CTRL6_C = const(0x15)
_WAKE_UP_SRC = const(0x1B)
_OUT_TEMP = const(0x20)
_TAP_CFG = const(0x58)  # TAP_CFG2 on the DSOX
_WAKE_UP_THS = const(0x5B)
_WAKE_UP_DUR = const(0x5C)
_MD1_CFG = const(0x5E)

_SW_RESET = const(0x01)
_BDU_IF_INC = const(0x44)
_XL_HM_MODE_OFF = const(0x10)
_INT1_WU = const(0x20)
_WU_IA = const(0x08)
_ODR_WAKE = const(1)  # 12.5 Hz
_WAKE_MG_PER_COUNT_X100 = const(3125)  # +-2 g / 64

# Output data rate codes 1-6 and their rates in centihertz.
_ODR_CHZ = (1250, 2600, 5200, 10400, 20800, 41600)
# Accel full scale -> (FS_XL code, micro-g per count); gyro full scale -> (CTRL2_G bits 3:1, mdps x 1000).
_ACCEL_FS = {2: (0, 61), 4: (2, 122), 8: (3, 244), 16: (1, 488)}
_GYRO_FS = {125: (0x02, 4375), 250: (0x00, 8750), 500: (0x04, 17500), 1000: (0x08, 35000), 2000: (0x0C, 70000)}


class St(Imu):
    WHO_AM_I_REG = _WHO_AM_I
    ADDRESSES = (0x6A, 0x6B)
    LAYOUT = ((6, 8, 10, 0, 2, 4), False)  # gyro x, y, z then accel x, y, z, little-endian
    TEMP_COUNTS_PER_C = 256

    def _check_settings(self):
        if self.accel_range_g not in _ACCEL_FS:
            raise ImuError("%s: accel range %r g is not one of 2, 4, 8, 16" % (self.NAME, self.accel_range_g))
        if self.gyro_range_dps not in _GYRO_FS:
            raise ImuError("%s: gyro range %r dps is not one of 125, 250, 500, 1000, 2000"
                           % (self.NAME, self.gyro_range_dps))
        if not 10 <= self.rate_hz <= 416:
            raise ImuError("%s: rate %r Hz is outside 10-416 Hz" % (self.NAME, self.rate_hz))

    def _odr_code(self):
        """The slowest output rate at or above 95 % of the rate asked for."""
        want = self.rate_hz * 95
        for i in range(len(_ODR_CHZ)):
            if _ODR_CHZ[i] >= want:
                return i + 1
        return len(_ODR_CHZ)

    def _configure_chip(self):
        wr = self._wr8
        wr(_CTRL3_C, _SW_RESET)
        self._sleep_ms(20)
        wr(_CTRL3_C, _BDU_IF_INC)
        self._fifo_off()
        odr = self._odr_code()
        fs_xl, ug = _ACCEL_FS[self.accel_range_g]
        fs_g, mdps_x1000 = _GYRO_FS[self.gyro_range_dps]
        ctrl1 = odr << 4 | fs_xl << 2 | self._accel_filter_bits()
        ctrl2 = odr << 4 | fs_g
        self._configure_filters()
        wr(_CTRL1_XL, ctrl1)
        wr(_CTRL2_G, ctrl2)
        self._fifo_on(odr)
        self._expected = bytes((ctrl1, ctrl2, _BDU_IF_INC))
        self.accel_lsb_per_g = 1000000 / ug
        self.gyro_lsb_per_dps = 1000000 / mdps_x1000
        self.sample_period_us = 100000000 // _ODR_CHZ[odr - 1]

    def _accel_filter_bits(self):
        return 0

    def _configure_filters(self):
        pass

    def _config_intact(self):
        four = self._four
        self._rd(_CTRL1_XL, four)  # CTRL1_XL, CTRL2_G, CTRL3_C, CTRL4_C
        expected = self._expected
        return four[0] == expected[0] and four[1] == expected[1] and four[2] & 0x7E == expected[2]

    def _read_temperature(self):
        two = self._two
        self._rd(_OUT_TEMP, two)
        raw = two[0] | (two[1] << 8)
        if raw & 0x8000:
            raw -= 0x10000
        scale = self.TEMP_COUNTS_PER_C
        return (raw * 200 + scale) // (2 * scale) + 2500

    def _enter_wake(self, threshold_mg):
        wr = self._wr8
        self._fifo_off()
        wr(_CTRL2_G, 0)
        wr(_CTRL6_C, _XL_HM_MODE_OFF)
        wr(_CTRL1_XL, _ODR_WAKE << 4)  # 12.5 Hz, +-2 g
        wr(_WAKE_UP_DUR, 0)
        # The slope filter halves a change between samples: a change of threshold_mg is a slope of half.
        counts = (threshold_mg * 50 + _WAKE_MG_PER_COUNT_X100 - 1) // _WAKE_MG_PER_COUNT_X100
        wr(_WAKE_UP_THS, min(63, max(1, counts)))
        self._latch_wake_interrupt()
        wr(_MD1_CFG, _INT1_WU)
        self._rd8(_WAKE_UP_SRC)

    def _motion_flag(self):
        return bool(self._rd8(_WAKE_UP_SRC) & _WU_IA)

    def _latch_wake_interrupt(self):
        self._wr8(_TAP_CFG, 0x01)  # LIR

    def _fifo_off(self):
        raise NotImplementedError

    def _fifo_on(self, odr):
        raise NotImplementedError
