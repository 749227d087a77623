"""The wearer's posture, decided once a second: sitting, standing, walking, lying or not worn.

The pelvis's tilt alone does not tell sitting from standing for everyone: some people sit with the pelvis
as upright as they stand. What does tell them apart is how the wearer got there, so the classifier keeps
a state and changes it on evidence:

- Postural transitions. A stretch of movement (a "movement episode") between still moments is analysed
  when it ends: the vertical velocity of the pelvis, from the length of the acceleration vector (gravity
  plus the vertical acceleration, whichever way the sensor points), shows a sit-down as a downward pulse
  (a dip in |a|, then the peak of landing on the seat) and a stand-up as an upward one (a push, then the
  slowing at the top). The change of inclination from the upright adds its weight: sitting tilts the
  pelvis back for most people.
- Walking: a periodic, strong |a| with a steady direction of gravity. Only upright people walk, so walking
  also teaches the classifier what upright is for this wearer and mounting.
- Lying: the pelvis far from upright.
- Memory: a sit lasts until a stand-up or walking is seen; bending forward or fidgeting changes nothing.
- Not worn: no motion at all for `not_worn_after_s`.

Per-second inputs are the features' bins (lumbo_fw.features) and the direction of gravity (a unit vector
of length 16384 in the sensor frame, from the tilt filter or from the features' mean). All arithmetic is
integer; the work per second is bounded by the ring length.
"""

from array import array

from micropython import const

from lumbo_fw.features import BINS_PER_SECOND, RING_BINS, RING_MASK, isqrt, normalize_q14
from lumbo_shared import vocab

