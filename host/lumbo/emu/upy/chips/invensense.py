"""Emulated InvenSense MPU-6050 and MPU-6500/MPU-9250 (the GY-521 family), at their register maps."""

# Modelled (register numbers from the MPU-6000/6050 Register Map rev 4.2 and the MPU-6500 Register Map
# rev 2.1):
# - identity: WHO_AM_I (0x75); PWR_MGMT_1 (0x6B) DEVICE_RESET, SLEEP, CYCLE; PWR_MGMT_2 (0x6C) wake rate;
# - configuration: SMPLRT_DIV (0x19), CONFIG (0x1A: DLPF_CFG, and on the 6500 FIFO_MODE), GYRO_CONFIG
#   (0x1B), ACCEL_CONFIG (0x1C), ACCEL_CONFIG2 (0x1D, 6500), LP_ACCEL_ODR (0x1E, 6500);
#   sample rate = 1 kHz / (1 + SMPLRT_DIV) with the low-pass on (8 kHz with DLPF_CFG 0 or 7);
# - data: ACCEL_OUT (0x3B), TEMP_OUT (0x41), GYRO_OUT (0x43), big-endian, two's complement;
# - FIFO: FIFO_EN (0x23), USER_CTRL (0x6A: FIFO_EN, FIFO_RESET), FIFO_COUNT (0x72-0x73), FIFO_R_W (0x74,
#   read repeatedly without the address moving on); 1024 bytes (6050) or 512 (6500). Frames are the enabled
#   sensors in register order (accel, temperature, gyro). When full, the oldest byte is overwritten (the
#   6500 with CONFIG.FIFO_MODE=1 drops new bytes instead) and INT_STATUS.FIFO_OFLOW_INT is set: a reader
#   that ignores it then reads frames that start mid-sample, exactly the misalignment a real chip gives.
#   Reading an empty FIFO repeats the last byte read.
# - interrupts: INT_PIN_CFG (0x37: active low, latch, clear on any read), INT_ENABLE (0x38), INT_STATUS
#   (0x3A, cleared when read): DATA_RDY, FIFO_OFLOW, and motion (6050 MOT_INT / 6500 WOM_INT), each
#   flagged only when enabled in INT_ENABLE;
# - motion: 6050 MOT_THR (0x1F, 2 mg per count), MOT_DUR (0x20, 1 ms per count), MOT_DETECT_CTRL (0x69),
#   the accelerometer high-pass in ACCEL_CONFIG bits 2:0 (0 = off; 7 = hold: compare with the sample held
#   when set; others are approximated as a comparison with the previous sample), and the low-power cycle
#   (PWR_MGMT_1.CYCLE with PWR_MGMT_2.LP_WAKE_CTRL: 1.25, 5, 20 or 40 Hz);
#   6500 WOM_THR (0x1F, 4 mg per count), ACCEL_INTEL_CTRL (0x69: enable, compare with previous sample) and
#   LP_ACCEL_ODR (0.24-500 Hz) in cycle mode.
# Not modelled: the filters' dynamics (the source is already band-limited), self-test, offsets, the DMP,
# the auxiliary I2C master, FSYNC.

from chips.regchip import EmulatorError, RegisterChip, quantise

_SMPLRT_DIV = 0x19
_CONFIG = 0x1A
_GYRO_CONFIG = 0x1B
_ACCEL_CONFIG = 0x1C
_ACCEL_CONFIG2 = 0x1D
_LP_ACCEL_ODR = 0x1E
_MOT_THR = 0x1F  # WOM_THR on the 6500
_MOT_DUR = 0x20
_FIFO_EN = 0x23
_INT_PIN_CFG = 0x37
_INT_ENABLE = 0x38
_INT_STATUS = 0x3A
_ACCEL_OUT = 0x3B
_TEMP_OUT = 0x41
_GYRO_OUT = 0x43
_SIGNAL_PATH_RESET = 0x68
_MOT_DETECT_CTRL = 0x69  # ACCEL_INTEL_CTRL on the 6500
_USER_CTRL = 0x6A
_PWR_MGMT_1 = 0x6B
_PWR_MGMT_2 = 0x6C
_FIFO_COUNTH = 0x72
_FIFO_COUNTL = 0x73
_FIFO_R_W = 0x74

_INT_DATA_RDY = 0x01
_INT_FIFO_OFLOW = 0x10
_INT_MOTION = 0x40

