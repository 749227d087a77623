"""Tilt filter: the direction of gravity in the sensor's frame, from accelerometer and gyroscope bursts.

The method (docs/tilt-filter.md has the derivation and the figures):

- The accelerometer is low-pass filtered (second-order Butterworth) in a frame that the gyroscope keeps
  still: both filter states are rotated by each gyro increment before the new sample is blended in.
  Gravity is constant in that frame while walking, tapping and vibration average out, so the filter
  output is the gravity direction even during motion. The time constant is short while the sensor rests.
- The gyro bias is learned while the sensor rests (from the gyro's own low-pass) and, more slowly, during
  motion (from the part of the filter's correction that a bias would cause). A variance of the bias
  estimate sets how fast motion learning goes: fast after a cold start, slow once the bias is known.
- The accelerometer offset is learned at rest from the magnitude of gravity (it makes tilt angles too
  large or too small otherwise) and taken off the output.
- The sample period comes from the bursts' timestamps (total time over total samples, so read-time
  jitter cancels); a chip clock that runs fast or slow is measured, not assumed.

The per-sample path is one viper function over the burst in fixed point, allocating nothing. Under
CPython the same source runs as plain Python (lumbo.mpcompat supplies the viper pointer casts).
Integer formats (units in the names): accel Q24 g (1 g = 2**24), gyro counts in Q12 or Q18, rotation
per sample in Q15 rad. Products of two 30-bit values never happen: `x * m >> s` is split as
`((x >> 15) * m >> (s - 15)) + ((x & 32767) * m >> s)` with |x| < 2**30 and |m| < 2**15, so every
intermediate stays below 2**30 on a 32-bit ESP32. State words are stored as x + 2**29 because viper's
32-bit loads are zero-extended on 64-bit builds.
"""

import struct
from array import array
from time import ticks_diff

import micropython
from micropython import const

# ---- state words (each stored as value + _OFF) ----
_F = const(0)  # 0..2 low-passed specific force, Q24 g: the gravity estimate before normalising
_V = const(3)  # 3..5 the low-pass's rate state divided by its corner frequency, Q24 g
_B = const(6)  # 6..8 gyro bias, Q18 counts
_GL = const(9)  # 9..11 gyro low-pass for rest detection, Q12 counts
_AL = const(12)  # 12..14 accel low-pass for rest detection, Q24 g
_AN = const(15)  # 15..17 accel low-pass when the current still spell began, Q24 g
_REM = const(18)  # 18..20 rotation below the Q15 rad step, carried to the next sample, Q25 rad
_P = const(21)  # variance of the bias estimate, 2**-24 dps**2
_P_US = const(22)  # time since the variance last grew, us
_REST_US = const(23)  # length of the current still spell, us (capped)
_INIT = const(24)  # 1 once the first sample has set the state
_RECOVER_US = const(25)  # time left trusting the accelerometer more after the gyro lost track, us
_OFS = const(26)  # 26..28 accelerometer offset, learned at rest from the magnitude of gravity, Q24 g
_STATE_WORDS = const(29)
_OFF = const(0x20000000)

# ---- coefficient words (non-negative, plain) ----
# Coefficients below one are a mantissa in [2**14, 2**15) and a shift in [15, 31].
_C_ACC = const(0)  # accel counts -> Q24 g: multiplier
_C_GM = const(1)  # gyro Q12 counts -> Q25 rad per sample
_C_GS = const(2)
_C_WM = const(3)  # corner frequency x period, in motion
_C_WS = const(4)
_C_WRM = const(5)  # the same while resting
_C_WRS = const(6)
_C_KRM = const(7)  # rest-detection low-pass gain per sample
_C_KRS = const(8)
_C_KBM = const(9)  # bias gain per sample while resting
_C_KBS = const(10)
_C_KMF = const(11)  # bias gain in motion, fast (uncertain bias), mantissa
_C_KMW = const(12)  # ... slow (known bias), mantissa with the same shift
_C_KMS = const(13)
_C_KPM = const(14)  # variance decay per sample in motion, at full gain
_C_KPS = const(15)
_C_TH_GYRO = const(16)  # still: gyro within this of its low-pass, Q12 counts
_C_TH_ACC = const(17)  # still: accel within this of its low-pass, Q24 g
_C_TH_ANCHOR = const(18)  # still: accel low-pass within this of where the spell began, Q24 g
_C_BIAS_MAX = const(19)  # gyro low-pass above this is motion, never bias, Q12 counts
_C_REST_US = const(20)  # still this long before the bias is learned, us
_C_PERIOD_US = const(21)  # sample period, us
_C_R = const(22)  # bias variance of one motion observation, 2**-24 dps**2
_C_P_GROW_US = const(23)  # the variance grows by one unit every this many us
_C_P_MAX = const(24)
_C_CROSS_MAX = const(25)  # motion learning ignores pulls larger than a bias_max bias would cause, Q23
_C_RECOVER_US = const(26)  # trust the accelerometer more this long after the gyro clipped, us
_C_KOM = const(27)  # accelerometer offset gain per resting sample
_C_KOS = const(28)
_C_OFS_DEAD = const(29)  # magnitude errors within this are left alone (scale error, not offset), Q13 g
_C_KBFM = const(30)  # bias gain per sample while resting and the bias is still unknown
_C_KBFS = const(31)
_C_VAR_FAST = const(32)  # "still unknown": the variance above this, 2**-24 dps**2
_CO_WORDS = const(33)

