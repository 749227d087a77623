"""Shared code for the IMU driver tests: an emulated chip fed from a recording's frames, and checks of what the
driver hands on against what the chip was fed. They run under MicroPython and CPython alike."""

import gc

import machine
from chips import plug
from chips.clock import ManualClock
from chips.frames import FrameSource

from lumbo_fw import imu as imu_pkg
from lumbo_fw.board import board

# tests/data, found from this file's own path (absolute under both interpreters' test runners).
DATA = __file__.rsplit("/", 2)[0] + "/data/"
# 24 s of UCI HAPT exp01 (walking, 138-162 s of the excerpt), written by lumbo.emu.imu_frames from
# tests/data/hapt-exp01_user01-excerpt.csv.gz: at the recording's 50 Hz and resampled to 52 Hz.
FRAMES_50HZ = DATA + "hapt-exp01-138-162s-50hz.frames"
FRAMES_52HZ = DATA + "hapt-exp01-138-162s-52hz.frames"
INT_PIN = 4
PINS = board()


def fresh():
    machine.detach_all()
    gc.collect()


class Rig:
    """One emulated chip on bus 0 and its driver, on a manual clock."""

    def __init__(self, chip_name, frames, axes="+x+y+z", who_am_i=None, max_samples=32, start=True):
        """frames: a frames file's path, or a FrameSource."""
        fresh()
        self.clock = ManualClock()
        self.source = FrameSource.open(frames, 32) if isinstance(frames, str) else frames
        self.chip = plug(chip_name, self.source, self.clock, 0, None, INT_PIN)
        if who_am_i is not None:
            self.chip.set_identity(who_am_i)
        self.i2c = machine.I2C(0)
        self.imu = None
        self.burst = None
        if start:
            self.imu = imu_pkg.detect(self.i2c, PINS, self.clock, axes, max_samples=max_samples)
            self.imu.configure()
            self.burst = imu_pkg.new_burst(self.imu)

    def close(self):
        self.source.close()
        fresh()

    def read_for(self, total_ms, step_ms, check=None):
        """Read every step_ms for total_ms; hand each burst to check (a StreamCheck); return the count."""
        waited = 0
        total = 0
        while waited < total_ms:
            self.clock.advance_ms(step_ms)
            waited += step_ms
            n = self.imu.read(self.burst)
            total += n
            if check is not None:
                check.add(self.burst)
        return total


def frame(source, index):
    values = [0, 0, 0, 0, 0, 0]
    buf = [0, 0, 0, 0, 0, 0]
    source.get(index, buf)
    for j in range(6):
        values[j] = buf[j]
    return values


def within_one_count(sample, values, accel_lsb_per_g, gyro_lsb_per_dps, axes=None):
    """Each of the driver's counts is within one count of the frame's value (ug, mdps) in the board's
    frame; axes (from lumbo_fw.imu.parse_axes) maps chip axes to board axes."""
    for j in range(6):
        if axes is None:
            chip_axis, negate = j % 3, False
        else:
            chip_axis, negate = axes[j % 3]
        value = values[(j // 3) * 3 + chip_axis]
        if negate:
            value = 0 - value
        expected = value * accel_lsb_per_g / 1e6 if j < 3 else value * gyro_lsb_per_dps / 1e3
        if expected > 32767:
            expected = 32767
        if expected < -32768:
            expected = -32768
        if abs(sample[j] - expected) > 1.0:
            return False
    return True


class StreamCheck:
    """Checks, sample by sample as bursts arrive, that the driver hands on the source's frames in order,
    each within one count on every axis: the first few samples fix which frame the chip started at (the
    one offset that fits them), and from there every sample must be the next frame."""

    def __init__(self, source, imu, axes=None, search_from=0, search=400, first=8):
        self.source = source
        self.imu = imu
        self.axes = axes
        self.search_from = search_from
        self.search = search
        self.first = first
        self.pending = []
        self.offset = None
        self.count = 0

    def add(self, burst):
        samples = burst.samples
        for i in range(burst.count):
            sample = [samples[6 * i + j] for j in range(6)]
            if self.offset is None:
                self.pending.append(sample)
                if len(self.pending) == self.first:
                    self._align()
            else:
                self._check(sample)

    def _fits(self, sample, index):
        return within_one_count(sample, frame(self.source, index), self.imu.accel_lsb_per_g,
                                self.imu.gyro_lsb_per_dps, self.axes)

    def _align(self):
        found = []
        for offset in range(self.search_from, self.search_from + self.search):
            ok = True
            for k in range(len(self.pending)):
                if not self._fits(self.pending[k], offset + k):
                    ok = False
                    break
            if ok:
                found.append(offset)
        assert len(found) == 1, "expected one alignment of the first samples with the source, found %r" % (found,)
        self.offset = found[0]
        self.count = len(self.pending)
        self.pending = []

    def _check(self, sample):
        index = self.offset + self.count
        assert self._fits(sample, index), (
            "sample %d differs from source frame %d by more than one count: %r vs %r"
            % (self.count, index, sample, frame(self.source, index))
        )
        self.count += 1

    @property
    def next_index(self):
        return self.offset + self.count