# A bin is part of a movement episode when its rate of turn (|gx|+|gy|+|gz|) exceeds this (0.1 dps) ...
_ACTIVE_ROT_DDPS = const(250)
# ... or |a| differs from its recent level by more than this (mg).
_ACTIVE_MG = const(40)
# A movement that starts this soon after one that decided nothing continues it (1.5 s): a slow sit-down
# can pause mid-way long enough to look like two.
_MERGE_BINS = const(15)
# The recent level of |a| follows each bin by 1/2**_BASE_SHIFT (a time constant of about 0.8 s).
_BASE_SHIFT = const(3)
# Still bins that end an episode (0.6 s): a shorter pause is part of the same movement.
_QUIET_BINS = const(6)
# Still bins after which a newly worn sensor counts as settled on the body (3 s).
_SETTLE_BINS = const(30)
# The longest stretch analysed (10 s); a longer episode (walking, then sitting down) is analysed at its end.
_MAX_EPISODE_BINS = const(100)
_TAIL_BINS = const(30)
# Velocity in mg x bin (one bin is 0.1 s): 1 unit = 0.98 mm/s. A sit-down or stand-up moves the pelvis at
# 0.3-1 m/s; fidgeting and shifting on a seat stay below about 0.15 m/s.
_V_SCALE = const(255)  # 0.25 m/s: one point of evidence
_V_MIN = const(122)  # 0.12 m/s: below this there is no vertical movement to speak of
# Evidence (hundredths) a sit-down or stand-up needs; each weighs: velocity/_V_SCALE, the order of dip
# and peak (_ORDER_WEIGHT), and the change of inclination per _INCL_SCALE_CDEG.
_DECIDE = const(150)
_ORDER_WEIGHT = const(50)
_INCL_SCALE_CDEG = const(1500)
# Bins either side of the velocity extreme in which its dip and peak are looked for (1.5 s).
_ORDER_SPAN_BINS = const(15)
# Lying: further from upright than _LIE_CDEG; up again when nearer than _UNLIE_CDEG.
_LIE_CDEG = const(6000)
_UNLIE_CDEG = const(4500)
# Walking: over the last _WALK_BINS bins, |a| varies by more than _WALK_SD_MG (rms) and repeats itself at
# a step period of 0.3-0.8 s (autocorrelation above _WALK_AC_PCT percent), while gravity keeps within
# 15 degrees of the previous second's and the body is within _WALK_INCL_CDEG of upright.
_WALK_BINS = const(20)
_WALK_SD_MG = const(80)
_WALK_AC_PCT = const(30)
_WALK_LAG_MIN = const(3)
_WALK_LAG_MAX = const(8)
_COS_WALK_STEADY_Q14 = const(15826)  # cos(15 degrees) x 16384
_WALK_INCL_CDEG = const(4000)
# Seconds of walking evidence before the state is walking (one more from lying: getting up can rock).
_WALK_SECONDS = const(2)
# Seconds of walking before it teaches the upright; the upright follows it by 1/2**_UPRIGHT_SHIFT.
_WALK_TEACH_SECONDS = const(3)
_UPRIGHT_SHIFT = const(3)
# An episode that ends while walking still shows waits this long for walking to end (the walk-to-sit).
_PENDING_HOLD_S = const(4)
# After walking, the stillness that must follow a stop before it is read as sitting down (2 s): on stairs
# landings and at turns people pause for up to about 1.5 s, and the last step down looks like a sit.
_AFTER_WALK_STILL_BINS = const(20)
# ... and the pelvis must tilt at least this much further from upright than while walking.
_SIT_AFTER_WALK_CDEG = const(250)
_WALK_INCL_SHIFT = const(4)
# Not worn: every bin still (steps under _MOTIONLESS_MG, turns under _MOTIONLESS_DDPS).
_MOTIONLESS_MG = const(8)
_MOTIONLESS_DDPS = const(20)
# Up from lying straight to standing: a rise faster than 0.42 m/s (sitting up is slower).
_V_RISE_FROM_LYING = const(425)
_CALIBRATION_S = const(3)
# The mounting's "unknown" (lumbo_fw.mounting.TILT_UNKNOWN), for callers without a mounting.
TILT_UNKNOWN = const(-32768)
# A pelvis tilted forwards by more than this (sagittal, 0.01 degree) is bending or squatting, not sitting.
_FORWARD_CDEG = const(500)
# Put back on with no movement seen: still this long, then a guess from the inclination alone.
_GUESS_STILL_S = const(3)
_GUESS_SIT_CDEG = const(1200)
_GUESS_STAND_CDEG = const(600)
# Recovery of a missed sit-down: "standing" but tilted at least this far from upright, not forwards, and
# not walking, for this long (people stand tilted like that for seconds, not minutes).
_RECOVER_SIT_CDEG = const(1000)
_RECOVER_SIT_S = const(90)
# Still seconds before the inclination alone may say the wearer got up from lying.
_UNLIE_STILL_S = const(2)

# Where the upright reference came from, least to most trusted.
REF_NONE = const(0)
REF_SETTLED = const(1)  # the first still posture after being put on: only good enough to see lying
REF_TRANSITION = const(2)  # the standing side of a sit-down or stand-up
REF_WALKING = const(3)
REF_CALIBRATED = const(4)

_UNKNOWN = vocab.STATE_UNKNOWN
_SITTING = vocab.STATE_SITTING
_STANDING = vocab.STATE_STANDING
_WALKING = vocab.STATE_WALKING
_LYING = vocab.STATE_LYING
_NOT_WORN = vocab.STATE_NOT_WORN

# atan(k / 32) in 0.01 degree, k = 0..32.
_ATAN_CDEG = (0, 179, 358, 536, 713, 888, 1062, 1234, 1404, 1571, 1735, 1897, 2056, 2211, 2363, 2511, 2657,
              2798, 2936, 3070, 3201, 3327, 3451, 3571, 3687, 3800, 3909, 4016, 4119, 4218, 4315, 4409, 4500)


