"""Helpers for the IMU driver tests: an emulated chip fed from a recording's frames, and checks of what the
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
        self.source = FrameSource.open(frames, 64) if isinstance(frames, str) else frames
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


# -- scenarios run for every chip ------------------------------------------------------------------------

FRAMES_SECONDS = 24


def still_then_moving(still_s, moved_mg, rate_hz=10):
    """A source lying flat and still for still_s, then tilted by moved_mg on x (ug / mdps frames)."""
    from array import array

    n = (still_s + 4) * rate_hz
    frames = array("i", bytes(4 * 6 * n))
    for i in range(n):
        frames[6 * i] = 0 if i < still_s * rate_hz else moved_mg * 1000
        frames[6 * i + 2] = 1000000
    return FrameSource(rate_hz * 1000, frames)


def round_trip(chip_name, frames_path, step_ms):
    """The whole recording comes back through the chip and driver within one count, in order."""
    rig = Rig(chip_name, frames_path)
    try:
        assert chip_name in rig.imu.NAME.split("/"), rig.imu.NAME
        check = StreamCheck(rig.source, rig.imu)
        rig.read_for(FRAMES_SECONDS * 1000, step_ms, check)
        expected = rig.source.count - check.offset
        assert check.count >= expected - 2, "read %d of %d samples" % (check.count, expected)
        assert rig.burst.overflows == 0 and rig.imu.fault == 0 and rig.imu.dropped == 0
    finally:
        rig.close()


def board_frame(chip_name, frames_path):
    axes_text = "-y+x+z"
    rig = Rig(chip_name, frames_path, axes_text)
    try:
        axes = imu_pkg.parse_axes(axes_text)
        check = StreamCheck(rig.source, rig.imu, axes)
        rig.read_for(3000, 200, check)
        assert check.count > 100
        # And the identity mapping does not fit this data: the check can tell the axes apart.
        plain = StreamCheck(rig.source, rig.imu, None, check.next_index, 1, 4)
        rig.clock.advance_ms(200)
        rig.imu.read(rig.burst)
        raised = False
        try:
            plain.add(rig.burst)
        except AssertionError:
            raised = True
        assert raised, "the unmapped axes should not match the source after remapping"
    finally:
        rig.close()


def clipping(chip_name):
    from array import array

    big = array("i", [5000000, -5000000, 1000000, 600000, -600000, 0] * 100)
    rig = Rig(chip_name, FrameSource(50000, big))
    try:
        rig.clock.advance_ms(500)
        n = rig.imu.read(rig.burst)
        assert n > 5
        s = rig.burst.samples
        assert s[0] == 32767 and s[1] == -32768 and s[3] == 32767 and s[4] == -32768, list(s[:6])
    finally:
        rig.close()


def transient_nack(chip_name, frames_path):
    rig = Rig(chip_name, frames_path)
    try:
        rig.clock.advance_ms(300)
        rig.chip.fail_transfers(2)
        n = rig.imu.read(rig.burst)
        assert n > 0, "two refused transfers are retried within one read"
        assert rig.imu.bus_errors == 2 and rig.imu.fault == imu_pkg.FAULT_NONE
        assert rig.imu.take_event() == 0
    finally:
        rig.close()


def lasting_fault(chip_name, frames_path, kind):
    """kind "nack" or "hang": reads return nothing, one fault event, the device keeps going; once the
    fault clears the driver sets the chip up again and samples flow, still matching the source."""
    from lumbo_shared.vocab import EVENT_SENSOR_FAULT

    rig = Rig(chip_name, frames_path)
    try:
        check = StreamCheck(rig.source, rig.imu)
        rig.read_for(1000, 250, check)
        if kind == "nack":
            rig.chip.fail_transfers()
        else:
            rig.chip.hang_bus()
        assert rig.read_for(10000, 250) == 0
        imu = rig.imu
        assert imu.fault == imu_pkg.FAULT_BUS
        assert imu.last_errno == (machine.ENODEV if kind == "nack" else machine.ETIMEDOUT)
        assert imu.faults == 1 and imu.take_event() == EVENT_SENSOR_FAULT and imu.take_event() == 0
        transfers_while_down = rig.chip.transfers
        rig.chip.clear_faults()
        check = StreamCheck(rig.source, imu, None, check.next_index, 1200)
        got = rig.read_for(8000, 250, check)
        assert got > 100 and imu.fault == imu_pkg.FAULT_NONE and imu.recoveries == 1
        assert imu.faults == 1 and imu.take_event() == 0
        assert rig.chip.resets >= 1 and rig.chip.transfers > transfers_while_down
    finally:
        rig.close()


def back_off(chip_name, frames_path):
    """While the bus is down the driver tries again less and less often (0.1 s doubling to 5 s)."""
    rig = Rig(chip_name, frames_path)
    try:
        rig.chip.fail_transfers()
        before = rig.chip.transfers
        rig.read_for(60000, 100)
        attempts = rig.chip.transfers - before
        # 600 reads; with back-off about 20 set-up attempts of 3 tries each, not 600 x 3.
        assert attempts < 150, attempts
        assert rig.imu.faults == 1
    finally:
        rig.close()


def spontaneous_reset(chip_name, frames_path):
    from lumbo_shared.vocab import EVENT_SENSOR_FAULT

    rig = Rig(chip_name, frames_path)
    try:
        check = StreamCheck(rig.source, rig.imu)
        rig.read_for(2000, 200, check)
        rig.chip.reset_spontaneously()
        rig.read_for(1000, 100)
        imu = rig.imu
        assert imu.faults == 1 and imu.take_event() == EVENT_SENSOR_FAULT
        assert imu.recoveries == 1 and imu.fault == imu_pkg.FAULT_NONE
        check = StreamCheck(rig.source, imu, None, check.next_index, 400)
        assert rig.read_for(3000, 200, check) > 100
    finally:
        rig.close()


def identity_lost(chip_name, frames_path, right_id):
    """The chip resets and then answers with another identity: a fault that lasts until it is right."""
    rig = Rig(chip_name, frames_path)
    try:
        rig.read_for(1000, 200)
        rig.chip.set_identity(0x12)
        rig.chip.reset_spontaneously()
        assert rig.read_for(3000, 100) == 0
        assert rig.imu.fault == imu_pkg.FAULT_IDENTITY and rig.imu.faults == 1
        rig.chip.set_identity(right_id)
        assert rig.read_for(6000, 200) > 100 and rig.imu.fault == imu_pkg.FAULT_NONE
    finally:
        rig.close()


def wrong_identity_at_start(chip_name, frames_path, address, register):
    rig = Rig(chip_name, frames_path, who_am_i=0x98, start=False)
    try:
        err = _raises_imu_error(lambda: imu_pkg.detect(rig.i2c, PINS, rig.clock))
        text = str(err)
        want = "0x%02x answered WHO_AM_I (0x%02x) with 0x98" % (address, register)
        assert want in text and "SDA GPIO%d" % PINS["sda_pin"] in text and "check the wiring" in text.lower(), text
    finally:
        rig.close()


def overflow(chip_name, frames_path, gap_ms):
    """Not read for gap_ms: the overflow is counted once and what follows is whole, aligned samples."""
    rig = Rig(chip_name, frames_path)
    try:
        check = StreamCheck(rig.source, rig.imu)
        rig.read_for(2000, 200, check)
        rig.clock.advance_ms(gap_ms)
        rig.imu.read(rig.burst)
        assert rig.burst.overflows == 1 and rig.imu.overflows == 1 and rig.chip.overflows >= 1
        # Samples resume whole and aligned; some were lost to the overflow, never shifted.
        after = StreamCheck(rig.source, rig.imu, None, check.next_index + 1, 1200)
        after.add(rig.burst)
        got = rig.read_for(4000, 200, after)
        assert got > 150 and after.offset > check.next_index
        assert rig.burst.overflows == 1 and rig.imu.fault == imu_pkg.FAULT_NONE
        return rig.imu.dropped
    finally:
        rig.close()


def temperature(chip_name, frames_path, counts_per_c):
    rig = Rig(chip_name, frames_path)
    try:
        for cdeg in (3125, 1890):
            rig.chip.temperature_cdeg = cdeg
            rig.read_for(1200, 200)
            # The chip rounds to one count; the driver to a centidegree.
            tolerance = 100 // counts_per_c + 1
            assert abs(rig.imu.temp_cdeg - cdeg) <= tolerance, (rig.imu.temp_cdeg, cdeg)
    finally:
        rig.close()


def wake_on_motion(chip_name, threshold_mg, moved_mg, cycle_mode):
    """Still: no wake. A tilt above the threshold raises the INT pin and the motion flag; a smaller one
    does not. resume() measures again."""
    rig = Rig(chip_name, still_then_moving(5, moved_mg))
    try:
        pin = machine.Pin(INT_PIN, machine.Pin.IN)
        rig.clock.advance_ms(200)
        rig.imu.enable_wake_on_motion(threshold_mg)
        assert rig.chip.mode == cycle_mode and rig.imu.mode == imu_pkg.MODE_WAKE_ON_MOTION
        rig.clock.advance_ms(4000)
        rig.chip.poll()
        assert pin.value() == 0 and not rig.imu.motion_pending()
        rig.clock.advance_ms(2000)
        rig.chip.poll()
        woke = pin.value() == rig.imu.wake_level
        assert woke == (moved_mg > threshold_mg), (moved_mg, threshold_mg, pin.value())
        assert rig.imu.motion_pending() == woke
        rig.imu.resume()
        assert rig.imu.mode == imu_pkg.MODE_MEASURE and rig.read_for(1000, 200) > 40
    finally:
        rig.close()


def _raises_imu_error(func):
    try:
        func()
    except imu_pkg.ImuError as exc:
        return exc
    raise AssertionError("expected ImuError")


def reads_allocate_nothing(chip_name, frames_path):
    from devtest import heap_bytes_per_call

    rig = Rig(chip_name, frames_path)
    try:
        clock = rig.clock
        imu = rig.imu
        burst = rig.burst

        def step():
            clock.advance_ms(200)
            imu.read(burst)

        step()
        used = heap_bytes_per_call(step, 100)
        assert used == 0, "a read allocated %d bytes" % used
        assert burst.count > 0
    finally:
        rig.close()