_ACCEL_ERR_MAX = const(1 << 27)  # 8 g: larger innovations are clipped (taps, knocks)
_STATE_MAX = const(1 << 28)  # 16 g: the filter states never leave this, whatever comes in
_PHI_MAX = const(8192)  # a quarter radian per sample, Q15
_OFS_MAX = const(1 << 22)  # 0.25 g: no working accelerometer is further off
_SQRT2_FRAC_Q15 = const(13573)  # (sqrt(2) - 1) * 2**15
_P_UNIT_PER_DPS2 = 16777216.0

# Supported sample periods, us (25 Hz to 1 kHz), and the range of the scaled constants.
PERIOD_MIN_US = const(1000)
PERIOD_MAX_US = const(40000)
_PERIOD_ACCEPT_SHIFT = const(2)  # a burst whose mean period is off by more than 1/4 is not used to time

MAX_BURST = const(8192)  # samples per update(); keeps per-burst products below 2**30

SAVE_MAGIC = b"LTF1"
_PY_FIELDS = "<iiiiii"  # period_q4, t_prev_us, t_valid, sum_us, sum_n, overflows


class TiltSettings:
    """Time constants and thresholds of the tilt filter. Defaults suit a body-worn sensor at 25-1000 Hz."""

    def __init__(self):
        self.accel_tau_s = 2.12  # accelerometer low-pass in the gyro-held frame, in motion (corner sqrt(2)/3 rad/s)
        self.accel_tau_rest_s = 0.5  # ... while the sensor rests (no linear acceleration to reject)
        self.rest_filter_tau_s = 0.5  # low-pass that rest detection compares samples with
        self.rest_gyro_dps = 4.0  # still: every gyro axis within this of its low-pass
        self.rest_accel_g = 0.05  # still: every accel axis within this of its low-pass
        self.rest_anchor_g = 0.01  # still: the accel low-pass drifts less than this (~0.6 deg) in a spell
        self.rest_min_s = 1.5  # still this long before the bias is learned
        self.bias_rest_tau_s = 3.0  # bias follows the gyro low-pass with this time constant at rest
        self.bias_rest_tau_fast_s = 0.5  # ... and with this one while its uncertainty is above:
        self.bias_known_sigma_dps = 0.5
        self.bias_max_dps = 8.0  # no bias is larger: a steady turn faster than this is motion
        self.bias_motion_tau_fast_s = 10.0  # motion learning with an unknown bias
        self.bias_motion_tau_slow_s = 100.0  # ... with a known bias
        self.bias_sigma_init_dps = 5.0  # bias uncertainty after a cold start
        self.bias_sigma_motion_dps = 0.22  # uncertainty of one motion observation
        self.bias_drift_dps2_per_s = 1e-4  # how fast the bias may wander (temperature)
        self.recover_s = 2.0  # after the gyro clipped, the accelerometer is trusted as at rest this long
        self.accel_offset_tau_s = 10.0  # the accelerometer offset is learned over this much rest
        self.accel_offset_deadband_g = 0.01  # |gravity| errors this small may be scale, not offset: left


def _mantissa(value):
    """value (0 < value < 1) as (m, s) with m in [2**14, 2**15) and value ~= m / 2**s. Floats: setup only."""
    if not 0.0 < value < 1.0:
        raise ValueError("coefficient %r is outside (0, 1)" % value)
    s = 15
    m = value * 32768.0
    while m < 16384.0:
        m *= 2.0
        s += 1
    mi = int(m + 0.5)
    if mi >= 32768:
        mi >>= 1
        s -= 1
    return mi, s


def _per_us(value_per_us):
    """A constant per microsecond of sample period as (m, s), m in [2**12, 2**13): m * period_us < 2**29."""
    m, s = _mantissa(value_per_us)
    return m >> 2, s - 2


def _scale_by_period(m, s, period_us):
    """(m, s) per us times an integer period -> a coefficient (m, s) with m in [2**14, 2**15), s in [15, 31]."""
    prod = m * period_us
    while prod >= 32768:
        prod >>= 1
        s -= 1
    while prod < 16384:
        prod <<= 1
        s += 1
    if s < 15:
        raise ValueError("sample period %d us makes a filter gain reach 1; use a faster rate" % period_us)
    while s > 31:
        prod >>= 1
        s -= 1
    return prod, s


