"""Mounting: pelvic tilt from the gravity vector for clips in any orientation, checked against tilts made
by construction (body angles -> sensor frame through a known clip rotation)."""

import math
from array import array

from devtest import heap_bytes_per_call, raises
from lumbo_fw.mounting import TILT_UNKNOWN, Mounting, MountingSettings


def rot_x(a):
    c, s = math.cos(a), math.sin(a)
    return ((1.0, 0.0, 0.0), (0.0, c, -s), (0.0, s, c))


def rot_y(a):
    c, s = math.cos(a), math.sin(a)
    return ((c, 0.0, s), (0.0, 1.0, 0.0), (-s, 0.0, c))


def rot_z(a):
    c, s = math.cos(a), math.sin(a)
    return ((c, -s, 0.0), (s, c, 0.0), (0.0, 0.0, 1.0))


def matmul(a, b):
    return tuple(tuple(sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)) for i in range(3))


def clip(yaw_deg, pitch_deg, roll_deg):
    """A clip orientation: the rotation from sensor axes to the pelvis's (x forward, y left, z up)."""
    return matmul(rot_z(math.radians(yaw_deg)), matmul(rot_y(math.radians(pitch_deg)), rot_x(math.radians(roll_deg))))


# A clip worn upside down and rotated: no sensor axis is near any body axis.
CLIP = clip(130.0, 160.0, -35.0)


def gravity_q14(sagittal_deg, lateral_deg, mounting=CLIP):
    """The filter's output for a pelvis tilted back by sagittal_deg and to the right by lateral_deg.

    "up" in the pelvis frame is (sin s cos l, sin l, cos s cos l): atan2(x, z) = s is the sagittal tilt,
    asin(y) = l the lateral one; the sensor sees it through the clip rotation (sensor = R^T body).
    """
    s = math.radians(sagittal_deg)
    la = math.radians(lateral_deg)
    body = (math.sin(s) * math.cos(la), math.sin(la), math.cos(s) * math.cos(la))
    sensor = [sum(mounting[k][i] * body[k] for k in range(3)) for i in range(3)]
    return array("i", [round(16384 * v) for v in sensor])


class Lcg:
    """Deterministic pseudo-random numbers, the same under both interpreters."""

    def __init__(self, seed):
        self.state = seed

    def uniform(self, lo, hi):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return lo + (hi - lo) * self.state / 0x7FFFFFFF