class PostureClassifier:
    """Posture once a second from MotionFeatures; events go to sink.event(t_s, kind, a, b).

    Event fields: a = the state before, b = the state after (vocab.STATE_*). `mounting`, if given, is told
    the upright when the classifier is sure of it: calibrate_upright(g) after a calibration stance and
    observe_upright(g) while the wearer walks or has just stood up.
    """

    def __init__(self, features, sink, not_worn_after_s=600, mounting=None):
        self.features = features
        self.sink = sink
        self.mounting = mounting
        self.not_worn_after_s = not_worn_after_s
        self.state = _UNKNOWN
        self.reference_kind = REF_NONE
        self.upright_q14 = array("i", (0, 0, 0))
        self.incl_cdeg = -1  # from the upright this second; -1 while there is no reference
        self.sagittal_cdeg = TILT_UNKNOWN
        self.moving = False  # whether the last second had movement in it
        # When the current posture began (device seconds): a little before the second it was decided in.
        self.since_s = 0
        self.transitions = 0
        # Bins already fed through the episode tracker.
        self._next_bin = 0
        self._base_x16 = -1
        self._quiet_run = 0
        self._settled = False
        self._in_episode = False
        self._episode_start = 0
        self._pre_mag = 0
        self._pre_acc_x16 = array("i", (0, 0, 0))
        self._pre_g = array("i", (0, 0, 0))
        self._post_g = array("i", (0, 0, 0))
        self._scratch = array("i", (0, 0, 0))
        self._prev_g = array("i", (0, 0, 0))
        self._have_prev_g = False
        # A finished episode waiting for a decision: its evidence and when it finished.
        self._pending = False
        self._pending_t_s = 0
        self._pending_v = 0
        self._pending_order = 0
        self._pending_pre_incl = -1
        self._pending_post_incl = -1
        self._pending_long = False
        self._pending_end = 0
        # The end bin of the last movement if it decided nothing (it may go on), else -1.
        self._undecided_end = -1
        # The evidence of the last movement weighed (hundredths; + for sitting down), for diagnostics.
        self.last_score = 0
        self._pending_from = _UNKNOWN
        self._episode_from = _UNKNOWN
        self._still_s = 0
        self._walk_incl_cdeg = -1  # inclination while walking, recent seconds weighing most
        self._tilted_s = 0
        self._recovered_since = -1
        self._walk_run = 0
        self._nowalk_run = 0
        self._motionless_s = 0
        self._cal_left_s = 0
        self._cal_sum = array("i", (0, 0, 0))
        self._cal_n = 0

    # -- inputs from outside the classifier -------------------------------------------------------------

    def begin_calibration(self, t_s, duration_s=_CALIBRATION_S):
        """The wearer stands upright and still from now for duration_s seconds (the host asked them to)."""
        if duration_s < 1 or duration_s > 30:
            raise ValueError("a calibration stance lasts 1-30 s, not %r" % (duration_s,))
        self._cal_left_s = duration_s
        self._cal_sum[0] = 0
        self._cal_sum[1] = 0
        self._cal_sum[2] = 0
        self._cal_n = 0
        self._pending = False
        self._in_episode = False
        self._settled = True
        self._set_state(t_s, _STANDING)

    # -- once a second ----------------------------------------------------------------------------------

    def second(self, t_s, gravity_q14, sagittal_cdeg=TILT_UNKNOWN):
        """Decide the posture for the second that ends at t_s (device seconds); returns vocab.STATE_*.

        gravity_q14: "up" in the sensor frame, length 16384. sagittal_cdeg: the pelvis's sagittal tilt
        from the mounting (positive backwards), or TILT_UNKNOWN while the mounting has not learnt it.
        """
        f = self.features
        end_bin = f.seconds * BINS_PER_SECOND
        if end_bin - self._next_bin > RING_BINS - _MAX_EPISODE_BINS:
            # Seconds were skipped (the caller fell behind): restart the tracker on what the ring holds.
            self._next_bin = end_bin - BINS_PER_SECOND
            self._in_episode = False
        moving = False
        while self._next_bin < end_bin:
            if self._track_bin(t_s, self._next_bin):
                moving = True
            self._next_bin += 1
        self._still_s = 0 if moving else self._still_s + 1
        self.moving = moving
        self.sagittal_cdeg = sagittal_cdeg
        if self._cal_left_s > 0:
            self._calibrating(t_s, gravity_q14)
            return self.state
        walking = self._walk_evidence(gravity_q14)
        if walking:
            self._walk_run += 1
            self._nowalk_run = 0
        else:
            self._walk_run = 0
            self._nowalk_run += 1
        incl = self.incl_of(gravity_q14)
        self.incl_cdeg = incl
        if self._not_worn(t_s, moving):
            return self.state
        new = self.state
        since = t_s - 1
        need = _WALK_SECONDS + 1 if new == _LYING else _WALK_SECONDS
        if self._walk_run >= need and (incl < 0 or incl < _WALK_INCL_CDEG):
            new = _WALKING
            since = t_s - self._walk_run
            self._settled = True
            if self._in_episode:
                self._episode_from = _WALKING
            if incl >= 0:
                # The typical inclination while walking: a slow average, so that the turn to a seat at the
                # end of a walk does not carry it along.
                w = self._walk_incl_cdeg
                self._walk_incl_cdeg = incl if w < 0 else w + ((incl - w) >> _WALK_INCL_SHIFT)
            if self._walk_run >= _WALK_TEACH_SECONDS:
                self._teach_upright(gravity_q14, REF_WALKING)
        elif self.state == _WALKING and self._nowalk_run >= 2 and not self._in_episode:
            new = _STANDING
        if not self._settled:
            # Still being put on (or just switched on): nothing the sensor does now is the wearer's posture.
            self._pending = False
        elif self._pending and new != _WALKING and self._pending_settled():
            decided = self._decide(self.state if self.state == _WALKING else self._pending_from)
            if decided >= 0:
                new = decided
                since = self._pending_t_s - 1
            elif not self._pending_long:
                self._undecided_end = self._pending_end
            self._pending = False
        elif self._pending and (t_s - self._pending_t_s > _PENDING_HOLD_S or self._in_episode):
            # Walking went on, or the wearer moved again before settling: it was a pause, not a sit.
            self._pending = False
        elif not self._in_episode and incl >= 0:
            if new != _LYING and new != _WALKING and incl > _LIE_CDEG:
                new = _LYING
            elif new == _LYING and incl < _UNLIE_CDEG and self._still_s >= _UNLIE_STILL_S:
                # Up from lying without a movement the tracker saw: sitting up is the likelier.
                new = _SITTING
            elif new == _UNKNOWN and self.reference_kind >= REF_WALKING and self._still_s >= _GUESS_STILL_S:
                # Put back on without a movement to go by: the inclination is the best guess there is.
                if incl >= _GUESS_SIT_CDEG and not _leaning_forward(sagittal_cdeg):
                    new = _SITTING
                elif incl <= _GUESS_STAND_CDEG:
                    new = _STANDING
        new = self._recover(t_s, new, incl, sagittal_cdeg)
        if new == _SITTING and self.state != _SITTING and self._recovered_since >= 0:
            since = self._recovered_since
        self._set_state(t_s, new, since)
        return new

    def _recover(self, t_s, new, incl, sagittal_cdeg):
        """A sit-down the tracker missed: standing still, tilted as people sit, for minutes."""
        self._recovered_since = -1
        if (new != _STANDING or self.reference_kind < REF_WALKING or incl < _RECOVER_SIT_CDEG
                or incl > _LIE_CDEG or _leaning_forward(sagittal_cdeg)):
            self._tilted_s = 0
            return new
        self._tilted_s += 1
        if self._tilted_s < _RECOVER_SIT_S:
            return new
        self._tilted_s = 0
        self._recovered_since = t_s - _RECOVER_SIT_S
        return _SITTING

    # -- the pieces -------------------------------------------------------------------------------------

    def _set_state(self, t_s, new, since_s=-1):
        old = self.state
        if new == old:
            return
        self.state = new
        self.since_s = t_s - 1 if since_s < 0 else since_s
        self.transitions += 1
        kind = _event_kind(old, new)
        if kind:
            self.sink.event(t_s, kind, old, new)

    def _calibrating(self, t_s, gravity_q14):
        # The wearer was asked to stand still: every second counts but one with walking in it.
        if not self._walk_evidence(gravity_q14):
            self._cal_sum[0] += gravity_q14[0]
            self._cal_sum[1] += gravity_q14[1]
            self._cal_sum[2] += gravity_q14[2]
            self._cal_n += 1
        self._cal_left_s -= 1
        self._pending = False
        if self._cal_left_s > 0:
            return
        ok = 1 if self._cal_n > 0 else 0
        if ok:
            u = self.upright_q14
            u[0] = self._cal_sum[0] // self._cal_n
            u[1] = self._cal_sum[1] // self._cal_n
            u[2] = self._cal_sum[2] // self._cal_n
            normalize_q14(u)
            self.reference_kind = REF_CALIBRATED
            if self.mounting is not None:
                self.mounting.calibrate_upright(u)
        self.sink.event(t_s, vocab.EVENT_CALIBRATED, ok, self._cal_n)

    def _teach_upright(self, g, kind):
        u = self.upright_q14
        if self.reference_kind == REF_CALIBRATED:
            pass
        elif kind == REF_WALKING and self.reference_kind == REF_WALKING:
            u[0] += (g[0] - u[0]) >> _UPRIGHT_SHIFT
            u[1] += (g[1] - u[1]) >> _UPRIGHT_SHIFT
            u[2] += (g[2] - u[2]) >> _UPRIGHT_SHIFT
            normalize_q14(u)
        elif kind >= self.reference_kind or self.reference_kind == REF_TRANSITION:
            u[0] = g[0]
            u[1] = g[1]
            u[2] = g[2]
            self.reference_kind = kind
        if self.mounting is not None and kind >= REF_TRANSITION:
            self.mounting.observe_upright(g, kind == REF_WALKING)

    def incl_of(self, g_q14):
        """Angle between g_q14 and the upright in 0.01 degree; -1 when the upright is not known yet."""
        if self.reference_kind == REF_NONE:
            return -1
        return angle_cdeg(g_q14, self.upright_q14)

    def _not_worn(self, t_s, moving):
        f = self.features
        a = f.acc_mg
        rot = f.rot_ddps
        still = True
        first = f.seconds * BINS_PER_SECOND - BINS_PER_SECOND
        for b in range(first, first + BINS_PER_SECOND):
            i = b & RING_MASK
            j = (b - 1) & RING_MASK
            if (rot[i] > _MOTIONLESS_DDPS or _abs(a[3 * i] - a[3 * j]) > _MOTIONLESS_MG
                    or _abs(a[3 * i + 1] - a[3 * j + 1]) > _MOTIONLESS_MG
                    or _abs(a[3 * i + 2] - a[3 * j + 2]) > _MOTIONLESS_MG):
                still = False
                break
        if still and not moving:
            self._motionless_s += 1
        else:
            self._motionless_s = 0
        if self.state == _NOT_WORN:
            if self._motionless_s == 0:
                # Picked up: the posture is unknown until the sensor settles on the body again.
                self._settled = False
                self._quiet_run = 0
                self._pending = False
                self._set_state(t_s, _UNKNOWN)
                if self.reference_kind == REF_SETTLED:
                    self.reference_kind = REF_NONE
            return self.state == _NOT_WORN
        if self._motionless_s >= self.not_worn_after_s:
            self._pending = False
            self._set_state(t_s, _NOT_WORN)
            return True
        return False

    def _track_bin(self, t_s, b):
        """Feed bin b through the episode tracker; True if it was part of a movement."""
        f = self.features
        i = b & RING_MASK
        m = f.mag_mg[i]
        a = f.acc_mg
        pre = self._pre_acc_x16
        if self._base_x16 < 0:
            self._base_x16 = m << 4
            pre[0] = a[3 * i] << 4
            pre[1] = a[3 * i + 1] << 4
            pre[2] = a[3 * i + 2] << 4
        dev = m - (self._base_x16 >> 4)
        active = f.rot_ddps[i] > _ACTIVE_ROT_DDPS or dev > _ACTIVE_MG or dev < 0 - _ACTIVE_MG
        self._base_x16 += ((m << 4) - self._base_x16) >> _BASE_SHIFT
        if active:
            last_end = self._undecided_end
            if self._pending and not self._pending_long:
                last_end = self._pending_end
            if not self._in_episode and last_end >= 0 and b - last_end <= _MERGE_BINS \
                    and b - self._episode_start < _MAX_EPISODE_BINS:
                # Resume the last movement (it decided nothing, or has not yet): same start, same still
                # posture before it, same state before it.
                self._in_episode = True
                self._pending = False
                self._undecided_end = -1
            elif not self._in_episode:
                self._in_episode = True
                self._undecided_end = -1
                self._episode_start = b
                self._episode_from = self.state
                self._pre_mag = isqrt(
                    (pre[0] >> 4) * (pre[0] >> 4) + (pre[1] >> 4) * (pre[1] >> 4) + (pre[2] >> 4) * (pre[2] >> 4)
                )
                g = self._pre_g
                g[0] = pre[0]
                g[1] = pre[1]
                g[2] = pre[2]
                normalize_q14(g)
            self._quiet_run = 0
            return True
        # The still posture just before a movement: recent still bins, the newest weighing most.
        pre[0] += ((a[3 * i] << 4) - pre[0]) >> 2
        pre[1] += ((a[3 * i + 1] << 4) - pre[1]) >> 2
        pre[2] += ((a[3 * i + 2] << 4) - pre[2]) >> 2
        self._quiet_run += 1
        if self._quiet_run >= _SETTLE_BINS and not self._settled:
            self._settled = True
            if self.reference_kind == REF_NONE:
                g = self._scratch
                f.mean_accel_mg(b - _QUIET_BINS + 1, _QUIET_BINS, g)
                normalize_q14(g)
                self._teach_upright(g, REF_SETTLED)
        if self._in_episode and self._quiet_run >= _QUIET_BINS:
            self._in_episode = False
            self._analyse(t_s, self._episode_start, b - _QUIET_BINS + 1)
        return False

    def _analyse(self, t_s, start, end):
        """Weigh up the movement from bin start to bin end (the first still bin after it)."""
        f = self.features
        mag = f.mag_mg
        first = start - 2
        long_episode = False
        if end - first > _MAX_EPISODE_BINS:
            # Walking or stairs, then a stop: only the end can hold a sit-down; steps before it, and the
            # sustained vertical speed of stairs, would read as one.
            first = end - _TAIL_BINS
            long_episode = True
        stop = end + 2  # two still bins close the window
        n = stop - first
        post_mag = 0
        for b in range(end, end + _QUIET_BINS):
            post_mag += mag[b & RING_MASK]
        post_mag //= _QUIET_BINS
        # Before a long episode the still level is too long ago to trust; its end level serves for both.
        pre_mag = post_mag if long_episode else self._pre_mag
        span = pre_mag - post_mag
        # Vertical velocity: the sum of |a| above its still level, which runs from pre_mag to post_mag.
        v = 0
        for j in range(n):
            v += mag[(first + j) & RING_MASK] - pre_mag + span * j // (n - 1)
        v_end = v
        # Again, with the drift that leaves the velocity at v_end removed: find the largest excursion.
        v = 0
        best = 0
        best_j = 0
        for j in range(n):
            v += mag[(first + j) & RING_MASK] - pre_mag + span * j // (n - 1)
            w = v - v_end * j // (n - 1)
            if _abs(w) > _abs(best):
                best = w
                best_j = j
        # Which came first near the extreme: the dip (falling) or the peak (stopping)?
        lo = best_j - _ORDER_SPAN_BINS if best_j > _ORDER_SPAN_BINS else 0
        hi = best_j + _ORDER_SPAN_BINS + 1 if best_j + _ORDER_SPAN_BINS + 1 < n else n
        lo_x = 32767
        hi_x = -32768
        lo_j = 0
        hi_j = 0
        for j in range(lo, hi):
            x = mag[(first + j) & RING_MASK] - pre_mag + span * j // (n - 1)
            if x < lo_x:
                lo_x = x
                lo_j = j
            if x > hi_x:
                hi_x = x
                hi_j = j
        post = self._post_g
        f.mean_accel_mg(end, _QUIET_BINS, post)
        normalize_q14(post)
        self._pending = True
        self._pending_t_s = t_s
        self._pending_v = best
        self._pending_order = hi_j - lo_j
        self._pending_long = long_episode
        self._pending_from = self._episode_from
        self._pending_end = end
        self._pending_post_incl = self.incl_of(post)
        self._pending_pre_incl = self.incl_of(self._pre_g)

    def _pending_settled(self):
        """After walking, a stop must stay still a while before it can count as sitting down."""
        if self._pending_from != _WALKING and not self._pending_long:
            return True
        return self._quiet_run >= _QUIET_BINS + _AFTER_WALK_STILL_BINS

    def _decide(self, cur):
        """The state after the pending episode, given the state cur before it; -1 for no change."""
        post_incl = self._pending_post_incl
        if post_incl > _LIE_CDEG:
            return _LYING
        v = self._pending_v
        if cur == _LYING:
            if post_incl >= 0 and post_incl < _UNLIE_CDEG:
                # Up from lying: people sit up first; a strong rise is straight to standing.
                return _STANDING if v > _V_RISE_FROM_LYING else _SITTING
            return -1
        if cur == _UNKNOWN and (not self._settled or self._pending_long):
            return -1
        score = 0
        if v > _V_MIN or v < 0 - _V_MIN:
            score = (0 - v) * 100 // _V_SCALE
            order = self._pending_order
            if order > 0:
                score += _ORDER_WEIGHT
            elif order < 0:
                score -= _ORDER_WEIGHT
            if self.reference_kind >= REF_TRANSITION and post_incl >= 0:
                score += (post_incl - self._pending_pre_incl) * 100 // _INCL_SCALE_CDEG
        self.last_score = score
        if cur == _WALKING and score > _DECIDE and self._walk_incl_cdeg >= 0 and post_incl >= 0:
            # Straight from walking: the last step down a stair and a stop look like a sit-down; a seat
            # also tilts the pelvis away from how it was carried while walking.
            if post_incl - self._walk_incl_cdeg < _SIT_AFTER_WALK_CDEG:
                score = 0
                self.last_score = 0
        if score > _DECIDE and v < 0 and cur != _SITTING and _leaning_forward(self.sagittal_cdeg):
            # Down, but tipped forwards: a squat or a bend to the floor, not a seat.
            return -1
        if score > _DECIDE and v < 0 and cur != _SITTING:
            self._teach_upright(self._pre_g, REF_TRANSITION)
            return _SITTING
        if score < 0 - _DECIDE and v > 0 and (cur == _SITTING or cur == _UNKNOWN):
            self._teach_upright(self._post_g, REF_TRANSITION)
            return _STANDING
        if cur == _WALKING:
            return _STANDING
        return -1

    def _walk_evidence(self, g):
        """Is the last _WALK_BINS of |a| strong, periodic at a step rate, with gravity steady?"""
        f = self.features
        steady = self._have_prev_g and dot_q14(g, self._prev_g) > _COS_WALK_STEADY_Q14
        p = self._prev_g
        p[0] = g[0]
        p[1] = g[1]
        p[2] = g[2]
        self._have_prev_g = True
        end = f.seconds * BINS_PER_SECOND
        if end < _WALK_BINS or not steady:
            return False
        mag = f.mag_mg
        first = end - _WALK_BINS
        total = 0
        for b in range(first, end):
            total += mag[b & RING_MASK]
        mean = total // _WALK_BINS
        # Deviations in 8 mg steps, clamped, keep the products below 2**30.
        var = 0
        for b in range(first, end):
            d = _clamp((mag[b & RING_MASK] - mean) >> 3, 250)
            var += d * d
        if var <= (_WALK_SD_MG >> 3) * (_WALK_SD_MG >> 3) * _WALK_BINS:
            return False
        for lag in range(_WALK_LAG_MIN, _WALK_LAG_MAX + 1):
            c = 0
            for b in range(first, end - lag):
                c += _clamp((mag[b & RING_MASK] - mean) >> 3, 250) \
                    * _clamp((mag[(b + lag) & RING_MASK] - mean) >> 3, 250)
            # c / (n - lag) > AC * var / n
            if c * _WALK_BINS * 100 > _WALK_AC_PCT * var * (_WALK_BINS - lag):
                return True
        return False


