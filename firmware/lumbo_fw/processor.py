"""From IMU bursts to postures, bouts, prompts and minute summaries: the firmware's processing chain.

Per burst (allocation-free): the motion windows (stillness, for the gyro bias and the not-worn check), the
gyro bias taken off, the tilt filter and the motion features. Once a second of samples: the mounting turns
gravity into pelvic tilt, then the posture classifier, the routine recognizer, the bout timer and the
minute summary run, in that order, writing their records to `sink` (a records.RecordQueue).

Time. Every part counts device seconds `t_s` from the start of this run: one per second of samples, and one
per second the board slept or the sensor gave nothing (`idle_seconds`), so bouts and minutes run on while
the device is off the body. The sink turns them into Unix time.
"""

from array import array

from micropython import const

from lumbo_fw.bouts import BoutSettings, BoutTimer
from lumbo_fw.features import MotionFeatures
from lumbo_fw.imu.bias import GyroBias
from lumbo_fw.imu.motion import MotionWindow, thresholds_for
from lumbo_fw.mounting import Mounting
from lumbo_fw.posture import REF_CALIBRATED, PostureClassifier
from lumbo_fw.routines import RoutineRecognizer
from lumbo_fw.summary import NO_TILT, MinuteSummary
from lumbo_fw.tilt import TiltFilter
from lumbo_shared import vocab

# The calibration stance the host asks for: stand tall and still this long.
CALIBRATION_S = const(5)


class Processor:
    def __init__(self, imu, sink, settings_values, mounting=None):
        """imu: a configured driver (its rate and noise set the filters); sink: where records go;
        settings_values: the wearer's settings (lumbo_shared.settings names)."""
        rate_hz = imu.rate_hz
        self.sink = sink
        self.motion = MotionWindow(rate_hz, *thresholds_for(imu))
        self.bias = GyroBias(self.motion, imu.gyro_lsb_per_dps)
        self.tilt = TiltFilter(rate_hz)
        self.features = MotionFeatures(rate_hz)
        self.mounting = mounting if mounting is not None else Mounting()
        self.classifier = PostureClassifier(self.features, sink, settings_values["not_worn_after_s"],
                                            self.mounting)
        self.routines = RoutineRecognizer(self.features)
        self.bouts = BoutTimer(sink, BoutSettings(settings_values))
        self.summary = MinuteSummary(sink)
        self._imu = imu
        self._tilt_cdeg = array("i", (0, 0, 0))
        self._seconds_done = 0  # feature seconds already run through the per-second chain
        self.t_s = 0  # device seconds of this run
        self.state = vocab.STATE_UNKNOWN
        self.sagittal_cdeg = NO_TILT
        self.snoozed_until_s = -1
        self.on_second = None  # callable(t_s) after each second's chain
        self.raw_out = None  # callable(burst) that takes the chip's counts before anything changes them

    # -- per burst ----------------------------------------------------------------------------------------

    def burst(self, burst):
        """Run one burst through the chain; return how many whole seconds it completed."""
        if burst.count <= 0:
            return 0
        if self.raw_out is not None:
            self.raw_out(burst)
        self.motion.update(burst)
        self.bias.update(self._imu.temp_cdeg)
        self.bias.apply(burst)
        self.tilt.update(burst)
        self.features.add(burst)
        done = 0
        while self._seconds_done < self.features.seconds:
            self._seconds_done += 1
            self.t_s += 1
            self._second()
            done += 1
        return done

    def _second(self):
        t_s = self.t_s
        gravity = self.tilt.gravity_q14
        tilt = self._tilt_cdeg
        self.mounting.tilt(gravity, tilt)
        sagittal = tilt[0]
        state = self.classifier.second(t_s, gravity, sagittal)
        routine = self.routines.second(t_s, state, sagittal, self.classifier.moving)
        self.bouts.second(t_s, state, self.classifier.since_s, routine, self.routines.reps)
        self.summary.second(t_s, state, sagittal)
        self.state = state
        self.sagittal_cdeg = sagittal
        if self.on_second is not None:
            self.on_second(t_s)

    def idle_seconds(self, count, state=vocab.STATE_NOT_WORN):
        """`count` seconds without samples: off the body and asleep (NOT_WORN), or a silent sensor
        (UNKNOWN). The bout timer and the minute summary run on; the posture code waits for samples."""
        for _ in range(count):
            self.t_s += 1
            t_s = self.t_s
            since = self.classifier.since_s if state == self.state else t_s - 1
            self.bouts.second(t_s, state, since)
            self.summary.second(t_s, state, NO_TILT)
            self.state = state
            self.sagittal_cdeg = NO_TILT
            if self.on_second is not None:
                self.on_second(t_s)

    # -- what the host asks for ---------------------------------------------------------------------------

    def calibrate(self):
        self.classifier.begin_calibration(self.t_s, CALIBRATION_S)

    def snooze(self, duration_s):
        self.bouts.snooze(self.t_s, duration_s)
        self.snoozed_until_s = self.t_s + (duration_s or self.bouts.settings.snooze_s)

    def set_local_offset(self, local_offset_s):
        """Local time of day = (t_s + local_offset_s) mod 24 h, for the quiet hours."""
        self.bouts.set_clock(local_offset_s)

    def apply_settings(self, values):
        """New settings from the host (already validated by the settings store)."""
        self.bouts.settings.apply(values)
        self.classifier.not_worn_after_s = values["not_worn_after_s"]

    # -- status -------------------------------------------------------------------------------------------

    def bout_s(self):
        return self.bouts.bout_s(self.t_s)

    def prompt_active(self):
        """A prompt was raised in the bout that still goes on."""
        return self.bouts.in_bout and self.bouts.prompts > 0

    def snoozed(self):
        return self.snoozed_until_s > self.t_s

    def calibrated(self):
        return self.classifier.reference_kind == REF_CALIBRATED