def day(mounting, rng, sit_s=300, bends=10):
    """A short desk day at 1 Hz: standing, sitting with slumps and side leans, a few forward bends.
    Yields (activity, gravity_q14) one at a time: a device's heap does not hold the whole day."""
    for _ in range(30):
        yield "standing", gravity_q14(rng.uniform(-1, 1), rng.uniform(-1, 1), mounting)
    for i in range(sit_s):
        yield "sitting", gravity_q14(rng.uniform(12, 28), rng.uniform(-5, 5), mounting)
        if i % (sit_s // bends) == 0:
            yield "bending", gravity_q14(rng.uniform(-50, -30), rng.uniform(-3, 3), mounting)
    for _ in range(30):
        yield "walking", gravity_q14(rng.uniform(-3, 3), rng.uniform(-5, 5), mounting)


def learned(mounting=CLIP, seed=1, sit_s=300, bends=10):
    m = Mounting()
    m.calibrate_upright(gravity_q14(0.0, 0.0, mounting))
    out = array("i", (0, 0, 0))
    for _, g in day(mounting, Lcg(seed), sit_s, bends):
        m.tilt(g, out)
    return m


def tilt_of(m, sagittal_deg, lateral_deg, mounting=CLIP):
    out = array("i", (0, 0, 0))
    ok = m.tilt(gravity_q14(sagittal_deg, lateral_deg, mounting), out)
    return ok, out[0], out[1], out[2]


def test_nothing_is_reported_before_upright_is_known():
    m = Mounting()
    out = array("i", (1, 2, 3))
    assert not m.calibrated and not m.axis_known
    assert m.tilt(gravity_q14(10.0, 0.0), out) is False
    assert list(out) == [TILT_UNKNOWN] * 3


def test_inclination_is_known_as_soon_as_upright_is():
    m = Mounting()
    m.calibrate_upright(gravity_q14(0.0, 0.0))
    ok, sag, lat, incl = tilt_of(m, 20.0, 0.0)
    assert m.calibrated and not ok
    assert sag == TILT_UNKNOWN and lat == TILT_UNKNOWN
    assert abs(incl - 2000) <= 3


def test_a_guided_bend_gives_the_axis_and_the_sign():
    m = Mounting()
    m.calibrate_upright(gravity_q14(0.0, 0.0))
    m.calibrate_bend_forward(gravity_q14(-30.0, 0.0))
    assert m.axis_known
    for sag, lat in ((15.0, 0.0), (-20.0, 0.0), (25.0, 5.0), (3.0, -8.0), (-45.0, 10.0)):
        ok, s, la, incl = tilt_of(m, sag, lat)
        assert ok
        assert abs(s - 100 * sag) <= 3, (sag, lat, s)
        assert abs(la - 100 * lat) <= 3, (sag, lat, la)
        # inclination: the angle of "up" from z
        expected = math.degrees(math.acos(math.cos(math.radians(sag)) * math.cos(math.radians(lat))))
        assert abs(incl - 100 * expected) <= 3


def test_the_axis_and_its_sign_are_learned_from_a_desk_day():
    for mounting in (CLIP, clip(0.0, 0.0, 0.0), clip(-90.0, 90.0, 0.0), clip(45.0, -120.0, 200.0)):
        m = learned(mounting)
        assert m.axis_known
        ok, s, la, _ = tilt_of(m, 10.0, 0.0, mounting)
        assert ok and abs(s - 1000) <= 40, s  # backwards is positive
        ok, s, la, _ = tilt_of(m, 0.0, 5.0, mounting)
        assert abs(la - 500) <= 40 and abs(s) <= 60, (s, la)  # the trunk leaning right is positive


def test_little_tilt_teaches_nothing():
    m = Mounting()
    m.calibrate_upright(gravity_q14(0.0, 0.0))
    rng = Lcg(5)
    out = array("i", (0, 0, 0))
    for _ in range(600):  # sway and gait: all within 5 degrees of upright
        m.tilt(gravity_q14(rng.uniform(-4, 4), rng.uniform(-4, 4)), out)
    assert not m.axis_known


def test_the_learned_sign_follows_where_the_wearer_spends_time_tilted():
    # a wearer who mostly bends forward and rarely sits: the automatic sign is then wrong, which is
    # why a guided bend settles it for good
    m = Mounting()
    m.calibrate_upright(gravity_q14(0.0, 0.0))
    rng = Lcg(3)
    out = array("i", (0, 0, 0))
    for _ in range(200):
        m.tilt(gravity_q14(rng.uniform(-40, -20), rng.uniform(-3, 3)), out)
    ok, s, _, _ = tilt_of(m, 10.0, 0.0)
    assert ok and s < 0
    m.calibrate_bend_forward(gravity_q14(-30.0, 0.0))
    for _ in range(200):
        m.tilt(gravity_q14(rng.uniform(-40, -20), rng.uniform(-3, 3)), out)
    ok, s, _, _ = tilt_of(m, 10.0, 0.0)
    assert ok and abs(s - 1000) <= 30, s


def test_upright_relearns_from_standing_when_the_clip_shifts():
    m = learned()
    shifted = matmul(CLIP, rot_x(math.radians(5.0)))  # the clip turned 5 degrees on the belt
    stand = gravity_q14(0.0, 0.0, shifted)
    assert tilt_of(m, 0.0, 0.0, shifted)[3] > 450  # the old upright is 5 degrees off now
    for _ in range(10):
        m.observe_upright(stand)
    assert 20 < tilt_of(m, 0.0, 0.0, shifted)[3] < 450  # on its way
    for _ in range(120):
        m.observe_upright(stand)
    assert tilt_of(m, 0.0, 0.0, shifted)[3] < 20


def test_walking_tilted_forward_does_not_drag_upright():
    m = Mounting()
    m.calibrate_upright(gravity_q14(0.0, 0.0))
    rng = Lcg(11)
    for _ in range(300):  # five minutes of walking, pelvis 3 degrees forward on average, rocking
        m.observe_upright(gravity_q14(-3.0 + rng.uniform(-2, 2), rng.uniform(-4, 4)), walking=True)
    assert tilt_of(m, 0.0, 0.0)[3] <= 20  # upright is still the stance (3 degrees would be 300)


def test_after_learning_the_walking_gap_walking_follows_a_shifted_clip():
    m = Mounting()
    m.calibrate_upright(gravity_q14(0.0, 0.0))
    rng = Lcg(12)
    for _ in range(120):
        m.observe_upright(gravity_q14(-3.0 + rng.uniform(-1, 1), 0.0), walking=True)
    shifted = matmul(CLIP, rot_y(math.radians(-6.0)))  # the clip tips on the belt mid-walk
    for _ in range(1500):
        m.observe_upright(gravity_q14(-3.0 + rng.uniform(-1, 1), 0.0, shifted), walking=True)
    # upright followed the walking mean, kept the 3 degree gap: standing reads about zero again
    assert tilt_of(m, 0.0, 0.0, shifted)[3] < 100


def test_walking_alone_gives_upright_until_standing_is_seen():
    m = Mounting()
    for _ in range(60):
        m.observe_upright(gravity_q14(-3.0, 0.0), walking=True)
    assert m.calibrated
    assert abs(tilt_of(m, 0.0, 0.0)[3] - 300) <= 10  # from walking, 3 degrees off
    for _ in range(5):
        m.observe_upright(gravity_q14(0.0, 0.0))
    assert tilt_of(m, 0.0, 0.0)[3] <= 10  # the first standing hints take over


def test_calibrating_a_moved_clip_forgets_the_old_axis():
    m = learned()
    assert m.axis_known
    m.calibrate_upright(gravity_q14(0.0, 3.0))  # the same clip, the wearer a little crooked
    assert m.axis_known
    m.calibrate_upright(gravity_q14(0.0, 0.0, clip(0.0, 90.0, 0.0)))  # clipped on anew
    assert not m.axis_known


def test_save_and_restore_keep_what_was_learned():
    m = learned()
    saved = m.save()
    assert len(saved) == Mounting.save_size()
    other = Mounting()
    other.restore(saved)
    for sag, lat in ((12.0, 3.0), (-30.0, 0.0), (0.0, -6.0)):
        assert tilt_of(m, sag, lat) == tilt_of(other, sag, lat)
    fresh = Mounting()
    fresh.restore(Mounting().save())
    assert not fresh.calibrated


def test_bad_input_gets_a_clear_error_and_changes_nothing():
    m = learned()
    saved = m.save()
    err = raises(ValueError, m.calibrate_upright, array("i", (0, 0, 0)))
    assert "gravity" in str(err)
    err = raises(ValueError, m.calibrate_bend_forward, gravity_q14(-5.0, 0.0))
    assert "further" in str(err)
    err = raises(ValueError, m.restore, b"LMT1 too short")
    assert "calibrate again" in str(err)
    assert m.save() == saved
    err = raises(ValueError, Mounting().calibrate_bend_forward, gravity_q14(-30.0, 0.0))
    assert "upright first" in str(err)


def test_settings_are_used():
    settings = MountingSettings()
    settings.axis_min_samples = 1000.0
    m = Mounting(settings)
    m.calibrate_upright(gravity_q14(0.0, 0.0))
    out = array("i", (0, 0, 0))
    for _ in range(300):
        m.tilt(gravity_q14(20.0, 0.0), out)
    assert not m.axis_known  # 300 tilted samples are not enough for this setting


def mpytest_a_tilt_call_once_a_second_stays_lean():
    m = learned()
    g = gravity_q14(15.0, 2.0)
    out = array("i", (0, 0, 0))
    used = heap_bytes_per_call(lambda: m.tilt(g, out), repeat=5)
    print("mounting.tilt heap bytes per call:", used)
    assert used < 4000, used  # floats at 1 Hz: a few KB a second at most
