"""Scenarios the IMU driver tests of every chip family run: the recording's round trip, axes, clipping,
FIFO overflow, temperature, wake-on-motion and allocation."""

import machine
from imutest import INT_PIN, Rig, StreamCheck

from lumbo_fw import imu as imu_pkg

FRAMES_SECONDS = 24


class Steady:
    """A source that always reads the same frame (ug, mdps), with an optional step to another at step_s."""

    def __init__(self, frame, step_s=None, stepped=None):
        self.rate_mhz = 50000
        self.count = 1 << 40
        self.frame = frame
        self.step = None if step_s is None else step_s * 50
        self.stepped = stepped

    def index_at(self, t_us):
        return (t_us * self.rate_mhz + 500000000) // 1000000000

    def get(self, index, out):
        frame = self.stepped if self.step is not None and index >= self.step else self.frame
        for j in range(6):
            out[j] = frame[j]

    def close(self):
        pass


def still_then_moving(still_s, moved_mg):
    """Lying flat and still for still_s, then tilted by moved_mg on x."""
    return Steady((0, 0, 1000000, 0, 0, 0), still_s, (moved_mg * 1000, 0, 1000000, 0, 0, 0))


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
    rig = Rig(chip_name, Steady((5000000, -5000000, 1000000, 600000, -600000, 0)))
    try:
        rig.clock.advance_ms(500)
        n = rig.imu.read(rig.burst)
        assert n > 5
        s = rig.burst.samples
        assert s[0] == 32767 and s[1] == -32768 and s[3] == 32767 and s[4] == -32768, list(s[:6])
    finally:
        rig.close()


def overflow(chip_name, frames_path, gap_ms):
    """Not read for gap_ms: the overflow is counted once and what follows is whole, aligned samples.
    Returns the driver's dropped count and the FIFO pattern position found after the gap (DS3 family)."""
    rig = Rig(chip_name, frames_path)
    try:
        check = StreamCheck(rig.source, rig.imu)
        rig.read_for(2000, 200, check)
        rig.clock.advance_ms(gap_ms)
        rig.chip.poll()
        pattern = getattr(rig.chip, "fifo_pattern", None)
        rig.imu.read(rig.burst)
        assert rig.burst.overflows == 1 and rig.imu.overflows == 1 and rig.chip.overflows >= 1
        # Samples resume whole and aligned; some were lost to the overflow, never shifted.
        after = StreamCheck(rig.source, rig.imu, None, check.next_index + 1, 1200)
        after.add(rig.burst)
        got = rig.read_for(4000, 200, after)
        assert got > 150 and after.offset > check.next_index
        assert rig.burst.overflows == 1 and rig.imu.fault == imu_pkg.FAULT_NONE
        return rig.imu.dropped, pattern
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
