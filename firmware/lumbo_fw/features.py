"""Motion features, accumulated sample by sample into tenth-of-a-second bins, without allocating.

`MotionFeatures.add(burst)` walks the samples of a Burst and sums them into bins of BIN_US of device time,
whatever the sample rate: each sample's time comes from the burst timestamps, so 25, 50 or 200 Hz give the
same bins. When a bin is full its means go into rings the posture classifier reads once a second:

    acc_mg[3 * i .. 3 * i + 2]   mean acceleration, gravity included, mg, board frame
    mag_mg[i]                    length of that mean, mg
    rot_ddps[i]                  mean of |gx| + |gy| + |gz| with the gyro bias removed, 0.1 dps

for bin number b at ring index i = b & RING_MASK. `bins` counts the bins closed so far and `seconds` the
whole seconds (BINS_PER_SECOND bins each). Counts become units once per bin with integer multipliers, so
the per-sample work is a handful of integer additions and no intermediate exceeds 2**30 (the ESP32's small
integer range).

The gyro bias is learnt here from still stretches (the accelerometer steady for a second): the mean rate
then is the bias, followed slowly. A real MEMS gyro drifts by 0.5-5 dps; left in, it would read as motion.
"""

from array import array
from time import ticks_diff

from micropython import const

BIN_US = const(100000)
BINS_PER_SECOND = const(10)
RING_BINS = const(128)
RING_MASK = const(127)
# Multipliers carry 12 fractional bits: count * mul >> 12 is the value in the unit.
_Q = const(12)
# A bin whose mean acceleration moved less than this from the previous bin's, on every axis, is still.
_STILL_MG = const(12)
# Still bins in a row before their mean rate is taken as the gyro bias.
_BIAS_STILL_BINS = const(10)
# A mean rate above this on any axis is a turn, not a bias, whatever the accelerometer says.
_BIAS_MAX_DDPS = const(100)
# The bias follows each still second by 1/2**_BIAS_SHIFT of the difference (about 16 s to settle).
_BIAS_SHIFT = const(4)
_MAX_GAP_FACTOR = const(8)
_MAX_MG = const(16000)


