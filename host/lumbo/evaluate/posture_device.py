"""Runs the firmware's posture code over a recording: under MicroPython (as a script) or CPython (imported).

    micropython posture_device.py INPUT.bin

INPUT is what lumbo.evaluate.posture writes: a header, then bursts as the IMU driver hands them over
(little-endian):

    b"LPI1", rate_mhz u32, accel_lsb_per_g u32, gyro_lsb_per_cdps u32, cal_start_s i32, cal_len_s i32,
    gravity u32 (GRAVITY_FILTER: the tilt filter's; GRAVITY_MEAN: the features' mean accelerometer)
    per burst: t_end_us u32 (ticks, modulo 2**30), count u16, 0 u16, then count x 6 int16 (ax..gz counts)

It prints one line per record, tab-separated:

    C  t_s  state                        the posture from this second on (only when it changes)
    E  t_s  kind  a  b                   an event (vocab.EVENT_*)
    M  t_s  s0 s1 s2 s3 s4 s5  mean min max  transitions     a minute summary
    T  t_s  incl_cdeg                    inclination from the upright, once a second
    END seconds

The same wiring runs on the board (main.py); only the source of the bursts differs.
"""

import struct
import sys
from array import array

from lumbo_fw.bouts import BoutTimer
from lumbo_fw.burst import Burst
from lumbo_fw.features import MotionFeatures
from lumbo_fw.mounting import Mounting
from lumbo_fw.posture import PostureClassifier
from lumbo_fw.routines import RoutineRecognizer
from lumbo_fw.summary import MinuteSummary
from lumbo_fw.tilt import TiltFilter

_HEADER = "<4sIIIiiI"
_HEADER_SIZE = 28
GRAVITY_FILTER = 0
GRAVITY_MEAN = 1
_BURST_HEADER = "<IHH"
_MAX_BURST = 512


class _Printer:
    def __init__(self, out):
        self.out = out

    def event(self, t_s, kind, a, b):
        self.out.write(f"E\t{t_s}\t{kind}\t{a}\t{b}\n")

    def minute(self, t_s, seconds_per_state, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions):
        s = seconds_per_state
        self.out.write(f"M\t{t_s}\t{s[0]}\t{s[1]}\t{s[2]}\t{s[3]}\t{s[4]}\t{s[5]}\t"
                       f"{tilt_mean_cdeg}\t{tilt_min_cdeg}\t{tilt_max_cdeg}\t{transitions}\n")


def run(stream, out):
    head = stream.read(_HEADER_SIZE)
    if len(head) != _HEADER_SIZE:
        raise ValueError("input ends inside its header")
    magic, rate_mhz, accel_lsb, gyro_lsb_cdps, cal_start_s, cal_len_s, gravity_from = struct.unpack(_HEADER, head)
    if magic != b"LPI1":
        raise ValueError(f"input is not a lumbo posture run (magic {magic!r})")
    rate_hz = (rate_mhz + 500) // 1000
    burst = Burst(_MAX_BURST)
    burst.set_scale(accel_lsb, gyro_lsb_cdps / 100)
    features = MotionFeatures(rate_hz)
    tilt = TiltFilter(rate_hz)
    use_filter = gravity_from == GRAVITY_FILTER
    printer = _Printer(out)
    mounting = Mounting()
    classifier = PostureClassifier(features, printer, mounting=mounting)
    tilt_cdeg = array("i", (0, 0, 0))
    routines = RoutineRecognizer(features)
    bouts = BoutTimer(printer)
    summary = MinuteSummary(printer)
    gravity = [0, 0, 0]
    gravity = array("i", (0, 0, 0))
    view = memoryview(burst.samples)
    state = -1
    seconds = 0
    while True:
        bh = stream.read(8)
        if not bh:
            break
        if len(bh) != 8:
            raise ValueError("input ends inside a burst header")
        t_end_us, count, _ = struct.unpack(_BURST_HEADER, bh)
        if count > _MAX_BURST:
            raise ValueError(f"a burst of {count} samples is more than {_MAX_BURST}")
        want = 12 * count
        got = stream.readinto(view[: 6 * count])
        if got != want:
            raise ValueError("input ends inside a burst")
        burst.count = count
        burst.t_end_us = t_end_us
        tilt.update(burst)
        features.add(burst)
        while seconds < features.seconds:
            seconds += 1
            if cal_len_s > 0 and seconds - 1 == cal_start_s:
                classifier.begin_calibration(seconds - 1, cal_len_s)
            if use_filter:
                g = tilt.gravity_q14
            else:
                g = features.gravity_q14(gravity)
            mounting.tilt(g, tilt_cdeg)
            new = classifier.second(seconds, g, tilt_cdeg[0])
            routine = routines.second(seconds, new, tilt_cdeg[0], classifier.moving)
            bouts.second(seconds, new, classifier.since_s, routine, routines.reps)
            summary.second(seconds, new, tilt_cdeg[0])
            if new != state:
                out.write(f"C\t{seconds - 1}\t{new}\n")
                state = new
            out.write(f"T\t{seconds - 1}\t{classifier.incl_cdeg}\n")
    summary.flush()
    out.write(f"END\t{seconds}\n")


def main(argv):
    if len(argv) != 2:
        print("usage: posture_device.py INPUT.bin")
        return 2
    with open(argv[1], "rb") as stream:
        run(stream, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
