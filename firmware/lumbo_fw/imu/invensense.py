"""InvenSense MPU-6050 and MPU-6500 / MPU-9250 (GY-521, GY-6500, GY-9250 breakouts).

Registers used (MPU-6000/6050 Register Map rev 4.2; MPU-6500 Register Map rev 2.1): SMPLRT_DIV 0x19,
CONFIG 0x1A (DLPF_CFG; FIFO_MODE on the 6500), GYRO_CONFIG 0x1B, ACCEL_CONFIG 0x1C (and its high-pass
for the 6050's motion detection), ACCEL_CONFIG2 0x1D (6500), LP_ACCEL_ODR 0x1E (6500), MOT_THR/WOM_THR
0x1F, MOT_DUR 0x20 (6050), FIFO_EN 0x23, INT_PIN_CFG 0x37, INT_ENABLE 0x38, INT_STATUS 0x3A,
TEMP_OUT 0x41, MOT_DETECT_CTRL/ACCEL_INTEL_CTRL 0x69, USER_CTRL 0x6A,
PWR_MGMT_1 0x6B, PWR_MGMT_2 0x6C, FIFO_COUNT 0x72, FIFO_R_W 0x74, WHO_AM_I 0x75.

Measuring: clock from the X gyro's PLL; sample rate 1 kHz / (1 + SMPLRT_DIV) with the digital low-pass at
about 20 Hz (DLPF_CFG 4: accel 21 Hz, gyro 20 Hz); the FIFO holds accel then gyro, 12 bytes per sample,
big-endian. The FIFO is 1024 bytes on the 6050 (85 samples, 1.7 s at 50 Hz) and 512 on the 6500
(42 samples, 0.85 s): read at least that often.

Overflow: the 6050 overwrites its oldest bytes, so after an overflow its FIFO no longer starts on a
sample; the 6500 is set to keep its oldest bytes and may end with a partial sample. Either way the driver
counts the overflow, empties the FIFO (USER_CTRL.FIFO_RESET) and carries on from the next whole sample.
A FIFO count that is not a whole number of samples is treated the same way.

Wake-on-motion: 6050: motion interrupt on the accelerometer's high-pass in hold mode (compared with the
resting sample), threshold 2 mg per count, in the low-power cycle at 5 Hz with the gyros in standby.
6500: WOM (compare with the previous sample), 4 mg per count, accelerometer only at 3.91 Hz.
The INT pin is push-pull, active high, latched until INT_STATUS is read.
"""

from micropython import const

from lumbo_fw.imu.base import Imu, ImuError
from lumbo_fw.imu.decode import decode_frames

_SMPLRT_DIV = const(0x19)
_CONFIG = const(0x1A)
_GYRO_CONFIG = const(0x1B)
_ACCEL_CONFIG = const(0x1C)
_ACCEL_CONFIG2 = const(0x1D)
_LP_ACCEL_ODR = const(0x1E)
_MOT_THR = const(0x1F)
_MOT_DUR = const(0x20)
_FIFO_EN = const(0x23)
_INT_PIN_CFG = const(0x37)
_INT_ENABLE = const(0x38)
_INT_STATUS = const(0x3A)
_TEMP_OUT = const(0x41)
_MOT_DETECT_CTRL = const(0x69)
_USER_CTRL = const(0x6A)
_PWR_MGMT_1 = const(0x6B)
_PWR_MGMT_2 = const(0x6C)
_FIFO_COUNTH = const(0x72)
_FIFO_R_W = const(0x74)

_INT_FIFO_OFLOW = const(0x10)
_INT_MOTION = const(0x40)
_USER_FIFO_EN = const(0x40)
_USER_FIFO_RESET = const(0x04)
_FIFO_ACCEL_GYRO = const(0x78)  # XG, YG, ZG and ACCEL into the FIFO
_PWR_CLOCK_PLL = const(0x01)
_DLPF_20HZ = const(4)
_INT_LATCHED_HIGH = const(0x20)  # push-pull, active high, held until INT_STATUS is read

_ACCEL_RANGES_G = (2, 4, 8, 16)
_GYRO_RANGES_DPS = (250, 500, 1000, 2000)
_GYRO_LSB_PER_DPS = (131, 65.5, 32.8, 16.4)


