"""Break verification: which routine the wearer did, and how many repetitions.

- Standing back extension: the pelvis tilts backwards beyond the standing baseline and comes back, again
  and again. One repetition = one excursion.
- Pelvic tilts: backwards and hold, forwards and hold. The same excursions, now on both sides of the
  baseline; one repetition = one backward tilt (with its forward partner).
- Half-kneeling hip flexor stretch: off the chair, down, low and still for about 30 s at a time, then up.
  One repetition = one still hold.

Excursions are measured ten times a second from the features' bins: the angle between each bin's mean
acceleration and the standing baseline, integer only. The sign of each excursion (backwards or forwards)
comes from the mounting's sagittal tilt, sampled once a second while the excursion lasts. A set ends
after _SET_GAP_S without an excursion, or when the wearer stops standing; then it is judged.

`second(t_s, state, sagittal_cdeg, moving)` returns vocab.ROUTINE_* (ROUTINE_NONE nearly always) and
leaves the count in `reps`.
"""

from array import array

from micropython import const

from lumbo_fw.features import BINS_PER_SECOND, RING_MASK, normalize_q14
from lumbo_fw.posture import TILT_UNKNOWN, angle_cdeg
from lumbo_shared import vocab

# An excursion starts beyond _OUT_CDEG from the baseline and ends back within _IN_CDEG (hysteresis).
_OUT_CDEG = const(450)
_IN_CDEG = const(200)
# Beyond this it is a bend, a squat or lying down, not a routine: the set is abandoned.
_TOO_FAR_CDEG = const(3500)
# The sagittal tilt that tells forwards from backwards during an excursion.
_SIDE_CDEG = const(300)
# The baseline follows still standing bins within _BASE_CDEG of it by 1/2**_BASE_SHIFT a bin.
_BASE_CDEG = const(300)
_BASE_SHIFT = const(4)
_SET_GAP_S = const(10)
# Walking is declared a few seconds after the first step: excursions this recent are its onset.
_WALK_ONSET_S = const(4)
_MIN_REPS = const(3)
# Hip flexor stretch: a low stretch after a stand-up, held still for _HOLD_MIN_S or more at a time, the
# whole of it at most _LOW_MAX_S, with the pelvis near upright (sitting tips it back further for most).
_HOLD_MIN_S = const(15)
_LOW_MAX_S = const(240)
_LOW_MAX_TILT_CDEG = const(1600)
# ... and it must begin within this long of getting up from the chair.
_OFF_CHAIR_MAX_S = const(180)
_MIN_HOLDS = const(2)
_SEATED_MIN_S = const(30)
# Holds are tilted back at least this much more than the neutral between them (half degrees: 2.5 degrees).
_HOLD_DEPTH_HALF_DEG = const(5)
_MOVED = const(-128)

_STANDING = vocab.STATE_STANDING
_SITTING = vocab.STATE_SITTING
_WALKING = vocab.STATE_WALKING


