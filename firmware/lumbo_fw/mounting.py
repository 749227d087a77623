"""Mounting: the wearer's pelvic tilt from the tilt filter's gravity vector, whatever way the clip sits.

Three things are learned, all in the sensor's own frame:

- upright: the gravity direction while the wearer stands tall. `calibrate_upright()` sets it from a
  calibration stance; `observe_upright()` (the posture detector saying "standing" or "walking now")
  re-learns it slowly, so drift and a clip that shifted are followed without anyone pressing a button.
  The pelvis tilts forward a few degrees while walking: walking hints learn that gap against standing
  and then follow the walking mean corrected by it (upright comes from walking alone only until the
  wearer has been seen standing).
- the sagittal axis: the direction in which "up" moves away from upright when the pelvis tilts forwards
  or backwards. Learned from motion: people tilt the pelvis about its left-right axis far more than
  sideways (sitting down, slumping, standing up, bending), so the principal direction of the tilts seen
  at 7-60 degrees from upright is the sagittal one. `calibrate_bend_forward()` sets it from a guided bend.
- the sign: positive sagittal tilt is backwards (posterior), as when slumping in a chair. Automatically,
  the side on which the wearer spends more time tilted is backwards (hours of sitting outweigh the
  moments of bending forward); a guided bend settles it for good.

`tilt(gravity_q14, out)` fills out with sagittal, lateral and total inclination in centidegrees:
sagittal = the angle of "up" projected on the sagittal plane (positive backwards), lateral = the angle of
"up" out of the sagittal plane (positive when the trunk leans to the wearer's right), inclination = the
angle from upright; the same definitions as the virtual wearer's truth (docs/simulator.md). Called about
once a second; floats are fine at that rate.
"""

import math
import struct

from micropython import const

TILT_UNKNOWN = const(-32768)  # in `out` when the angle cannot be known yet
_SAVE_FORMAT = "<4s3f3f6f2f2f2f3f3ff"
SAVE_MAGIC = b"LMT1"
_DEG = 180.0 / math.pi
_AXIS_REFRESH = const(10)


class MountingSettings:
    def __init__(self):
        self.upright_memory_hints = 30.0  # re-learning averages over about this many standing hints
        self.walking_weight = 0.1  # once the gap is learned, a walking hint counts this much of a standing one
        self.walking_memory_hints = 60.0  # the walking mean averages over about this many hints
        self.axis_min_deg = 7.0  # tilts smaller than this say little about the axis (sway, gait)
        self.axis_max_deg = 60.0  # larger ones are lying down, not pelvic tilt
        self.axis_min_samples = 30.0  # tilted seconds before the axis is trusted
        self.axis_min_ratio = 3.0  # ... and the tilts must lie this much more along it than across it
        self.axis_memory_samples = 3600.0  # older tilts fade with this time constant
        self.sign_hysteresis_deg = 3.0  # the learned sign only flips past this mean tilt the other way
        self.moved_clip_deg = 20.0  # a new calibration this far from the old upright means a new mounting


def _unit(v):
    n = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    if n == 0.0:
        raise ValueError("the gravity vector is zero; pass the tilt filter's gravity_q14 after an update")
    return [v[0] / n, v[1] / n, v[2] / n]


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _blend(a, b, k):
    """The unit vector a moved the fraction k of the way to b."""
    return _unit([a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k, a[2] + (b[2] - a[2]) * k])


def _cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


