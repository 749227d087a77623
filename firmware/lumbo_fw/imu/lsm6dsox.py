"""ST LSM6DSOX and LSM6DSO: the family whose FIFO holds tagged entries (see st.py for the registers)."""

from micropython import const

from lumbo_fw.imu.decode import decode_tagged
from lumbo_fw.imu.st import St

_CTRL8_XL = const(0x17)
_FIFO_STATUS1 = const(0x3A)
_TAP_CFG0 = const(0x56)
_TAP_CFG2 = const(0x58)
_FIFO_CONTINUOUS = const(0x06)
_FIFO_CTRL3_DSOX = const(0x09)
_FIFO_CTRL4_DSOX = const(0x0A)
_FIFO_DATA_OUT_TAG = const(0x78)
_ENTRY_BYTES = const(7)
_DROPPED = const(34)  # where decode_tagged counts dropped entries in the plan


class Lsm6dsox(St):
    NAME = "LSM6DSO/LSM6DSOX"
    WHO_AM_I = 0x6C
    UNIT_BYTES = _ENTRY_BYTES
    UNITS_PER_SAMPLE = 2
    EXTRA_UNITS = 1
    FIFO_ENTRIES = 512
    # Gyro 3.8 mdps/sqrt(Hz), accel 70 ug/sqrt(Hz); LPF2 at 13 Hz on the accelerometer.
    GYRO_NOISE_MDPS = 21
    ACCEL_NOISE_UG = 330

    @property
    def fifo_samples(self):
        return self.FIFO_ENTRIES // 2

    def _accel_filter_bits(self):
        return 0x02  # LPF2_XL_EN

    def _configure_filters(self):
        self._wr8(_CTRL8_XL, 0x00)  # HPCF_XL 000: LPF2 at ODR/4

    def _fifo_off(self):
        self._wr8(_FIFO_CTRL4_DSOX, 0)  # bypass: the FIFO empties
        self._plan[32] = 0  # nothing pending from before

    def _fifo_on(self, odr):
        self._wr8(_FIFO_CTRL3_DSOX, odr << 4 | odr)  # batch gyro and accel at their rate
        self._wr8(_FIFO_CTRL4_DSOX, _FIFO_CONTINUOUS)

    def _config_intact(self):
        if not St._config_intact(self):
            return False
        return self._rd8(_FIFO_CTRL4_DSOX) == _FIFO_CONTINUOUS

    def _after_bus_error(self):
        self._plan[32] = 0  # a pending gyro entry may have lost its partner: the tags realign the rest

    def _latch_wake_interrupt(self):
        self._wr8(_TAP_CFG0, 0x01)  # LIR
        self._wr8(_TAP_CFG2, 0x80)  # INTERRUPTS_ENABLE

    def _read_fifo(self, burst):
        two = self._two
        self._rd(_FIFO_STATUS1, two)
        entries = two[0] | (two[1] & 0x03) << 8
        if two[1] & 0x08:  # FIFO_OVR_LATCHED
            burst.overflows += 1
            self.overflows += 1
        room = self.max_samples
        if room > burst.capacity:
            room = burst.capacity
        limit = 2 * room + (1 if self._plan[32] == 0 else 0)
        if entries > limit:
            entries = limit
        if entries > self.max_units:
            entries = self.max_units
        if not entries:
            return 0
        if self._read_data(_FIFO_DATA_OUT_TAG, self._views[entries], entries // 2):
            return 0
        n = decode_tagged(self._buf, entries, burst.samples, self._plan, room)
        plan = self._plan
        if plan[_DROPPED]:
            self.dropped += plan[_DROPPED]
            plan[_DROPPED] = 0
        return n


CHIPS = (Lsm6dsox,)


def chip_for(who_am_i):
    for cls in CHIPS:
        if cls.WHO_AM_I == who_am_i:
            return cls
    return None
