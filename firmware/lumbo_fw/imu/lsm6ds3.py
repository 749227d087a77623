"""ST LSM6DS3 and LSM6DS3TR-C: the family whose FIFO holds untagged words (see st.py for the registers)."""

from micropython import const

from lumbo_fw.imu.decode import decode_frames
from lumbo_fw.imu.st import St

_CTRL4_C = const(0x13)
_FIFO_STATUS1 = const(0x3A)
_TAP_CFG = const(0x58)
_FIFO_CTRL3_DS3 = const(0x08)
_FIFO_CTRL5_DS3 = const(0x0A)
_FIFO_DATA_OUT_L = const(0x3E)
_FIFO_CONTINUOUS = const(0x06)
_DS3_NO_DECIMATION = const(0x09)  # gyro and accel into the FIFO, every sample
_WORDS_PER_SAMPLE = const(6)


class Lsm6ds3Family(St):
    UNIT_BYTES = 12
    FIFO_WORDS = 4096
    DIFF_MASK = 0x0F  # FIFO_STATUS2 bits holding DIFF_FIFO's high bits

    def __init__(self, *args, **kwargs):
        St.__init__(self, *args, **kwargs)
        self._skipbuf = bytearray(2 * (_WORDS_PER_SAMPLE - 1))
        whole = memoryview(self._skipbuf)
        self._skipviews = [whole[: 2 * k] for k in range(_WORDS_PER_SAMPLE)]

    @property
    def fifo_samples(self):
        return self.FIFO_WORDS // _WORDS_PER_SAMPLE

    def _fifo_off(self):
        self._wr8(_FIFO_CTRL5_DS3, 0)  # bypass: the FIFO empties

    def _fifo_on(self, odr):
        self._wr8(_FIFO_CTRL3_DS3, _DS3_NO_DECIMATION)
        self._wr8(_FIFO_CTRL5_DS3, odr << 3 | _FIFO_CONTINUOUS)
        self._fifo_mode = odr << 3 | _FIFO_CONTINUOUS

    def _config_intact(self):
        if not St._config_intact(self):
            return False
        return self._rd8(_FIFO_CTRL5_DS3) == self._fifo_mode

    def _read_fifo(self, burst):
        four = self._four
        self._rd(_FIFO_STATUS1, four)
        words = four[0] | (four[1] & self.DIFF_MASK) << 8
        if four[1] & 0x20 and not words:
            words = self.FIFO_WORDS  # FIFO_FULL: a full FIFO's count does not fit DIFF_FIFO's bits
        if four[1] & 0x40:  # OVER_RUN
            burst.overflows += 1
            self.overflows += 1
        pattern = four[2] | (four[3] & 0x03) << 8
        if pattern:
            skip = _WORDS_PER_SAMPLE - pattern
            if words < skip:
                return 0
            if self._read_data(_FIFO_DATA_OUT_L, self._skipviews[skip], 0):
                return 0
            self.dropped += 1
            words -= skip
        frames = words // _WORDS_PER_SAMPLE
        if frames > self.max_samples:
            frames = self.max_samples
        if frames > burst.capacity:
            frames = burst.capacity
        if not frames:
            return 0
        if self._read_data(_FIFO_DATA_OUT_L, self._views[frames], frames):
            return 0  # FIFO_PATTERN realigns the next read
        return decode_frames(self._buf, frames, burst.samples, self._plan)


class Lsm6ds3(Lsm6ds3Family):
    NAME = "LSM6DS3"
    WHO_AM_I = 0x69
    TEMP_COUNTS_PER_C = 16
    # Gyro 7 mdps/sqrt(Hz), accel 90 ug/sqrt(Hz) (high performance); noise bandwidth about 30 Hz.
    GYRO_NOISE_MDPS = 39
    ACCEL_NOISE_UG = 500

    def _accel_filter_bits(self):
        return 0x03  # BW_XL: anti-aliasing at 50 Hz

    def _configure_filters(self):
        self._wr8(_CTRL4_C, 0x80)  # XL_BW_SCAL_ODR: the band comes from BW_XL


class Lsm6ds3trc(Lsm6ds3Family):
    NAME = "LSM6DS3TR-C"
    WHO_AM_I = 0x6A
    FIFO_WORDS = 2048
    DIFF_MASK = 0x07
    GYRO_NOISE_MDPS = 22
    ACCEL_NOISE_UG = 500

    def _latch_wake_interrupt(self):
        self._wr8(_TAP_CFG, 0x81)  # INTERRUPTS_ENABLE, LIR


CHIPS = (Lsm6ds3, Lsm6ds3trc)


def chip_for(who_am_i):
    for cls in CHIPS:
        if cls.WHO_AM_I == who_am_i:
            return cls
    return None
