import math
from array import array

from wearer_signal import Wearer, feed

from devtest import heap_bytes_per_call
from lumbo_fw.features import MotionFeatures
from lumbo_fw.posture import PostureClassifier
from lumbo_fw.routines import RoutineRecognizer
from lumbo_shared import vocab


class Log:
    def event(self, t_s, kind, a, b):
        pass


def recognise(wearer, calibrate_at_s=2):
    """Run the wearer through features, classifier and recogniser; every (t_s, routine, reps) found."""
    features = MotionFeatures(wearer.rate_hz)
    classifier = PostureClassifier(features, Log())
    routines = RoutineRecognizer(features)
    found = []
    gravity = array("i", (0, 0, 0))
    seconds = [0]

    def on_burst(burst):
        features.add(burst)
        while seconds[0] < features.seconds:
            t = seconds[0]
            if t == calibrate_at_s:
                classifier.begin_calibration(t, 3)
            seconds[0] += 1
            g = features.gravity_q14(gravity)
            # The generated sensor has "up" = (cos theta, 0, sin theta): the mounting would report theta.
            sagittal = round(math.degrees(math.atan2(g[2], g[0])) * 100)
            state = classifier.second(t + 1, g, sagittal)
            routine = routines.second(t + 1, state, sagittal, classifier.moving)
            if routine != vocab.ROUTINE_NONE:
                found.append((t + 1, routine, routines.reps))

    feed(wearer, on_burst)
    return found


def extension(w, reps, depth_deg=20.0):
    for _ in range(reps):
        w.move(1.5, depth_deg, drop_m=0.01).hold(1.0).move(1.5, 0.0, drop_m=-0.01).hold(0.8)
    return w


def pelvic_tilts(w, reps, back_deg=10.0, forward_deg=8.0):
    for _ in range(reps):
        w.move(1.2, back_deg).hold(3.0).move(1.8, -forward_deg).hold(3.0).move(1.0, 0.0).hold(0.6)
    return w


def test_back_extensions_are_counted():
    w = extension(Wearer().hold(10.0, 0.0), 8).hold(15.0)
    found = recognise(w)
    assert found and found[-1][1] == vocab.ROUTINE_EXTENSION, found
    assert abs(found[-1][2] - 8) <= 1, found


def test_a_set_followed_at_once_by_walking_away_still_counts():
    w = extension(Wearer().hold(10.0, 0.0), 7).walk(15.0).hold(5.0, 0.0)
    found = recognise(w)
    assert [f[1] for f in found] == [vocab.ROUTINE_EXTENSION], found
    assert abs(found[0][2] - 7) <= 1, found


def test_pelvic_tilts_are_told_from_extensions_and_counted():
    w = pelvic_tilts(Wearer().hold(10.0, 0.0), 6).hold(15.0)
    found = recognise(w)
    assert found and found[-1][1] == vocab.ROUTINE_PELVIC_TILTS, found
    assert abs(found[-1][2] - 6) <= 1, found


def test_standing_still_bending_and_walking_are_no_routine():
    w = Wearer().hold(20.0, 0.0)
    for _ in range(3):
        w.move(1.2, -45.0, drop_m=0.08).hold(2.0).move(1.2, 0.0, drop_m=-0.08).hold(3.0)
    w.walk(20.0).hold(15.0, 0.0)
    assert recognise(w) == []


def test_a_low_stretch_after_getting_up_is_the_hip_flexor_stretch():
    # Sit for a while, get up, kneel down (a drop of 35 cm), three 30 s holds tilted back 7 degrees with a
    # return to neutral between them, then up again.
    w = Wearer().hold(8.0, 0.0).sit_down(18.0).hold(60.0).stand_up().hold(8.0)
    w.move(2.5, 2.0, drop_m=0.35, lean_deg=15.0)
    for k in range(3):
        w.move(1.5, 7.0).hold(28.0)
        if k < 2:
            w.move(3.0, 1.0).hold(2.0)
    w.move(2.5, 0.0, drop_m=-0.35, lean_deg=15.0).hold(15.0)
    found = recognise(w)
    assert found and found[-1][1] == vocab.ROUTINE_HIP_FLEXOR_STRETCH, found
    assert abs(found[-1][2] - 3) <= 1, found


def test_sitting_back_down_slumped_is_no_stretch():
    w = Wearer().hold(8.0, 0.0).sit_down(18.0).hold(60.0).stand_up().hold(8.0)
    w.sit_down(22.0).hold(90.0).stand_up().hold(15.0)
    assert recognise(w) == []


def mpytest_a_second_of_the_recogniser_allocates_nothing():
    features = MotionFeatures(50)
    routines = RoutineRecognizer(features)
    w = extension(Wearer().hold(4.0, 0.0), 2)
    feed(w, features.add)
    routines.second(1, vocab.STATE_STANDING, 0, False)
    clock = [1]

    def one_second():
        features.seconds += 1
        clock[0] += 1
        routines.second(clock[0], vocab.STATE_STANDING, 500, False)

    used = heap_bytes_per_call(one_second, repeat=20)
    assert used == 0, "a second of routine work allocated %d bytes" % used