class MotionFeatures:
    def __init__(self, nominal_rate_hz):
        if nominal_rate_hz < BINS_PER_SECOND or nominal_rate_hz > 2000:
            raise ValueError(
                "nominal_rate_hz=%r is outside 10-2000 Hz; set the IMU rate (imu_rate_hz) to 25-200 Hz"
                % (nominal_rate_hz,)
            )
        self.nominal_period_us = 1000000 // nominal_rate_hz
        self.acc_mg = array("h", bytes(2 * 3 * RING_BINS))
        self.mag_mg = array("h", bytes(2 * RING_BINS))
        self.rot_ddps = array("H", bytes(2 * RING_BINS))
        self.bins = 0
        self.seconds = 0
        self.gyro_bias_counts = array("i", (0, 0, 0))
        # Running sums of the open bin: ax, ay, az, gx, gy, gz (counts), |g - bias| (counts), samples.
        self._sum = array("i", (0, 0, 0, 0, 0, 0, 0, 0))
        self._elapsed_us = 0
        self._last_t_us = 0
        self._have_t = False
        self._accel_mul = 0
        self._gyro_mul = 0
        self._accel_lsb = 0
        self._gyro_lsb = 0
        self._still_bins = 0
        self._still_gyro = array("i", (0, 0, 0))
        self._bias_known = False

    def _set_scale(self, accel_lsb_per_g, gyro_lsb_per_dps):
        # mg per count and 0.1 dps per count, with _Q fractional bits: computed once per scale change.
        self._accel_mul = int(1000 * (1 << _Q) / accel_lsb_per_g + 0.5)
        self._gyro_mul = int(10 * (1 << _Q) / gyro_lsb_per_dps + 0.5)
        self._accel_lsb = accel_lsb_per_g
        self._gyro_lsb = gyro_lsb_per_dps

    def add(self, burst):
        """Accumulate every sample of burst; close bins as device time passes. Allocates nothing."""
        n = burst.count
        if n <= 0:
            return
        if burst.accel_lsb_per_g != self._accel_lsb or burst.gyro_lsb_per_dps != self._gyro_lsb:
            self._set_scale(burst.accel_lsb_per_g, burst.gyro_lsb_per_dps)
        t_end = burst.t_end_us
        span_us = ticks_diff(t_end, self._last_t_us) if self._have_t else 0
        nominal_us = n * self.nominal_period_us
        if span_us > _MAX_GAP_FACTOR * nominal_us and self.bins > 0:
            # Samples went missing (FIFO overflow, a stall): the time without them passes as still bins,
            # so the bins keep step with the clock; this burst's samples come at the nominal spacing.
            self._skip(span_us - nominal_us)
            span_us = nominal_us
        elif span_us <= 0 or span_us > _MAX_GAP_FACTOR * nominal_us:
            # First burst or a clock step: assume the nominal rate.
            span_us = nominal_us
        self._last_t_us = t_end
        self._have_t = True
        dt_us = span_us // n
        last_extra_us = span_us - dt_us * n
        s = burst.samples
        acc = self._sum
        bias = self.gyro_bias_counts
        bx = bias[0]
        by = bias[1]
        bz = bias[2]
        sax = acc[0]
        say = acc[1]
        saz = acc[2]
        sgx = acc[3]
        sgy = acc[4]
        sgz = acc[5]
        sl1 = acc[6]
        cnt = acc[7]
        elapsed = self._elapsed_us
        j = 0
        for k in range(n):
            sax += s[j]
            say += s[j + 1]
            saz += s[j + 2]
            gx = s[j + 3]
            gy = s[j + 4]
            gz = s[j + 5]
            sgx += gx
            sgy += gy
            sgz += gz
            gx -= bx
            gy -= by
            gz -= bz
            sl1 += (gx if gx >= 0 else 0 - gx) + (gy if gy >= 0 else 0 - gy) + (gz if gz >= 0 else 0 - gz)
            cnt += 1
            j += 6
            elapsed += dt_us
            if k == n - 1:
                elapsed += last_extra_us
            if elapsed >= BIN_US:
                elapsed -= BIN_US
                acc[0] = sax
                acc[1] = say
                acc[2] = saz
                acc[3] = sgx
                acc[4] = sgy
                acc[5] = sgz
                acc[6] = sl1
                acc[7] = cnt
                self._close_bin()
                bx = bias[0]
                by = bias[1]
                bz = bias[2]
                sax = 0
                say = 0
                saz = 0
                sgx = 0
                sgy = 0
                sgz = 0
                sl1 = 0
                cnt = 0
        acc[0] = sax
        acc[1] = say
        acc[2] = saz
        acc[3] = sgx
        acc[4] = sgy
        acc[5] = sgz
        acc[6] = sl1
        acc[7] = cnt
        self._elapsed_us = elapsed

    def _skip(self, gap_us):
        """Let gap_us of device time pass with no samples: repeat the last closed bin."""
        gap_us += self._elapsed_us
        whole = gap_us // BIN_US
        self._elapsed_us = gap_us - whole * BIN_US
        if whole > RING_BINS:
            # Only the last RING_BINS bins can ever be read: count the others without writing them.
            extra = whole - RING_BINS
            self.seconds += (self.bins + extra) // BINS_PER_SECOND - self.bins // BINS_PER_SECOND
            self.bins += extra
            whole = RING_BINS
        a = self.acc_mg
        prev = (self.bins - 1) & RING_MASK
        ax = a[3 * prev]
        ay = a[3 * prev + 1]
        az = a[3 * prev + 2]
        mag = self.mag_mg[prev]
        for _ in range(whole):
            i = self.bins & RING_MASK
            a[3 * i] = ax
            a[3 * i + 1] = ay
            a[3 * i + 2] = az
            self.mag_mg[i] = mag
            self.rot_ddps[i] = 0
            self.bins += 1
            if self.bins % BINS_PER_SECOND == 0:
                self.seconds += 1

    def _close_bin(self):
        acc = self._sum
        cnt = acc[7]
        i = self.bins & RING_MASK
        prev = (self.bins - 1) & RING_MASK
        amul = self._accel_mul
        ax = (acc[0] // cnt) * amul >> _Q
        ay = (acc[1] // cnt) * amul >> _Q
        az = (acc[2] // cnt) * amul >> _Q
        # +-16 g keeps the sum of squares below 2**30; a bin mean beyond that is an impact, not posture.
        ax = _clamp(ax, _MAX_MG)
        ay = _clamp(ay, _MAX_MG)
        az = _clamp(az, _MAX_MG)
        a = self.acc_mg
        still = (
            self.bins > 0
            and _abs(ax - a[3 * prev]) < _STILL_MG
            and _abs(ay - a[3 * prev + 1]) < _STILL_MG
            and _abs(az - a[3 * prev + 2]) < _STILL_MG
        )
        a[3 * i] = ax
        a[3 * i + 1] = ay
        a[3 * i + 2] = az
        self.mag_mg[i] = isqrt(ax * ax + ay * ay + az * az)
        rot = (acc[6] // cnt) * self._gyro_mul >> _Q
        self.rot_ddps[i] = rot if rot < 65535 else 65535
        self._learn_bias(still, acc[3] // cnt, acc[4] // cnt, acc[5] // cnt)
        for k in range(8):
            acc[k] = 0
        self.bins += 1
        if self.bins % BINS_PER_SECOND == 0:
            self.seconds += 1

    def _learn_bias(self, still, gx, gy, gz):
        sg = self._still_gyro
        limit = (_BIAS_MAX_DDPS << _Q) // self._gyro_mul if self._gyro_mul else 0
        if not still or _abs(gx) > limit or _abs(gy) > limit or _abs(gz) > limit:
            self._still_bins = 0
            sg[0] = 0
            sg[1] = 0
            sg[2] = 0
            return
        self._still_bins += 1
        sg[0] += gx
        sg[1] += gy
        sg[2] += gz
        if self._still_bins < _BIAS_STILL_BINS:
            return
        bias = self.gyro_bias_counts
        for k in range(3):
            mean = sg[k] // _BIAS_STILL_BINS
            if self._bias_known:
                bias[k] += (mean - bias[k]) >> _BIAS_SHIFT
            else:
                bias[k] = mean
            sg[k] = 0
        self._bias_known = True
        self._still_bins = 0

    def bin_index(self, b):
        """Ring index of bin number b (which must be one of the last RING_BINS bins)."""
        return b & RING_MASK

    def mean_accel_mg(self, first_bin, n_bins, out):
        """Mean acceleration (mg) over bins first_bin .. first_bin + n_bins - 1, into out[0..2]."""
        a = self.acc_mg
        sx = 0
        sy = 0
        sz = 0
        for b in range(first_bin, first_bin + n_bins):
            i = 3 * (b & RING_MASK)
            sx += a[i]
            sy += a[i + 1]
            sz += a[i + 2]
        out[0] = sx // n_bins
        out[1] = sy // n_bins
        out[2] = sz // n_bins
        return out

    def gravity_q14(self, out):
        """The "up" direction over the last whole second as a unit vector of length 16384, into out.

        The mean of the accelerometer over a second: gravity plus whatever the body did, which averages
        out for a wearer who is not accelerating for long. The tilt filter's gravity_q14 is the better
        estimate; this one serves until it is wired in, and in tests.
        """
        first = (self.seconds - 1) * BINS_PER_SECOND
        self.mean_accel_mg(first, BINS_PER_SECOND, out)
        return normalize_q14(out)


def _abs(x):
    return x if x >= 0 else 0 - x


def _clamp(x, limit):
    if x > limit:
        return limit
    if x < 0 - limit:
        return 0 - limit
    return x


def isqrt(n):
    """Integer square root (floor) of 0 <= n < 2**30, by Newton's method; no allocation."""
    if n <= 0:
        return 0
    x = n
    y = (x + 1) >> 1
    while y < x:
        x = y
        y = (x + n // x) >> 1
    return x


def normalize_q14(v):
    """Scale the 3-vector v in place to length 16384; a zero vector stays zero. Returns v."""
    x = v[0]
    y = v[1]
    z = v[2]
    # Bring the components into 0..8191 so the squares stay below 2**30 on the ESP32.
    m = _abs(x)
    if _abs(y) > m:
        m = _abs(y)
    if _abs(z) > m:
        m = _abs(z)
    if m == 0:
        return v
    shift = 0
    while (m >> shift) > 8191:
        shift += 1
    while m << 1 <= 8191 and shift > -8:
        m <<= 1
        shift -= 1
    if shift >= 0:
        x >>= shift
        y >>= shift
        z >>= shift
    else:
        x <<= 0 - shift
        y <<= 0 - shift
        z <<= 0 - shift
    length = isqrt(x * x + y * y + z * z)
    v[0] = (x << 14) // length if x >= 0 else 0 - (((0 - x) << 14) // length)
    v[1] = (y << 14) // length if y >= 0 else 0 - (((0 - y) << 14) // length)
    v[2] = (z << 14) // length if z >= 0 else 0 - (((0 - z) << 14) // length)
    return v