def _event_kind(old, new):
    if new == _NOT_WORN:
        return vocab.EVENT_NOT_WORN
    if old == _NOT_WORN:
        return vocab.EVENT_WORN
    if new == _LYING:
        return vocab.EVENT_LIE_DOWN
    if old == _LYING and new != _UNKNOWN:
        return vocab.EVENT_GET_UP
    if new == _WALKING:
        return vocab.EVENT_WALK_START
    if old == _WALKING and new != _UNKNOWN:
        return vocab.EVENT_WALK_STOP if new == _STANDING else vocab.EVENT_STAND_TO_SIT
    if new == _SITTING:
        return vocab.EVENT_STAND_TO_SIT
    if new == _STANDING and old == _SITTING:
        return vocab.EVENT_SIT_TO_STAND
    return 0


def _leaning_forward(sagittal_cdeg):
    return sagittal_cdeg != TILT_UNKNOWN and sagittal_cdeg < 0 - _FORWARD_CDEG


def _abs(x):
    return x if x >= 0 else 0 - x


def _clamp(x, limit):
    if x > limit:
        return limit
    if x < 0 - limit:
        return 0 - limit
    return x


def dot_q14(u, v):
    """Dot product of two unit vectors of length 16384, in the same scale (16384 = 1)."""
    return (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) >> 14


def angle_cdeg(u, v):
    """Angle between two unit vectors of length 16384, 0..18000 (0.01 degree)."""
    c = dot_q14(u, v)
    x = (u[1] * v[2] - u[2] * v[1]) >> 14
    y = (u[2] * v[0] - u[0] * v[2]) >> 14
    z = (u[0] * v[1] - u[1] * v[0]) >> 14
    s = isqrt(x * x + y * y + z * z)
    return atan2_cdeg(s, c)


def atan2_cdeg(y, x):
    """atan2 for y >= 0, in 0.01 degree (0..18000); integer only."""
    if x < 0:
        return 18000 - atan2_cdeg(y, 0 - x)
    if y == 0 and x == 0:
        return 0
    if y <= x:
        return _atan_ratio(y, x)
    return 9000 - _atan_ratio(x, y)


def _atan_ratio(a, b):
    # atan(a / b) for 0 <= a <= b, b > 0: table in steps of 1/32, linear between.
    t = (a << 10) // b
    k = t >> 5
    if k >= 32:
        return 4500
    frac = t & 31
    lo = _ATAN_CDEG[k]
    return lo + (((_ATAN_CDEG[k + 1] - lo) * frac) >> 5)