# Gyro counts per mdps for FS_SEL 0-3 (131, 65.5, 32.8, 16.4 LSB per dps), as (num, den).
_GYRO_SCALE = ((131, 1000), (131, 2000), (41, 1250), (41, 2500))
_LP_WAKE_PERIOD_NS = (800000000, 200000000, 50000000, 25000000)  # 1.25, 5, 20, 40 Hz
# MPU-6500 LP_ACCEL_ODR 0-11: 0.24, 0.49, 0.98, 1.95, 3.91, 7.81, 15.63, 31.25, 62.5, 125, 250, 500 Hz.
_LP_ACCEL_PERIOD_NS = (4096000000, 2048000000, 1024000000, 512000000, 256000000, 128000000, 64000000,
                       32000000, 16000000, 8000000, 4000000, 2000000)


class InvenSenseChip(RegisterChip):
    FIFO_BYTES = 1024
    # Whether CONFIG bit 6 (FIFO_MODE: stop writing when full) exists.
    HAS_FIFO_MODE = False
    # Temperature: counts = (T - offset) * scale, as centidegrees offset and counts per 100 degrees.
    TEMP_OFFSET_CDEG = 3653
    TEMP_COUNTS_PER_100C = 34000

    def __init__(self, source, clock, int_pin=None, temperature_cdeg=2500, clock_ppm=0):
        self._fifo = bytearray(self.FIFO_BYTES)
        self._fifo_read = 0
        self._fifo_count = 0
        self._fifo_last = 0
        self._previous = [0, 0, 0]
        self._has_previous = False
        self._motion_run = 0
        self._hold_pending = False
        self._status = 0
        RegisterChip.__init__(self, source, clock, int_pin, temperature_cdeg, clock_ppm)

    # -- state a test can look at ----------------------------------------------------------------------

    @property
    def fifo_count(self):
        return self._fifo_count

    @property
    def mode(self):
        """"sleep", "cycle" (low-power accelerometer only) or "measure"."""
        pwr = self.regs[_PWR_MGMT_1]
        if pwr & 0x40:
            return "sleep"
        if pwr & 0x20:
            return "cycle"
        return "measure"

    @property
    def accel_lsb_per_g(self):
        return 16384 >> ((self.regs[_ACCEL_CONFIG] >> 3) & 3)

    # -- registers -------------------------------------------------------------------------------------

    def _power_on_reset(self):
        self._fifo_read = 0
        self._fifo_count = 0
        self._status = 0
        self._has_previous = False
        self._motion_run = 0
        RegisterChip._power_on_reset(self)

    def _next_register(self, register):
        if register == _FIFO_R_W:
            return register
        return (register + 1) & 0xFF

    def _read_register(self, register):
        if register == _INT_STATUS:
            value = self._status
            self._status = 0
            self._update_int()
            return value
        if register == _FIFO_COUNTH:
            return self._fifo_count >> 8
        if register == _FIFO_COUNTL:
            return self._fifo_count & 0xFF
        if register == _FIFO_R_W:
            if self._fifo_count:
                self._fifo_last = self._fifo[self._fifo_read]
                self._fifo_read += 1
                if self._fifo_read == self.FIFO_BYTES:
                    self._fifo_read = 0
                self._fifo_count -= 1
            return self._fifo_last
        return self.regs[register]

    def _after_access(self):
        if self.regs[_INT_PIN_CFG] & 0x10 and self._status:
            self._status = 0  # INT_RD_CLEAR: any read clears the status
            self._update_int()

    def _write_register(self, register, value):
        regs = self.regs
        if register == _PWR_MGMT_1:
            if value & 0x80:
                self.resets += 1
                self._power_on_reset()
                return
            regs[register] = value
        elif register == _USER_CTRL:
            if value & 0x04:
                self._fifo_read = 0
                self._fifo_count = 0
            regs[register] = value & ~0x07  # the reset bits clear themselves
        elif register == _SIGNAL_PATH_RESET:
            return
        elif register == _ACCEL_CONFIG:
            if value & 7 == 7 and regs[register] & 7 != 7:
                self._hold_pending = True
            regs[register] = value
        elif register == _GYRO_CONFIG:
            if value & 0x03:
                raise EmulatorError("%s: GYRO_CONFIG.FCHOICE_B (bypassing the low-pass) is not modelled" % self.NAME)
            regs[register] = value
        else:
            regs[register] = value
        if register in (_PWR_MGMT_1, _PWR_MGMT_2, _SMPLRT_DIV, _CONFIG, _LP_ACCEL_ODR, _MOT_DETECT_CTRL):
            self._reschedule()

    def _reschedule(self):
        regs = self.regs
        pwr = regs[_PWR_MGMT_1]
        self._has_previous = False
        self._motion_run = 0
        if pwr & 0x40:
            self._stop_sampling()
        elif pwr & 0x20:
            self._start_sampling(self._cycle_period_ns())
        else:
            dlpf = regs[_CONFIG] & 7
            base_ns = 125000 if dlpf == 0 or dlpf == 7 else 1000000
            self._start_sampling(base_ns * (1 + regs[_SMPLRT_DIV]))

    def _cycle_period_ns(self):
        return _LP_WAKE_PERIOD_NS[self.regs[_PWR_MGMT_2] >> 6]

    # -- sampling --------------------------------------------------------------------------------------

    def _sample(self, t_us):
        regs = self.regs
        frame = self.frame
        counts = self.counts
        lsb = self.accel_lsb_per_g
        counts[0] = quantise(frame[0], lsb, 1000000)
        counts[1] = quantise(frame[1], lsb, 1000000)
        counts[2] = quantise(frame[2], lsb, 1000000)
        num, den = _GYRO_SCALE[(regs[_GYRO_CONFIG] >> 3) & 3]
        counts[3] = quantise(frame[3], num, den)
        counts[4] = quantise(frame[4], num, den)
        counts[5] = quantise(frame[5], num, den)
        temp = quantise(self.temperature_cdeg - self.TEMP_OFFSET_CDEG, self.TEMP_COUNTS_PER_100C, 10000)
        self._put16(_ACCEL_OUT, counts[0])
        self._put16(_ACCEL_OUT + 2, counts[1])
        self._put16(_ACCEL_OUT + 4, counts[2])
        self._put16(_TEMP_OUT, temp)
        self._put16(_GYRO_OUT, counts[3])
        self._put16(_GYRO_OUT + 2, counts[4])
        self._put16(_GYRO_OUT + 4, counts[5])
        status = _INT_DATA_RDY
        if regs[_PWR_MGMT_1] & 0x20 == 0 and regs[_USER_CTRL] & 0x40:
            status |= self._push_frame()
        if self._motion(frame):
            status |= _INT_MOTION
        self._raise(status)

    def _put16(self, register, value):
        self.regs[register] = (value >> 8) & 0xFF
        self.regs[register + 1] = value & 0xFF

    def _push_frame(self):
        enabled = self.regs[_FIFO_EN]
        overflow = 0
        if enabled & 0x08:
            overflow |= self._push_bytes(_ACCEL_OUT, 6)
        if enabled & 0x80:
            overflow |= self._push_bytes(_TEMP_OUT, 2)
        if enabled & 0x40:
            overflow |= self._push_bytes(_GYRO_OUT, 2)
        if enabled & 0x20:
            overflow |= self._push_bytes(_GYRO_OUT + 2, 2)
        if enabled & 0x10:
            overflow |= self._push_bytes(_GYRO_OUT + 4, 2)
        return overflow

    def _push_bytes(self, register, n):
        overflow = 0
        size = self.FIFO_BYTES
        stop_when_full = self.HAS_FIFO_MODE and self.regs[_CONFIG] & 0x40
        i = 0
        while i < n:
            if self._fifo_count == size:
                overflow = _INT_FIFO_OFLOW
                if stop_when_full:
                    i += 1
                    continue
                self._fifo_read += 1  # the oldest byte is lost
                if self._fifo_read == size:
                    self._fifo_read = 0
                self._fifo_count -= 1
            write = self._fifo_read + self._fifo_count
            if write >= size:
                write -= size
            self._fifo[write] = self.regs[register + i]
            self._fifo_count += 1
            i += 1
        if overflow:
            self.overflows += 1
        return overflow

    def _frame_bytes(self):
        enabled = self.regs[_FIFO_EN]
        n = 6 if enabled & 0x08 else 0
        if enabled & 0x80:
            n += 2
        i = 0x10
        while i <= 0x40:
            if enabled & i:
                n += 2
            i <<= 1
        return n

    def _keep_samples(self):
        if self.regs[_PWR_MGMT_1] & 0x20:
            return 1 << 30  # wake-on-motion: every sample counts
        frame = self._frame_bytes()
        return self.FIFO_BYTES // frame + 2 if frame else 2

    def _skip(self, n):
        """n whole frames were written and overwritten unseen: the FIFO is full and its read position
        is wherever n frames of writes left it."""
        frame = self._frame_bytes()
        if not frame or not self.regs[_USER_CTRL] & 0x40:
            return
        size = self.FIFO_BYTES
        total = self._fifo_count + n * frame
        if total <= size:
            self._fifo_count = total  # (cannot happen: n exceeds what the FIFO holds)
            return
        self._raise(_INT_FIFO_OFLOW)
        self.overflows += 1
        if self.HAS_FIFO_MODE and self.regs[_CONFIG] & 0x40:
            self._fifo_count = size
            return
        self._fifo_read = (self._fifo_read + total - size) % size
        self._fifo_count = size

    def _motion(self, frame):
        """The motion interrupt condition for this sample (the 6050's; the 6500 overrides)."""
        regs = self.regs
        if not regs[_INT_ENABLE] & _INT_MOTION:
            return False
        hpf = regs[_ACCEL_CONFIG] & 7
        if hpf == 0:
            return False
        previous = self._previous
        if self._hold_pending or not self._has_previous:
            previous[0] = frame[0]
            previous[1] = frame[1]
            previous[2] = frame[2]
            self._has_previous = True
            self._hold_pending = False
            return False
        threshold_ug = regs[_MOT_THR] * 2000
        moved = (abs(frame[0] - previous[0]) > threshold_ug or abs(frame[1] - previous[1]) > threshold_ug
                 or abs(frame[2] - previous[2]) > threshold_ug)
        if hpf != 7:
            previous[0] = frame[0]
            previous[1] = frame[1]
            previous[2] = frame[2]
        if not moved:
            self._motion_run = 0
            return False
        self._motion_run += 1
        return self._motion_run * self.sample_period_us >= regs[_MOT_DUR] * 1000

    def _raise(self, status):
        # Only enabled interrupts are flagged: a driver must enable what it means to watch.
        self._status |= status & self.regs[_INT_ENABLE]
        self._update_int()

    def _update_int(self):
        cfg = self.regs[_INT_PIN_CFG]
        active = self._status & self.regs[_INT_ENABLE] & (_INT_DATA_RDY | _INT_FIFO_OFLOW | _INT_MOTION)
        if cfg & 0x20:
            self._set_int(active, cfg & 0x80, False)
        elif active:
            self._set_int(active, cfg & 0x80, True)


