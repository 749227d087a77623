"""Cost of the posture path per second of wear, under MicroPython: features (per sample), classifier,
routine recogniser, bout timer and minute summary (per second). Prints one JSON object as its last line.

    posture_us_per_second             time for one second of 50 Hz data through the whole path
    posture_bytes_per_second          heap allocated per second of data (0: nothing for the GC to do)
    posture_reference_us_per_second   reference in the same run: reading every sample of the same bursts
                                      once and summing it (the least any per-sample code can cost)

The data: a 30 s cycle generated here (standing with sway, sitting down, seated, standing up, walking),
in bursts of 10 samples as the driver hands them over, replayed with advancing timestamps: once untimed
(the first burst sets the scales, the rings fill), then four times timed. The tilt filter is timed by its own benchmark.
"""

import gc
import json
import math
import time
from array import array

from lumbo_fw.bouts import BoutTimer
from lumbo_fw.burst import Burst
from lumbo_fw.features import MotionFeatures
from lumbo_fw.posture import PostureClassifier
from lumbo_fw.routines import RoutineRecognizer
from lumbo_fw.summary import MinuteSummary

RATE_HZ = 50
BURST = 10
CYCLE_S = 30  # generated once and replayed: the heap of a board holds no more
CYCLES = 4
ACCEL_LSB_PER_G = 4096
GYRO_LSB_PER_DPS = 16.4


class NullSink:
    def event(self, t_s, kind, a, b):
        pass

    def minute(self, t_s, seconds_per_state, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions):
        pass


def pose(t):
    """(tilt degrees, tilt rate dps, vertical acceleration g) of a wearer at time t."""
    w = 2 * math.pi * 1.8
    phase = t % CYCLE_S
    if phase < 8:
        return 0.3 * math.sin(t), 0.3 * math.cos(t), 0.0
    if phase < 10:
        s = (phase - 8) / 2
        return 15 * s, 7.5, -0.2 * math.sin(2 * math.pi * s)
    if phase < 22:
        return 15 + 0.5 * math.sin(t), 0.5 * math.cos(t), 0.0
    if phase < 24:
        s = (phase - 22) / 2
        return 15 - 15 * s, -7.5, 0.2 * math.sin(2 * math.pi * s)
    return 3 + 2 * math.sin(w * t), 2 * w * math.cos(w * t), 0.25 * math.sin(w * t)


def make_views():
    """The cycle's samples in one array, and a view of each burst's share of it."""
    n = CYCLE_S * RATE_HZ
    big = array("h", bytes(12 * n))
    for k in range(n):
        theta, rate, acc = pose(k / RATE_HZ)
        r = math.radians(theta)
        j = 6 * k
        big[j] = int((1 + acc) * math.cos(r) * ACCEL_LSB_PER_G)
        big[j + 2] = int((1 + acc) * math.sin(r) * ACCEL_LSB_PER_G)
        big[j + 4] = int(rate * GYRO_LSB_PER_DPS)
        if k % 200 == 0:
            gc.collect()
    whole = memoryview(big)
    return [whole[6 * k: 6 * (k + BURST)] for k in range(0, n, BURST)]


def run_posture(views):
    """Time CYCLES replays after one untimed one (which sets the scales and fills the rings)."""
    sink = NullSink()
    features = MotionFeatures(RATE_HZ)
    classifier = PostureClassifier(features, sink)
    routines = RoutineRecognizer(features)
    bouts = BoutTimer(sink)
    summary = MinuteSummary(sink)
    gravity = array("i", (0, 0, 0))
    burst = Burst(1)
    burst.set_scale(ACCEL_LSB_PER_G, GYRO_LSB_PER_DPS)
    burst.count = BURST
    period_us = 1000000 // RATE_HZ
    done = 0
    t_us = 0
    elapsed = 0
    used = 0
    for cycle in range(CYCLES + 1):
        gc.collect()
        gc.disable()
        heap0 = gc.mem_alloc()
        t0 = time.ticks_us()
        for view in views:
            t_us += BURST * period_us
            burst.samples = view
            burst.t_end_us = t_us
            features.add(burst)
            while done < features.seconds:
                done += 1
                g = features.gravity_q14(gravity)
                state = classifier.second(done, g, 0)
                routine = routines.second(done, state, 0, classifier.moving)
                bouts.second(done, state, classifier.since_s, routine, routines.reps)
                summary.second(done, state, 0)
        if cycle > 0:
            elapsed += time.ticks_diff(time.ticks_us(), t0)
            used += gc.mem_alloc() - heap0
        gc.enable()
    return elapsed, used, CYCLES * CYCLE_S


def run_reference(views):
    total = 0
    t0 = time.ticks_us()
    for _ in range(CYCLES):
        for s in views:
            for k in range(6 * BURST):
                total += s[k]
    return time.ticks_diff(time.ticks_us(), t0), total


def main():
    views = make_views()
    best_us = None
    bytes_per_s = 0
    seconds = 1
    for _ in range(3):
        elapsed, used, seconds = run_posture(views)
        if best_us is None or elapsed < best_us:
            best_us = elapsed
            bytes_per_s = used / seconds
    ref_us = None
    for _ in range(3):
        elapsed, _ = run_reference(views)
        if ref_us is None or elapsed < ref_us:
            ref_us = elapsed
    print(json.dumps({
        "posture_us_per_second": best_us / seconds,
        "posture_bytes_per_second": bytes_per_s,
        "posture_reference_us_per_second": ref_us / seconds,
    }))


main()