class InvenSense(Imu):
    WHO_AM_I_REG = 0x75
    ADDRESSES = (0x68, 0x69)
    LAYOUT = ((0, 2, 4, 6, 8, 10), True)
    FIFO_BYTES = 1024
    # Temperature: T = counts / scale + offset, as (counts per 100 C, offset in centidegrees).
    TEMP_COUNTS_PER_100C = 34000
    TEMP_OFFSET_CDEG = 3653

    def _check_settings(self):
        if self.accel_range_g not in _ACCEL_RANGES_G:
            raise ImuError("%s: accel range %r g is not one of 2, 4, 8, 16" % (self.NAME, self.accel_range_g))
        if self.gyro_range_dps not in _GYRO_RANGES_DPS:
            raise ImuError("%s: gyro range %r dps is not one of 250, 500, 1000, 2000"
                           % (self.NAME, self.gyro_range_dps))
        if not 4 <= self.rate_hz <= 1000:
            raise ImuError("%s: rate %r Hz is outside 4-1000 Hz" % (self.NAME, self.rate_hz))

    @property
    def fifo_samples(self):
        return self.FIFO_BYTES // self.UNIT_BYTES

    def _configure_chip(self):
        wr = self._wr8
        wr(_PWR_MGMT_1, 0x80)  # DEVICE_RESET
        self._sleep_ms(100)
        wr(_PWR_MGMT_1, _PWR_CLOCK_PLL)
        wr(_PWR_MGMT_2, 0x00)
        self._sleep_ms(10)
        divider = (1000 + self.rate_hz // 2) // self.rate_hz - 1
        wr(_SMPLRT_DIV, divider)
        wr(_CONFIG, self._config_value())
        afs = _ACCEL_RANGES_G.index(self.accel_range_g)
        fs = _GYRO_RANGES_DPS.index(self.gyro_range_dps)
        wr(_GYRO_CONFIG, fs << 3)
        wr(_ACCEL_CONFIG, afs << 3)
        self._configure_accel_filter()
        wr(_INT_PIN_CFG, _INT_LATCHED_HIGH)
        wr(_INT_ENABLE, _INT_FIFO_OFLOW)
        wr(_FIFO_EN, _FIFO_ACCEL_GYRO)
        wr(_USER_CTRL, _USER_FIFO_RESET)
        wr(_USER_CTRL, _USER_FIFO_EN)
        self._rd8(_INT_STATUS)
        self.accel_lsb_per_g = 16384 >> afs
        self.gyro_lsb_per_dps = _GYRO_LSB_PER_DPS[fs]
        self.sample_period_us = 1000 * (1 + divider)
        self._afs = afs

    def _config_value(self):
        return _DLPF_20HZ

    def _configure_accel_filter(self):
        pass

    def _reset_fifo(self):
        self._wr8(_USER_CTRL, _USER_FIFO_EN | _USER_FIFO_RESET)

    def _read_fifo(self, burst):
        if self._rd8(_INT_STATUS) & _INT_FIFO_OFLOW:
            self._overflowed(burst)
            return 0
        two = self._two
        self._rd(_FIFO_COUNTH, two)
        count = (two[0] << 8) | two[1]
        frames = count // 12
        if frames * 12 != count:
            self._overflowed(burst)  # not whole samples: the FIFO is no longer aligned
            return 0
        if frames > self.max_samples:
            frames = self.max_samples
        if frames > burst.capacity:
            frames = burst.capacity
        if not frames:
            return 0
        if self._read_data(_FIFO_R_W, self._views[frames], frames):
            return 0
        return decode_frames(self._buf, frames, burst.samples, self._plan)

    def _overflowed(self, burst):
        burst.overflows += 1
        self.overflows += 1
        self._reset_fifo()

    def _after_bus_error(self):
        # Bytes may have left the FIFO without reaching us: start again from an empty FIFO.
        try:
            self._reset_fifo()
        except OSError:
            pass  # the bus is down: the next read's status read fails too, and the set-up resets the FIFO

    def _config_intact(self):
        two = self._two
        self._rd(_USER_CTRL, two)  # USER_CTRL, PWR_MGMT_1
        return two[0] & _USER_FIFO_EN and two[1] == _PWR_CLOCK_PLL

    def _read_temperature(self):
        two = self._two
        self._rd(_TEMP_OUT, two)
        raw = (two[0] << 8) | two[1]
        if raw & 0x8000:
            raw -= 0x10000
        scale = self.TEMP_COUNTS_PER_100C
        return (raw * 20000 + scale) // (2 * scale) + self.TEMP_OFFSET_CDEG

    def _motion_flag(self):
        return bool(self._rd8(_INT_STATUS) & _INT_MOTION)


class Mpu6050(InvenSense):
    NAME = "MPU-6050"
    WHO_AM_I = 0x68
    # Gyro 0.005 dps/sqrt(Hz), accel 400 ug/sqrt(Hz); noise bandwidth about 30 Hz at DLPF 20 Hz.
    GYRO_NOISE_MDPS = 28
    ACCEL_NOISE_UG = 2200

    def _enter_wake(self, threshold_mg):
        wr = self._wr8
        wr(_USER_CTRL, 0)
        wr(_INT_ENABLE, 0)
        wr(_FIFO_EN, 0)
        wr(_INT_PIN_CFG, _INT_LATCHED_HIGH)
        wr(_ACCEL_CONFIG, self._afs << 3 | 0x01)  # high-pass 5 Hz while it settles
        wr(_MOT_THR, min(255, (threshold_mg + 1) // 2))
        wr(_MOT_DUR, 1)
        wr(_MOT_DETECT_CTRL, 0x15)
        wr(_INT_ENABLE, _INT_MOTION)
        self._sleep_ms(5)
        wr(_ACCEL_CONFIG, self._afs << 3 | 0x07)  # hold: compare with the resting sample
        wr(_PWR_MGMT_2, 0x40 | 0x07)  # wake at 5 Hz, gyros in standby
        wr(_PWR_MGMT_1, 0x28)  # CYCLE, temperature sensor off, internal oscillator
        self._rd8(_INT_STATUS)


class Mpu6500(InvenSense):
    NAME = "MPU-6500"
    WHO_AM_I = 0x70
    FIFO_BYTES = 512
    TEMP_COUNTS_PER_100C = 33387
    TEMP_OFFSET_CDEG = 2100
    # Gyro 0.01 dps/sqrt(Hz), accel 300 ug/sqrt(Hz); noise bandwidth about 30 Hz.
    GYRO_NOISE_MDPS = 55
    ACCEL_NOISE_UG = 1700

    def _config_value(self):
        return 0x40 | _DLPF_20HZ  # FIFO_MODE: a full FIFO keeps its oldest data

    def _configure_accel_filter(self):
        self._wr8(_ACCEL_CONFIG2, _DLPF_20HZ)  # A_DLPF_CFG 4: 21 Hz

    def _enter_wake(self, threshold_mg):
        wr = self._wr8
        wr(_USER_CTRL, 0)
        wr(_INT_ENABLE, 0)
        wr(_FIFO_EN, 0)
        wr(_PWR_MGMT_1, 0x00)
        wr(_PWR_MGMT_2, 0x07)  # gyros off
        wr(_ACCEL_CONFIG2, 0x09)  # ACCEL_FCHOICE_B, A_DLPF_CFG 1
        wr(_INT_PIN_CFG, _INT_LATCHED_HIGH)
        wr(_INT_ENABLE, _INT_MOTION)
        wr(_MOT_DETECT_CTRL, 0xC0)  # ACCEL_INTEL_EN, compare with the previous sample
        wr(_MOT_THR, min(255, (threshold_mg + 3) // 4))
        wr(_LP_ACCEL_ODR, 4)  # 3.91 Hz
        wr(_PWR_MGMT_1, 0x20)  # CYCLE
        self._rd8(_INT_STATUS)


class Mpu9250(Mpu6500):
    NAME = "MPU-9250"
    WHO_AM_I = 0x71


CHIPS = (Mpu6050, Mpu6500, Mpu9250)


def chip_for(who_am_i):
    for cls in CHIPS:
        if cls.WHO_AM_I == who_am_i:
            return cls
    return None