class Mpu6050(InvenSenseChip):
    NAME = "MPU-6050"
    WHO_AM_I = 0x68
    RESET_VALUES = ((_PWR_MGMT_1, 0x40),)
    WRITABLE = bytes((_SMPLRT_DIV, _CONFIG, _GYRO_CONFIG, _ACCEL_CONFIG, _MOT_THR, _MOT_DUR, _FIFO_EN,
                      _INT_PIN_CFG, _INT_ENABLE, _SIGNAL_PATH_RESET, _MOT_DETECT_CTRL, _USER_CTRL,
                      _PWR_MGMT_1, _PWR_MGMT_2))


class Mpu6500(InvenSenseChip):
    NAME = "MPU-6500"
    WHO_AM_I = 0x70
    FIFO_BYTES = 512
    HAS_FIFO_MODE = True
    TEMP_OFFSET_CDEG = 2100
    TEMP_COUNTS_PER_100C = 33387
    RESET_VALUES = ((_PWR_MGMT_1, 0x01),)
    WRITABLE = bytes((_SMPLRT_DIV, _CONFIG, _GYRO_CONFIG, _ACCEL_CONFIG, _ACCEL_CONFIG2, _LP_ACCEL_ODR,
                      _MOT_THR, _FIFO_EN, _INT_PIN_CFG, _INT_ENABLE, _SIGNAL_PATH_RESET, _MOT_DETECT_CTRL,
                      _USER_CTRL, _PWR_MGMT_1, _PWR_MGMT_2))

    def _cycle_period_ns(self):
        code = self.regs[_LP_ACCEL_ODR] & 0x0F
        if code >= len(_LP_ACCEL_PERIOD_NS):
            raise EmulatorError("%s: LP_ACCEL_ODR=%d is reserved" % (self.NAME, code))
        return _LP_ACCEL_PERIOD_NS[code]

    def _motion(self, frame):
        regs = self.regs
        if not regs[_INT_ENABLE] & _INT_MOTION or regs[_MOT_DETECT_CTRL] & 0xC0 != 0xC0:
            return False
        previous = self._previous
        moved = False
        if self._has_previous:
            threshold_ug = regs[_MOT_THR] * 4000
            moved = (abs(frame[0] - previous[0]) > threshold_ug or abs(frame[1] - previous[1]) > threshold_ug
                     or abs(frame[2] - previous[2]) > threshold_ug)
        previous[0] = frame[0]
        previous[1] = frame[1]
        previous[2] = frame[2]
        self._has_previous = True
        return moved


class Mpu9250(Mpu6500):
    """The MPU-6500 with a magnetometer beside it (not modelled); the same accelerometer and gyro."""

    NAME = "MPU-9250"
    WHO_AM_I = 0x71


CHIPS = (Mpu6050, Mpu6500, Mpu9250)