class RoutineRecognizer:
    def __init__(self, features):
        self.features = features
        self.reps = 0
        self._next_bin = 0
        self._base = array("i", (0, 0, 0))
        self._base_known = False
        self._bin_g = array("i", (0, 0, 0))
        self._base_sagittal = 0
        self._out = False
        self._peak = 0
        self._out_bins = 0
        self._holds = 0
        # When the latest repetitions ended, and their side, to take back those that were walking's onset.
        self._rep_times = array("i", bytes(4 * 8))
        self._rep_sides = array("b", bytes(8))
        self._excursions = 0
        self._back = 0
        self._forward = 0
        self._side_sum = 0
        self._last_excursion_s = 0
        self._abandoned = False
        # Hip flexor stretch: the sagittal tilt of each second of it, in half degrees.
        self._stood_up_s = -1
        self._low_start_s = -1
        self._low = array("b", bytes(_LOW_MAX_S))
        self._low_n = 0
        self._low_ok = False
        self._prev_state = vocab.STATE_UNKNOWN

    def second(self, t_s, state, sagittal_cdeg, moving):
        self.reps = 0
        found = self._low_stretch(t_s, state, sagittal_cdeg, moving)
        end = self.features.seconds * BINS_PER_SECOND
        if end - self._next_bin > 64:
            self._next_bin = end - BINS_PER_SECOND
        if state != _STANDING:
            self._next_bin = end
            if found == vocab.ROUTINE_NONE:
                if state == _WALKING:
                    # Walking off: the first steps (walking is only declared after a few) are not repetitions.
                    self._drop_since(t_s - _WALK_ONSET_S)
                found = self._finish_set()
            else:
                self._reset_set()
            self._prev_state = state
            return found
        while self._next_bin < end:
            self._bin(self._next_bin, t_s)
            self._next_bin += 1
        if self._out and sagittal_cdeg != TILT_UNKNOWN:
            self._side_sum += 1 if sagittal_cdeg > self._base_sagittal + _SIDE_CDEG else (
                -1 if sagittal_cdeg < self._base_sagittal - _SIDE_CDEG else 0)
        if not self._out and sagittal_cdeg != TILT_UNKNOWN:
            self._base_sagittal += (sagittal_cdeg - self._base_sagittal) >> 3
        if found == vocab.ROUTINE_NONE and (self._excursions or self._holds) and not self._out \
                and t_s - self._last_excursion_s > _SET_GAP_S:
            found = self._finish_set()
        self._prev_state = state
        return found

    def _bin(self, b, t_s):
        f = self.features
        i = 3 * (b & RING_MASK)
        g = self._bin_g
        g[0] = f.acc_mg[i]
        g[1] = f.acc_mg[i + 1]
        g[2] = f.acc_mg[i + 2]
        normalize_q14(g)
        base = self._base
        if not self._base_known:
            base[0] = g[0]
            base[1] = g[1]
            base[2] = g[2]
            self._base_known = True
            return
        angle = angle_cdeg(g, base)
        if self._out:
            self._out_bins += 1
            if angle > self._peak:
                self._peak = angle
            if angle > _TOO_FAR_CDEG:
                self._abandoned = True
            if angle < _IN_CDEG:
                self._out = False
                self._count_excursion(t_s)
            return
        if angle > _OUT_CDEG:
            self._out = True
            self._out_bins = 0
            self._peak = angle
            self._side_sum = 0
            return
        if angle < _BASE_CDEG:
            base[0] += (g[0] - base[0]) >> _BASE_SHIFT
            base[1] += (g[1] - base[1]) >> _BASE_SHIFT
            base[2] += (g[2] - base[2]) >> _BASE_SHIFT
            normalize_q14(base)

    def _count_excursion(self, t_s):
        if self._abandoned:
            self._reset_set()
            return
        self._last_excursion_s = t_s
        if self._out_bins >= _HOLD_MIN_S * BINS_PER_SECOND:
            # Held for tens of seconds: a stretch (kneeling, the pelvis tucked), not a repetition.
            self._holds += 1
            return
        self._excursions += 1
        side = 0
        if self._side_sum > 0:
            self._back += 1
            side = 1
        elif self._side_sum < 0:
            self._forward += 1
            side = -1
        k = self._excursions % len(self._rep_times)
        self._rep_times[k] = t_s
        self._rep_sides[k] = side

    def _drop_since(self, t_s):
        times = self._rep_times
        kinds = self._rep_sides
        for k in range(len(times)):
            if times[k] > t_s and times[k] != 0:
                side = kinds[k]
                self._excursions -= 1
                if side > 0:
                    self._back -= 1
                elif side < 0:
                    self._forward -= 1
                times[k] = 0

    def _reset_set(self):
        for k in range(len(self._rep_times)):
            self._rep_times[k] = 0
        self._holds = 0
        self._excursions = 0
        self._back = 0
        self._forward = 0
        self._out = False
        self._abandoned = False

    def _finish_set(self):
        found = vocab.ROUTINE_NONE
        n = self._excursions
        back = self._back
        forward = self._forward
        if self._holds >= _MIN_HOLDS and n <= 2 and not self._abandoned:
            # Long holds, and at most the lean of kneeling down and of getting up besides.
            found = vocab.ROUTINE_HIP_FLEXOR_STRETCH
            self.reps = self._holds
        elif n >= _MIN_REPS and not self._abandoned:
            if back and forward and forward * 3 >= back and back * 3 >= forward:
                found = vocab.ROUTINE_PELVIC_TILTS
                self.reps = back if back > forward else forward
            elif forward * 3 < n:
                found = vocab.ROUTINE_EXTENSION
                self.reps = n - forward
        self._reset_set()
        return found

    def _low_stretch(self, t_s, state, sagittal_cdeg, moving):
        """Track a low stretch that began soon after getting up; judge it when the wearer is up again.

        Each second of it is kept (its sagittal tilt in half degrees, or a mark for movement). A hold is a
        run of seconds tilted back towards the deeper end of what the stretch showed (the pelvis tucked
        into the stretch), at least _HOLD_MIN_S long; changing legs comes back to neutral between holds.
        """
        prev = self._prev_state
        up = state == _STANDING or state == _WALKING
        if prev == _SITTING and up and self._low_start_s < 0:
            self._stood_up_s = t_s
            return vocab.ROUTINE_NONE
        if state == _SITTING and self._low_start_s < 0:
            if prev == _STANDING and self._stood_up_s >= 0 \
                    and t_s - self._stood_up_s <= _OFF_CHAIR_MAX_S:
                self._low_start_s = t_s
                self._low_n = 0
                self._low_ok = True
            return vocab.ROUTINE_NONE
        if self._low_start_s < 0:
            return vocab.ROUTINE_NONE
        if state == _SITTING:
            if self._low_n >= _LOW_MAX_S or sagittal_cdeg == TILT_UNKNOWN or sagittal_cdeg > _LOW_MAX_TILT_CDEG:
                self._low_ok = False
            elif self._low_ok:
                self._low[self._low_n] = _MOVED if moving else _clamp(sagittal_cdeg // 50, 126)
                self._low_n += 1
            return vocab.ROUTINE_NONE
        found = vocab.ROUTINE_NONE
        if up and self._low_ok:
            holds = self._count_holds()
            if holds >= _MIN_HOLDS:
                found = vocab.ROUTINE_HIP_FLEXOR_STRETCH
                self.reps = holds
        # Up from a real seat (not from a squat or from the stretch itself): the next stretch may follow.
        seated = t_s - self._low_start_s >= _SEATED_MIN_S
        self._stood_up_s = t_s if up and found == vocab.ROUTINE_NONE and seated else -1
        self._low_start_s = -1
        return found

    def _count_holds(self):
        low = self._low
        n = self._low_n
        lo = 127
        hi = -127
        for i in range(n):
            v = low[i]
            if v != _MOVED:
                if v < lo:
                    lo = v
                if v > hi:
                    hi = v
        if hi - lo < _HOLD_DEPTH_HALF_DEG:
            # One even posture all along: a single hold if it was long enough.
            return 1 if n >= _HOLD_MIN_S else 0
        mid = lo + _HOLD_DEPTH_HALF_DEG
        holds = 0
        run = 0
        for i in range(n + 1):
            v = low[i] if i < n else _MOVED
            if v != _MOVED and v > mid:
                run += 1
                continue
            if run >= _HOLD_MIN_S:
                holds += 1
            run = 0
        return holds


def _clamp(x, limit):
    if x > limit:
        return limit
    if x < 0 - limit:
        return 0 - limit
    return x