class Mounting:
    def __init__(self, settings=None):
        self.settings = settings if settings is not None else MountingSettings()
        self.forget()

    def forget(self):
        """Back to nothing known (a new wearer or a new mounting)."""
        self._up = None  # upright, unit vector, sensor frame
        self._e1 = None  # basis of the plane across upright: e1, e2 = up x e1
        self._e2 = None
        self._up_weight = 0.0
        self._stood = False  # upright comes from standing (a stance or hints), not from walking alone
        self._walk = None  # mean "up" while walking
        self._walk_weight = 0.0
        self._gap = None  # upright minus the walking mean: how this wearer's pelvis walks
        self._forget_axis()

    def _forget_axis(self):
        self._sxx = self._sxy = self._syy = 0.0  # second moments of tilts in (e1, e2)
        self._mx = self._my = 0.0  # first moments
        self._n = 0.0
        self._back = None  # (c, s): the backwards direction c*e1 + s*e2 last reported
        self._guide = None  # (c, s): backwards as a guided bend showed it; settles the sign for good
        self._cached = None  # the axis as last worked out; redone after AXIS_REFRESH new tilts
        self._fresh = 0

    # ---- what is known ----
    @property
    def calibrated(self):
        """True once upright is known (from a calibration stance or from standing/walking hints)."""
        return self._up is not None

    @property
    def axis_known(self):
        """True once the sagittal axis and its sign are known."""
        return self._axis() is not None

    # ---- learning upright ----
    def _set_up(self, up):
        self._up = up
        e1 = self._e1
        if e1 is None:
            # any direction across upright: the sensor axis least aligned with it
            i = 0
            for k in (1, 2):
                if abs(up[k]) < abs(up[i]):
                    i = k
            e1 = [0.0, 0.0, 0.0]
            e1[i] = 1.0
        d = _dot(e1, up)
        self._e1 = _unit([e1[0] - d * up[0], e1[1] - d * up[1], e1[2] - d * up[2]])
        self._e2 = _cross(up, self._e1)

    def calibrate_upright(self, gravity_q14):
        """The wearer stands tall and still now: this is upright."""
        up = _unit(gravity_q14)
        old = self._up
        if old is not None and _dot(old, up) < math.cos(self.settings.moved_clip_deg / _DEG):
            self._forget_axis()  # the clip was moved: the old axis means nothing now
            self._walk = None
            self._walk_weight = 0.0
            self._gap = None
        self._set_up(up)
        self._up_weight = self.settings.upright_memory_hints
        self._stood = True
        self._learn_gap()

    def observe_upright(self, gravity_q14, walking=False):
        """A hint from the posture detector: the wearer stands (or walks, if walking) now.

        Standing is the reference. The pelvis tilts a little differently while walking, so walking hints
        first learn that difference (the gap) against the standing reference; after that they keep upright
        in step with the walking mean (a clip that shifts during a long walk is followed), with a small
        weight. With no standing seen yet, walking is all there is and upright follows it directly.
        """
        g = _unit(gravity_q14)
        cfg = self.settings
        if walking:
            self._walk_weight = min(self._walk_weight + 1.0, cfg.walking_memory_hints)
            self._walk = g if self._walk is None else _blend(self._walk, g, 1.0 / self._walk_weight)
            if not self._stood:
                target = self._walk
                w = 1.0
            elif self._gap is None or self._walk_weight < cfg.walking_memory_hints:
                self._learn_gap()  # still learning how this wearer walks: upright stays as it stood
                return
            else:
                gap = self._gap
                target = _unit([self._walk[0] + gap[0], self._walk[1] + gap[1], self._walk[2] + gap[2]])
                w = cfg.walking_weight
        else:
            target = g
            w = 1.0
        if self._up is None:
            self._set_up(target)
            self._up_weight = w
        else:
            if not walking and not self._stood:
                self._up_weight = 0.0  # the first standing hint outranks everything learned from walking
            self._up_weight = min(self._up_weight + w, cfg.upright_memory_hints)
            self._set_up(_blend(self._up, target, w / self._up_weight))
        if not walking:
            self._stood = True
            self._learn_gap()

    def _learn_gap(self):
        if self._walk is not None and self._up is not None and self._stood:
            up = self._up
            walk = self._walk
            self._gap = [up[0] - walk[0], up[1] - walk[1], up[2] - walk[2]]

    # ---- learning the sagittal axis ----
    def calibrate_bend_forward(self, gravity_q14):
        """Guided motion: the wearer bends forward from the hips (15 degrees or more) and holds it now."""
        if self._up is None:
            raise ValueError("calibrate upright first: the bend is measured from the upright stance")
        g = _unit(gravity_q14)
        x = _dot(g, self._e1)
        y = _dot(g, self._e2)
        r = math.sqrt(x * x + y * y)
        if r < math.sin(15.0 / _DEG):
            raise ValueError("the bend was too small (%.0f degrees); bend forward further and hold still"
                             % (math.asin(min(r, 1.0)) * _DEG))
        bx = -x / r  # backwards is opposite to the bend
        by = -y / r
        weight = self.settings.axis_memory_samples / 4.0
        self._sxx = bx * bx * weight
        self._sxy = bx * by * weight
        self._syy = by * by * weight
        self._mx = bx * weight
        self._my = by * weight
        self._n = weight
        self._guide = (bx, by)
        self._back = (bx, by)
        self._cached = None

    def _learn(self, x, y, z):
        cfg = self.settings
        r = math.sqrt(x * x + y * y)
        if z <= 0.0 or not math.sin(cfg.axis_min_deg / _DEG) <= r <= math.sin(cfg.axis_max_deg / _DEG):
            return
        keep = 1.0 - 1.0 / cfg.axis_memory_samples
        self._sxx = self._sxx * keep + x * x
        self._sxy = self._sxy * keep + x * y
        self._syy = self._syy * keep + y * y
        self._mx = self._mx * keep + x
        self._my = self._my * keep + y
        self._n = self._n * keep + 1.0
        self._fresh += 1

    def _axis(self):
        """(c, s): the unit backwards direction c*e1 + s*e2, or None while unknown. Worked out again only
        every _AXIS_REFRESH learned tilts (it changes slowly; this keeps the once-a-second call lean)."""
        if self._fresh < _AXIS_REFRESH and self._cached is not None:
            return self._cached
        self._fresh = 0
        self._cached = self._work_out_axis()
        return self._cached

    def _work_out_axis(self):
        cfg = self.settings
        if self._up is None or self._n < cfg.axis_min_samples:
            return None
        a = 0.5 * math.atan2(2.0 * self._sxy, self._sxx - self._syy)
        c = math.cos(a)
        s = math.sin(a)
        along = c * c * self._sxx + 2.0 * c * s * self._sxy + s * s * self._syy
        across = s * s * self._sxx - 2.0 * c * s * self._sxy + c * c * self._syy
        if along < cfg.axis_min_ratio * across:
            return None
        # the principal direction has no sign of its own: keep it pointing where backwards was
        ref = self._guide if self._guide is not None else self._back
        if ref is not None:
            if c * ref[0] + s * ref[1] < 0.0:
                c = -c
                s = -s
        elif c * self._mx + s * self._my < 0.0:
            c = -c
            s = -s
        if self._guide is None and (c * self._mx + s * self._my) / self._n < -math.sin(cfg.sign_hysteresis_deg / _DEG):
            c = -c  # the wearer now spends more time tilted the other way: that way is backwards
            s = -s
        self._back = (c, s)
        return c, s

    # ---- output ----
    def tilt(self, gravity_q14, out):
        """Fill out (3 ints) with sagittal, lateral and inclination in centidegrees; learn from this sample.

        Returns True when all three are known. Before upright is known all three are TILT_UNKNOWN; before
        the sagittal axis is known, sagittal and lateral are.
        """
        e1 = self._e1
        e2 = self._e2
        up = self._up
        if up is None or e1 is None or e2 is None:
            out[0] = out[1] = out[2] = TILT_UNKNOWN
            return False
        g0 = gravity_q14[0]
        g1 = gravity_q14[1]
        g2 = gravity_q14[2]
        n = math.sqrt(g0 * g0 + g1 * g1 + g2 * g2)
        if n == 0.0:
            raise ValueError("the gravity vector is zero; pass the tilt filter's gravity_q14 after an update")
        x = (g0 * e1[0] + g1 * e1[1] + g2 * e1[2]) / n
        y = (g0 * e2[0] + g1 * e2[1] + g2 * e2[2]) / n
        z = (g0 * up[0] + g1 * up[1] + g2 * up[2]) / n
        out[2] = round(math.atan2(math.sqrt(x * x + y * y), z) * _DEG * 100.0)
        self._learn(x, y, z)
        axis = self._axis()
        if axis is None:
            out[0] = out[1] = TILT_UNKNOWN
            return False
        c, s = axis
        out[0] = round(math.atan2(c * x + s * y, z) * _DEG * 100.0)
        side = c * y - s * x
        out[1] = round(math.asin(side if -1.0 <= side <= 1.0 else (1.0 if side > 0 else -1.0)) * _DEG * 100.0)
        return True

    # ---- persistence ----
    def save(self):
        """What was learned, as bytes (for flash, so a reboot keeps the calibration)."""
        zero3 = (0.0, 0.0, 0.0)
        up = self._up if self._up is not None else zero3
        e1 = self._e1 if self._e1 is not None else zero3
        back = self._back if self._back is not None else (0.0, 0.0)
        guide = self._guide if self._guide is not None else (0.0, 0.0)
        walk = self._walk if self._walk is not None else zero3
        gap = self._gap if self._gap is not None else zero3
        flags = (1 if self._up is not None else 0) | (2 if self._back is not None else 0) \
            | (4 if self._guide is not None else 0) | (8 if self._stood else 0) \
            | (16 if self._walk is not None else 0) | (32 if self._gap is not None else 0)
        return struct.pack(_SAVE_FORMAT, SAVE_MAGIC, up[0], up[1], up[2], e1[0], e1[1], e1[2],
                           self._sxx, self._sxy, self._syy, self._mx, self._my, self._n,
                           back[0], back[1], guide[0], guide[1], float(flags), self._up_weight,
                           walk[0], walk[1], walk[2], gap[0], gap[1], gap[2], self._walk_weight)

    @staticmethod
    def save_size():
        return struct.calcsize(_SAVE_FORMAT)

    def restore(self, buf):
        """Continue from save(); a clear error (and nothing changed) if buf is not a saved mounting."""
        if len(buf) != struct.calcsize(_SAVE_FORMAT) or bytes(buf[:4]) != SAVE_MAGIC:
            raise ValueError("not a saved mounting (expected %d bytes starting %r); calibrate again"
                             % (struct.calcsize(_SAVE_FORMAT), SAVE_MAGIC))
        v = struct.unpack(_SAVE_FORMAT, bytes(buf))
        flags = int(v[17])
        self.forget()
        if flags & 1:
            self._e1 = [v[4], v[5], v[6]]
            self._set_up(_unit([v[1], v[2], v[3]]))
        self._sxx, self._sxy, self._syy, self._mx, self._my, self._n = v[7], v[8], v[9], v[10], v[11], v[12]
        if flags & 2:
            self._back = (v[13], v[14])
        if flags & 4:
            self._guide = (v[15], v[16])
        self._up_weight = v[18]
        self._stood = bool(flags & 8)
        if flags & 16:
            self._walk = [v[19], v[20], v[21]]
        if flags & 32:
            self._gap = [v[22], v[23], v[24]]
        self._walk_weight = v[25]
        self._cached = None