@micropython.viper
def _run(samples, count: int, st, co) -> int:
    """Filter `count` samples (six int16 each) into the state; returns 1 if the sensor rests at the end."""
    s = ptr16(samples)  # noqa: F821  (viper builtin)
    p = ptr32(st)  # noqa: F821
    c = ptr32(co)  # noqa: F821
    off = int(_OFF)
    acc = int(c[_C_ACC])
    gm = int(c[_C_GM])
    gs = int(c[_C_GS])
    gs1 = gs - 15
    krm = int(c[_C_KRM])
    krs = int(c[_C_KRS])
    krs1 = krs - 15
    kbm = int(c[_C_KBM])
    kbs = int(c[_C_KBS])
    th_g = int(c[_C_TH_GYRO])
    th_a = int(c[_C_TH_ACC])
    th_n = int(c[_C_TH_ANCHOR])
    bmax = int(c[_C_BIAS_MAX])
    bmax18 = bmax << 6
    rest_min = int(c[_C_REST_US])
    per_us = int(c[_C_PERIOD_US])
    p_grow_us = int(c[_C_P_GROW_US])
    p_max = int(c[_C_P_MAX])
    emax = int(_ACCEL_ERR_MAX)
    # at rest the bias follows the gyro low-pass: quickly while it is unknown, then slowly (averaging sway)
    var_now = int(p[21]) - off
    if var_now > int(c[_C_VAR_FAST]):
        kbm = int(c[_C_KBFM])
        kbs = int(c[_C_KBFS])
    kbs1 = kbs - 15

    fx = int(p[0]) - off
    fy = int(p[1]) - off
    fz = int(p[2]) - off
    vx = int(p[3]) - off
    vy = int(p[4]) - off
    vz = int(p[5]) - off
    bx = int(p[6]) - off
    by = int(p[7]) - off
    bz = int(p[8]) - off
    glx = int(p[9]) - off
    gly = int(p[10]) - off
    glz = int(p[11]) - off
    alx = int(p[12]) - off
    aly = int(p[13]) - off
    alz = int(p[14]) - off
    anx = int(p[15]) - off
    any_ = int(p[16]) - off
    anz = int(p[17]) - off
    rx = int(p[18]) - off
    ry = int(p[19]) - off
    rz = int(p[20]) - off
    var = int(p[21]) - off
    var_us = int(p[22]) - off
    rest_us = int(p[23]) - off
    init = int(p[24]) - off
    recover_us = int(p[25]) - off
    cross_max = int(c[_C_CROSS_MAX])
    recover_len = int(c[_C_RECOVER_US])

    # Motion learning speed from the bias variance: gain = var / (var + r), once per burst.
    num = var
    den = var + int(c[_C_R])
    while den >= 32768:
        num >>= 1
        den >>= 1
    gain = (num << 15) // den
    kmw = int(c[_C_KMW])
    kmm = kmw + (((int(c[_C_KMF]) - kmw) * gain) >> 15)
    kms = int(c[_C_KMS])
    kms1 = kms - 15
    kpm = (int(c[_C_KPM]) * gain) >> 15
    kps = int(c[_C_KPS])

    resting = 0
    n_rest = 0
    n = 0
    k = 0
    while n < count:
        # ---- read one sample: int16 loads are zero-extended, so sign-extend by hand ----
        t = int(s[k])
        if t > 32767:
            t -= 65536
        ax = t * acc
        t = int(s[k + 1])
        if t > 32767:
            t -= 65536
        ay = t * acc
        t = int(s[k + 2])
        if t > 32767:
            t -= 65536
        az = t * acc
        t = int(s[k + 3])
        if t > 32767:
            t -= 65536
        gx = t << 12
        # a gyro at full scale has lost track of the rotation
        if t == 32767 or t == -32768:
            recover_us = recover_len
        t = int(s[k + 4])
        if t > 32767:
            t -= 65536
        gy = t << 12
        if t == 32767 or t == -32768:
            recover_us = recover_len
        t = int(s[k + 5])
        if t > 32767:
            t -= 65536
        gz = t << 12
        if t == 32767 or t == -32768:
            recover_us = recover_len
        k += 6
        n += 1

        if init == 0:
            fx = ax
            fy = ay
            fz = az
            alx = ax
            aly = ay
            alz = az
            glx = gx
            gly = gy
            glz = gz
            init = 1

        # ---- rest detection: samples near their low-pass, low-pass steady, no steady turn ----
        d = gx - glx
        glx += (((d >> 15) * krm) >> krs1) + (((d & 32767) * krm) >> krs)
        d = gy - gly
        gly += (((d >> 15) * krm) >> krs1) + (((d & 32767) * krm) >> krs)
        d = gz - glz
        glz += (((d >> 15) * krm) >> krs1) + (((d & 32767) * krm) >> krs)
        d = ax - alx
        alx += (((d >> 15) * krm) >> krs1) + (((d & 32767) * krm) >> krs)
        d = ay - aly
        aly += (((d >> 15) * krm) >> krs1) + (((d & 32767) * krm) >> krs)
        d = az - alz
        alz += (((d >> 15) * krm) >> krs1) + (((d & 32767) * krm) >> krs)
        still = 1
        d = gx - glx
        if d > th_g or d < 0 - th_g:
            still = 0
        d = gy - gly
        if d > th_g or d < 0 - th_g:
            still = 0
        d = gz - glz
        if d > th_g or d < 0 - th_g:
            still = 0
        d = ax - alx
        if d > th_a or d < 0 - th_a:
            still = 0
        d = ay - aly
        if d > th_a or d < 0 - th_a:
            still = 0
        d = az - alz
        if d > th_a or d < 0 - th_a:
            still = 0
        if glx > bmax or glx < 0 - bmax or gly > bmax or gly < 0 - bmax or glz > bmax or glz < 0 - bmax:
            still = 0
        if still:
            if rest_us == 0:
                anx = alx
                any_ = aly
                anz = alz
            else:
                d = alx - anx
                if d > th_n or d < 0 - th_n:
                    still = 0
                d = aly - any_
                if d > th_n or d < 0 - th_n:
                    still = 0
                d = alz - anz
                if d > th_n or d < 0 - th_n:
                    still = 0
        if still:
            rest_us += per_us
            if rest_us > rest_min:
                rest_us = rest_min
        else:
            rest_us = 0
        resting = 0
        if rest_us >= rest_min:
            resting = 1

        # ---- at rest the bias follows the gyro low-pass ----
        if resting:
            n_rest += 1
            d = (glx << 6) - bx
            bx += (((d >> 15) * kbm) >> kbs1) + (((d & 32767) * kbm) >> kbs)
            d = (gly << 6) - by
            by += (((d >> 15) * kbm) >> kbs1) + (((d & 32767) * kbm) >> kbs)
            d = (glz << 6) - bz
            bz += (((d >> 15) * kbm) >> kbs1) + (((d & 32767) * kbm) >> kbs)

        # ---- rotation this sample, Q15 rad; what is below one step carries over (Q25) ----
        d = gx - (bx >> 6)
        t = (((d >> 15) * gm) >> gs1) + (((d & 32767) * gm) >> gs) + rx
        phx = t >> 10
        rx = t - (phx << 10)
        d = gy - (by >> 6)
        t = (((d >> 15) * gm) >> gs1) + (((d & 32767) * gm) >> gs) + ry
        phy = t >> 10
        ry = t - (phy << 10)
        d = gz - (bz >> 6)
        t = (((d >> 15) * gm) >> gs1) + (((d & 32767) * gm) >> gs) + rz
        phz = t >> 10
        rz = t - (phz << 10)
        if phx > _PHI_MAX or phx < 0 - _PHI_MAX or phy > _PHI_MAX or phy < 0 - _PHI_MAX \
                or phz > _PHI_MAX or phz < 0 - _PHI_MAX:
            # beyond a quarter radian per sample the second-order step grows vectors faster than the
            # low-pass shrinks them: clip the rotation and lean on the accelerometer for a while
            if phx > _PHI_MAX:
                phx = _PHI_MAX
            elif phx < 0 - _PHI_MAX:
                phx = 0 - _PHI_MAX
            if phy > _PHI_MAX:
                phy = _PHI_MAX
            elif phy < 0 - _PHI_MAX:
                phy = 0 - _PHI_MAX
            if phz > _PHI_MAX:
                phz = _PHI_MAX
            elif phz < 0 - _PHI_MAX:
                phz = 0 - _PHI_MAX
            rx = 0
            ry = 0
            rz = 0
            recover_us = recover_len

        # ---- hold both filter states still in the world: x += cross(x, phi) + cross(cross(x, phi), phi) / 2 ----
        ux = ((fy >> 15) * phz + (((fy & 32767) * phz) >> 15)) - ((fz >> 15) * phy + (((fz & 32767) * phy) >> 15))
        uy = ((fz >> 15) * phx + (((fz & 32767) * phx) >> 15)) - ((fx >> 15) * phz + (((fx & 32767) * phz) >> 15))
        uz = ((fx >> 15) * phy + (((fx & 32767) * phy) >> 15)) - ((fy >> 15) * phx + (((fy & 32767) * phx) >> 15))
        wx = ((uy >> 15) * phz + (((uy & 32767) * phz) >> 15)) - ((uz >> 15) * phy + (((uz & 32767) * phy) >> 15))
        wy = ((uz >> 15) * phx + (((uz & 32767) * phx) >> 15)) - ((ux >> 15) * phz + (((ux & 32767) * phz) >> 15))
        wz = ((ux >> 15) * phy + (((ux & 32767) * phy) >> 15)) - ((uy >> 15) * phx + (((uy & 32767) * phx) >> 15))
        fx += ux + (wx >> 1)
        fy += uy + (wy >> 1)
        fz += uz + (wz >> 1)
        ux = ((vy >> 15) * phz + (((vy & 32767) * phz) >> 15)) - ((vz >> 15) * phy + (((vz & 32767) * phy) >> 15))
        uy = ((vz >> 15) * phx + (((vz & 32767) * phx) >> 15)) - ((vx >> 15) * phz + (((vx & 32767) * phz) >> 15))
        uz = ((vx >> 15) * phy + (((vx & 32767) * phy) >> 15)) - ((vy >> 15) * phx + (((vy & 32767) * phx) >> 15))
        wx = ((uy >> 15) * phz + (((uy & 32767) * phz) >> 15)) - ((uz >> 15) * phy + (((uz & 32767) * phy) >> 15))
        wy = ((uz >> 15) * phx + (((uz & 32767) * phx) >> 15)) - ((ux >> 15) * phz + (((ux & 32767) * phz) >> 15))
        wz = ((ux >> 15) * phy + (((ux & 32767) * phy) >> 15)) - ((uy >> 15) * phx + (((uy & 32767) * phx) >> 15))
        vx += ux + (wx >> 1)
        vy += uy + (wy >> 1)
        vz += uz + (wz >> 1)

        # ---- blend in the sample: v += W (a - f - sqrt2 v); f += W v ----
        recovering = 0
        if recover_us > 0:
            recover_us -= per_us
            recovering = 1
        if resting or recovering:
            wm = int(c[_C_WRM])
            ws = int(c[_C_WRS])
        else:
            wm = int(c[_C_WM])
            ws = int(c[_C_WS])
        ws1 = ws - 15
        d = ax - fx
        if d > emax:
            d = emax
        elif d < 0 - emax:
            d = 0 - emax
        d -= vx + (((vx >> 15) * _SQRT2_FRAC_Q15) + (((vx & 32767) * _SQRT2_FRAC_Q15) >> 15))
        vx += (((d >> 15) * wm) >> ws1) + (((d & 32767) * wm) >> ws)
        fx += (((vx >> 15) * wm) >> ws1) + (((vx & 32767) * wm) >> ws)
        d = ay - fy
        if d > emax:
            d = emax
        elif d < 0 - emax:
            d = 0 - emax
        d -= vy + (((vy >> 15) * _SQRT2_FRAC_Q15) + (((vy & 32767) * _SQRT2_FRAC_Q15) >> 15))
        vy += (((d >> 15) * wm) >> ws1) + (((d & 32767) * wm) >> ws)
        fy += (((vy >> 15) * wm) >> ws1) + (((vy & 32767) * wm) >> ws)
        d = az - fz
        if d > emax:
            d = emax
        elif d < 0 - emax:
            d = 0 - emax
        d -= vz + (((vz >> 15) * _SQRT2_FRAC_Q15) + (((vz & 32767) * _SQRT2_FRAC_Q15) >> 15))
        vz += (((d >> 15) * wm) >> ws1) + (((d & 32767) * wm) >> ws)
        fz += (((vz >> 15) * wm) >> ws1) + (((vz & 32767) * wm) >> ws)

        # ---- no input keeps the states beyond 16 g: every product above stays within 32 bits ----
        if fx > _STATE_MAX or fx < 0 - _STATE_MAX or fy > _STATE_MAX or fy < 0 - _STATE_MAX \
                or fz > _STATE_MAX or fz < 0 - _STATE_MAX or vx > _STATE_MAX or vx < 0 - _STATE_MAX \
                or vy > _STATE_MAX or vy < 0 - _STATE_MAX or vz > _STATE_MAX or vz < 0 - _STATE_MAX:
            if fx > _STATE_MAX:
                fx = _STATE_MAX
            elif fx < 0 - _STATE_MAX:
                fx = 0 - _STATE_MAX
            if fy > _STATE_MAX:
                fy = _STATE_MAX
            elif fy < 0 - _STATE_MAX:
                fy = 0 - _STATE_MAX
            if fz > _STATE_MAX:
                fz = _STATE_MAX
            elif fz < 0 - _STATE_MAX:
                fz = 0 - _STATE_MAX
            if vx > _STATE_MAX:
                vx = _STATE_MAX
            elif vx < 0 - _STATE_MAX:
                vx = 0 - _STATE_MAX
            if vy > _STATE_MAX:
                vy = _STATE_MAX
            elif vy < 0 - _STATE_MAX:
                vy = 0 - _STATE_MAX
            if vz > _STATE_MAX:
                vz = _STATE_MAX
            elif vz < 0 - _STATE_MAX:
                vz = 0 - _STATE_MAX

        # ---- in motion, the filter's pull across gravity is what a bias error would cause ----
        if not resting and not recovering:
            hx = fx >> 10
            hy = fy >> 10
            hz = fz >> 10
            if hx > 32767:
                hx = 32767
            elif hx < -32767:
                hx = -32767
            if hy > 32767:
                hy = 32767
            elif hy < -32767:
                hy = -32767
            if hz > 32767:
                hz = 32767
            elif hz < -32767:
                hz = -32767
            cx = ((vz >> 15) * hy + (((vz & 32767) * hy) >> 15)) - ((vy >> 15) * hz + (((vy & 32767) * hz) >> 15))
            cy = ((vx >> 15) * hz + (((vx & 32767) * hz) >> 15)) - ((vz >> 15) * hx + (((vz & 32767) * hx) >> 15))
            cz = ((vy >> 15) * hx + (((vy & 32767) * hx) >> 15)) - ((vx >> 15) * hy + (((vx & 32767) * hy) >> 15))
            # a pull larger than the largest bias could cause is a disturbance: learn nothing from it
            if cx < cross_max and cx > 0 - cross_max and cy < cross_max and cy > 0 - cross_max \
                    and cz < cross_max and cz > 0 - cross_max:
                bx += (((cx >> 15) * kmm) >> kms1) + (((cx & 32767) * kmm) >> kms)
                by += (((cy >> 15) * kmm) >> kms1) + (((cy & 32767) * kmm) >> kms)
                bz += (((cz >> 15) * kmm) >> kms1) + (((cz & 32767) * kmm) >> kms)
            if bx > bmax18:
                bx = bmax18
            elif bx < 0 - bmax18:
                bx = 0 - bmax18
            if by > bmax18:
                by = bmax18
            elif by < 0 - bmax18:
                by = 0 - bmax18
            if bz > bmax18:
                bz = bmax18
            elif bz < 0 - bmax18:
                bz = 0 - bmax18

    # ---- the bias variance, once per burst: it grows with time, rest and motion learning shrink it ----
    var_us += count * per_us
    t = var_us // p_grow_us
    var_us -= t * p_grow_us
    var += t
    if var > p_max:
        var = p_max
    if n_rest > 0:
        m = kbm * n_rest
        sh = kbs
        while m >= 32768:
            m >>= 1
            sh -= 1
        if sh < 15:
            var = 0
        else:
            var -= (((var >> 15) * m) >> (sh - 15)) + (((var & 32767) * m) >> sh)
    n_motion = count - n_rest
    if n_motion > 0 and kpm > 0:
        m = kpm * n_motion
        sh = kps
        while m >= 32768:
            m >>= 1
            sh -= 1
        if sh < 15:
            var = 0
        else:
            var -= (((var >> 15) * m) >> (sh - 15)) + (((var & 32767) * m) >> sh)

    # ---- accelerometer offset: at rest |accel - offset| is 1 g; step the offset to make it so (LMS on
    # the sphere: rests in different orientations teach different components) ----
    if n_rest > 0:
        ox = int(p[26]) - off
        oy = int(p[27]) - off
        oz = int(p[28]) - off
        wx = (alx - ox) >> 11  # Q13 g: below 2**14 for |w| < 2 g, so the squares sum below 2**30
        wy = (aly - oy) >> 11
        wz = (alz - oz) >> 11
        if wx < 16384 and wx > -16384 and wy < 16384 and wy > -16384 and wz < 16384 and wz > -16384:
            norm = int(_isqrt(wx * wx + wy * wy + wz * wz))
            resid = norm - 8192
            dead = int(c[_C_OFS_DEAD])
            if resid > dead:
                resid -= dead
            elif resid < 0 - dead:
                resid += dead
            else:
                resid = 0
            if norm > 0 and resid != 0 and resid < 2048 and resid > -2048:
                m = int(c[_C_KOM]) * n_rest
                sh = int(c[_C_KOS])
                while m >= 32768:
                    m >>= 1
                    sh -= 1
                d = ((resid * wx) // norm) << 11
                if sh < 15:
                    ox += d
                else:
                    ox += (((d >> 15) * m) >> (sh - 15)) + (((d & 32767) * m) >> sh)
                d = ((resid * wy) // norm) << 11
                if sh < 15:
                    oy += d
                else:
                    oy += (((d >> 15) * m) >> (sh - 15)) + (((d & 32767) * m) >> sh)
                d = ((resid * wz) // norm) << 11
                if sh < 15:
                    oz += d
                else:
                    oz += (((d >> 15) * m) >> (sh - 15)) + (((d & 32767) * m) >> sh)
                if ox > _OFS_MAX:
                    ox = _OFS_MAX
                elif ox < 0 - _OFS_MAX:
                    ox = 0 - _OFS_MAX
                if oy > _OFS_MAX:
                    oy = _OFS_MAX
                elif oy < 0 - _OFS_MAX:
                    oy = 0 - _OFS_MAX
                if oz > _OFS_MAX:
                    oz = _OFS_MAX
                elif oz < 0 - _OFS_MAX:
                    oz = 0 - _OFS_MAX
                p[26] = ox + off
                p[27] = oy + off
                p[28] = oz + off

    p[0] = fx + off
    p[1] = fy + off
    p[2] = fz + off
    p[3] = vx + off
    p[4] = vy + off
    p[5] = vz + off
    p[6] = bx + off
    p[7] = by + off
    p[8] = bz + off
    p[9] = glx + off
    p[10] = gly + off
    p[11] = glz + off
    p[12] = alx + off
    p[13] = aly + off
    p[14] = alz + off
    p[15] = anx + off
    p[16] = any_ + off
    p[17] = anz + off
    p[18] = rx + off
    p[19] = ry + off
    p[20] = rz + off
    p[21] = var + off
    p[22] = var_us + off
    p[23] = rest_us + off
    p[24] = init + off
    p[25] = recover_us + off
    return resting


@micropython.viper
def _isqrt(n: int) -> int:
    """floor(sqrt(n)) for 0 <= n < 2**30, bit by bit."""
    root = 0
    bit = 1 << 28
    while bit > n:
        bit >>= 2
    while bit != 0:
        if n >= root + bit:
            n -= root + bit
            root = (root >> 1) + bit
        else:
            root >>= 1
        bit >>= 2
    return root


@micropython.viper
def _gravity(st, out):
    """The "up" unit vector in Q14 (|out| = 16384): the filter output less the accelerometer offset."""
    p = ptr32(st)  # noqa: F821
    o = ptr32(out)  # noqa: F821
    x = int(p[0]) - int(p[26])
    y = int(p[1]) - int(p[27])
    z = int(p[2]) - int(p[28])
    m = x
    if m < 0:
        m = 0 - m
    t = y
    if t < 0:
        t = 0 - t
    if t > m:
        m = t
    t = z
    if t < 0:
        t = 0 - t
    if t > m:
        m = t
    if m == 0:
        return
    # scale so each component is below 2**14: the sum of squares then stays below 2**30
    sh = 0
    while (m >> sh) >= 16384:
        sh += 1
    while (m << 1) < 16384 and sh > -8:
        m <<= 1
        sh -= 1
    if sh >= 0:
        x >>= sh
        y >>= sh
        z >>= sh
    else:
        x <<= 0 - sh
        y <<= 0 - sh
        z <<= 0 - sh
    root = int(_isqrt(x * x + y * y + z * z))
    if root == 0:
        return
    o[0] = (x << 14) // root
    o[1] = (y << 14) // root
    o[2] = (z << 14) // root


class TiltFilter:
    """Gravity ("up") in the sensor frame from IMU bursts, with gyro bias learning. See the module doc.

    `rate_hz` is the chip's nominal sample rate; the real one is measured from the bursts' timestamps.
    After every `update(burst)`: `gravity_q14` (array('i', 3)) holds the up unit vector scaled to 16384,
    `resting` tells whether the sensor is still (the bias is being learned).
    """

    def __init__(self, rate_hz, settings=None):
        if not 1e6 / PERIOD_MAX_US <= rate_hz <= 1e6 / PERIOD_MIN_US:
            raise ValueError("rate_hz %r is outside the filter's range, %d to %d Hz"
                             % (rate_hz, 1000000 // PERIOD_MAX_US, 1000000 // PERIOD_MIN_US))
        self.settings = settings if settings is not None else TiltSettings()
        self.nominal_period_us = int(1e6 / rate_hz + 0.5)
        self.gravity_q14 = array("i", (0, 0, 0))
        self.resting = False
        self._st = array("i", bytes(4 * _STATE_WORDS))
        self._co = array("i", bytes(4 * _CO_WORDS))
        self._accel_lsb = 0.0
        self._gyro_lsb = 0.0
        self._per_us_consts = array("i", bytes(4 * 18))
        self._slow_q15 = 0
        self.reset()

    # ---- state ----
    def reset(self):
        """Forget everything: the next sample starts the filter afresh (the bias restarts unknown)."""
        st = self._st
        for i in range(_STATE_WORDS):
            st[i] = _OFF
        sigma = self.settings.bias_sigma_init_dps
        st[_P] = _OFF + int(sigma * sigma * _P_UNIT_PER_DPS2)
        self._period_q4 = self.nominal_period_us << 4
        self._co_period_q4 = -1
        self._t_prev = 0
        self._t_valid = False
        self._sum_us = 0
        self._sum_n = 0
        self._overflows = 0
        self.resting = False
        g = self.gravity_q14
        g[0] = 0
        g[1] = 0
        g[2] = 0

    @property
    def ready(self):
        """True once a sample has been filtered (gravity_q14 holds an estimate)."""
        return self._st[_INIT] != _OFF

    @property
    def period_us(self):
        """The measured sample period, us (the nominal one until bursts have been timed)."""
        return self._period_q4 >> 4

    def gyro_bias_mdps(self, out):
        """Fill out (3 ints) with the gyro bias estimate in millidegrees per second, board axes."""
        if self._gyro_lsb == 0.0:
            out[0] = out[1] = out[2] = 0
            return out
        scale = 1000.0 / (self._gyro_lsb * 262144.0)
        for i in range(3):
            out[i] = int((self._st[_B + i] - _OFF) * scale)
        return out

    def gyro_bias_sigma_mdps(self):
        """How uncertain the bias estimate is (one standard deviation), millidegrees per second."""
        return int(1000.0 * ((self._st[_P] - _OFF) / _P_UNIT_PER_DPS2) ** 0.5)

    def save(self, buf=None):
        """The whole state as bytes (written into buf if given, which must be save_size() long)."""
        head = SAVE_MAGIC + struct.pack(_PY_FIELDS, self._period_q4, self._t_prev, 1 if self._t_valid else 0,
                                        self._sum_us, self._sum_n, self._overflows)
        data = head + bytes(self._st)
        if buf is None:
            return data
        if len(buf) != len(data):
            raise ValueError("save buffer must be %d bytes, got %d" % (len(data), len(buf)))
        buf[:] = data
        return buf

    @staticmethod
    def save_size():
        return len(SAVE_MAGIC) + struct.calcsize(_PY_FIELDS) + 4 * _STATE_WORDS

    def restore(self, buf):
        """Continue from a saved state. A reboot changes the clock, so the first burst after is not timed."""
        size = self.save_size()
        if len(buf) != size or bytes(buf[:4]) != SAVE_MAGIC:
            raise ValueError("not a saved tilt-filter state (expected %d bytes starting %r); "
                             "start afresh with reset()" % (size, SAVE_MAGIC))
        head = len(SAVE_MAGIC) + struct.calcsize(_PY_FIELDS)
        fields = struct.unpack(_PY_FIELDS, bytes(buf[len(SAVE_MAGIC):head]))
        st = array("i", bytes(buf[head:]))
        for i in range(_STATE_WORDS):
            if not 0 <= st[i] < 2 * _OFF:
                raise ValueError("saved tilt-filter state is corrupt (word %d); start afresh with reset()" % i)
        period_q4 = fields[0]
        if not PERIOD_MIN_US << 4 <= period_q4 <= PERIOD_MAX_US << 4:
            raise ValueError("saved tilt-filter state has an impossible sample period; start afresh with reset()")
        for i in range(_STATE_WORDS):
            self._st[i] = st[i]
        self._period_q4 = period_q4
        self._t_prev = fields[1]
        self._t_valid = fields[2] == 1
        self._sum_us = fields[3]
        self._sum_n = fields[4]
        self._overflows = fields[5]
        self._co_period_q4 = -1
        self.resting = False
        if self._st[_INIT] != _OFF:
            _gravity(self._st, self.gravity_q14)

    # ---- coefficients ----
    def _set_scales(self, accel_lsb_per_g, gyro_lsb_per_dps):
        """Chip scales changed (set once at configuration): derive the per-us constants. Floats here only."""
        if not 2048 <= accel_lsb_per_g <= 65536:
            raise ValueError("accel_lsb_per_g %r is outside 2048..65536 (ranges of +-0.5 g to +-16 g)"
                             % accel_lsb_per_g)
        cfg = self.settings
        if not 4 <= gyro_lsb_per_dps or gyro_lsb_per_dps * cfg.bias_max_dps > 1100:
            raise ValueError("gyro_lsb_per_dps %r is outside 4..%d (ranges of +-250 dps and wider)"
                             % (gyro_lsb_per_dps, int(1100 / cfg.bias_max_dps)))
        co = self._co
        k = self._per_us_consts
        rad_per_count_us = 3.141592653589793 / 180.0 / gyro_lsb_per_dps * 1e-6
        # one gyro count over the longest period the timing accepts must stay below 2**-13 rad per sample
        if rad_per_count_us * 8192.0 * self.nominal_period_us * 1.3 >= 1.0:
            raise ValueError("gyro_lsb_per_dps %r is too coarse at %d us per sample; choose a finer gyro range "
                             "or a faster rate (gyro_lsb_per_dps x rate_hz must exceed 190)"
                             % (gyro_lsb_per_dps, self.nominal_period_us))
        w_per_us = 1e-6 / cfg.accel_tau_s
        consts = (
            rad_per_count_us * 8192.0,  # G: Q12 counts -> Q25 rad
            w_per_us,
            1e-6 / cfg.accel_tau_rest_s,
            1e-6 / cfg.rest_filter_tau_s,
            1e-6 / cfg.bias_rest_tau_s,
            w_per_us * 57.29577951308232 * gyro_lsb_per_dps / (32.0 * cfg.bias_motion_tau_fast_s),
            1e-6 / cfg.bias_motion_tau_fast_s,
            1e-6 / cfg.accel_offset_tau_s,
            1e-6 / cfg.bias_rest_tau_fast_s,
        )
        for i in range(len(consts)):
            m, s = _per_us(consts[i])
            k[2 * i] = m
            k[2 * i + 1] = s
        co[_C_ACC] = int(16777216.0 / accel_lsb_per_g + 0.5)
        co[_C_TH_GYRO] = int(cfg.rest_gyro_dps * gyro_lsb_per_dps * 4096.0)
        co[_C_TH_ACC] = int(cfg.rest_accel_g * 16777216.0)
        co[_C_TH_ANCHOR] = int(cfg.rest_anchor_g * 16777216.0)
        co[_C_BIAS_MAX] = int(cfg.bias_max_dps * gyro_lsb_per_dps * 4096.0)
        co[_C_REST_US] = int(cfg.rest_min_s * 1e6)
        co[_C_R] = int(cfg.bias_sigma_motion_dps ** 2 * _P_UNIT_PER_DPS2) + 1
        co[_C_P_GROW_US] = int(1e6 / (cfg.bias_drift_dps2_per_s * _P_UNIT_PER_DPS2))
        co[_C_P_MAX] = int(cfg.bias_sigma_init_dps ** 2 * _P_UNIT_PER_DPS2)
        # a bias b turns gravity at b rad/s across the filter; the pull that holds it is b / w0 (in g, Q23)
        co[_C_CROSS_MAX] = int(cfg.bias_max_dps * 3.141592653589793 / 180.0 * cfg.accel_tau_s * 8388608.0)
        co[_C_RECOVER_US] = int(cfg.recover_s * 1e6)
        co[_C_OFS_DEAD] = int(cfg.accel_offset_deadband_g * 8192.0)
        co[_C_VAR_FAST] = int(cfg.bias_known_sigma_dps ** 2 * _P_UNIT_PER_DPS2)
        if not 0 < co[_C_P_MAX] < _OFF or co[_C_P_GROW_US] < 1:
            raise ValueError("bias_sigma_init_dps must be in (0, 5.6] and bias_drift_dps2_per_s below 0.05")
        # the B in store for the bias is in Q18 of the counts: rescale it when the gyro scale changes
        if self._gyro_lsb != 0.0 and self._gyro_lsb != gyro_lsb_per_dps:
            ratio = gyro_lsb_per_dps / self._gyro_lsb
            for i in range(3):
                self._st[_B + i] = _OFF + int((self._st[_B + i] - _OFF) * ratio)
        self._slow_q15 = int(32768.0 * cfg.bias_motion_tau_fast_s / cfg.bias_motion_tau_slow_s)
        self._accel_lsb = accel_lsb_per_g
        self._gyro_lsb = gyro_lsb_per_dps
        self._co_period_q4 = -1

    def _apply_period(self):
        """Scale the per-us constants by the measured period: integer arithmetic, no allocation."""
        period = self._period_q4 >> 4
        k = self._per_us_consts
        co = self._co
        m, s = _scale_by_period(k[0], k[1], period)
        co[_C_GM] = m
        co[_C_GS] = s
        m, s = _scale_by_period(k[2], k[3], period)
        co[_C_WM] = m
        co[_C_WS] = s
        m, s = _scale_by_period(k[4], k[5], period)
        co[_C_WRM] = m
        co[_C_WRS] = s
        m, s = _scale_by_period(k[6], k[7], period)
        co[_C_KRM] = m
        co[_C_KRS] = s
        m, s = _scale_by_period(k[8], k[9], period)
        co[_C_KBM] = m
        co[_C_KBS] = s
        m, s = _scale_by_period(k[10], k[11], period)
        co[_C_KMF] = m
        co[_C_KMS] = s
        co[_C_KMW] = (m * self._slow_q15) >> 15
        m, s = _scale_by_period(k[12], k[13], period)
        co[_C_KPM] = m
        co[_C_KPS] = s
        m, s = _scale_by_period(k[14], k[15], period)
        co[_C_KOM] = m
        co[_C_KOS] = s
        m, s = _scale_by_period(k[16], k[17], period)
        co[_C_KBFM] = m
        co[_C_KBFS] = s
        co[_C_PERIOD_US] = period
        self._co_period_q4 = self._period_q4

    # ---- per burst ----
    def _time(self, burst, count):
        """Refine the sample period from this burst's timestamp: total time over total samples."""
        t = burst.t_end_us
        if self._t_valid and burst.overflows == self._overflows:
            dt = ticks_diff(t, self._t_prev)
            period = self._period_q4 >> 4
            if dt > 0 and count * (period - (period >> _PERIOD_ACCEPT_SHIFT)) < dt \
                    < count * (period + (period >> _PERIOD_ACCEPT_SHIFT)):
                self._sum_us += dt
                self._sum_n += count
                if self._sum_us >= 0x1000000:  # about 17 s: halve, so the estimate follows drift
                    self._sum_us >>= 1
                    self._sum_n >>= 1
                if self._sum_n >= 64:
                    q4 = (self._sum_us << 4) // self._sum_n
                    if PERIOD_MIN_US << 4 <= q4 <= PERIOD_MAX_US << 4:
                        self._period_q4 = q4
        self._t_prev = t
        self._t_valid = True
        self._overflows = burst.overflows

    def update(self, burst):
        """Filter one burst (lumbo_fw.burst.Burst). Allocates nothing once the chip's scales are known."""
        count = burst.count
        if count <= 0:
            return
        if count > burst.capacity or count > MAX_BURST:
            raise ValueError("burst.count %d exceeds its capacity %d (or the filter's limit of %d samples)"
                             % (count, burst.capacity, MAX_BURST))
        if burst.accel_lsb_per_g != self._accel_lsb or burst.gyro_lsb_per_dps != self._gyro_lsb:
            self._set_scales(burst.accel_lsb_per_g, burst.gyro_lsb_per_dps)
        self._time(burst, count)
        q4 = self._period_q4
        last = self._co_period_q4
        if last < 0 or q4 - last > (last >> 10) or last - q4 > (last >> 10):
            self._apply_period()
        self.resting = _run(burst.samples, count, self._st, self._co) == 1
        _gravity(self._st, self.gravity_q14)
