"""What the driver benchmarks share: recording an emulated chip's answers, playing them back to a fresh
driver, timing and heap measurement, and the reference decode (see driver.py)."""

import gc
import struct
import time
from array import array

import machine
import micropython


def load(*names):
    """The emulator's modules compile from source in the board-sized heap: compile them first, one at a
    time with a collection after each, then load the firmware."""
    for name in names:
        gc.collect()
        __import__(name)
    gc.collect()


READS = 20
PASSES = 5
STEP_MS = 500
STORE_BYTES = 8000
MAX_TRANSFERS = READS * 4 + 48


@micropython.viper
def _copy(dst, src, offset: int, n: int):
    d = ptr8(dst)  # noqa: F821  (a viper builtin)
    s = ptr8(src)  # noqa: F821
    i = 0
    while i < n:
        d[i] = s[offset + i]
        i += 1


class Motion:
    """A second of made-up motion, repeated: enough change that every count differs."""

    def __init__(self):
        self.rate_mhz = 50000
        self.count = 1 << 40
        self.table = array("i", bytes(4 * 6 * 50))
        for i in range(50):
            for j in range(6):
                self.table[6 * i + j] = ((i * 37 + j * 101) % 200 - 100) * (4000 if j < 3 else 2000)
        self.table[2] += 1000000

    def index_at(self, t_us):
        return (t_us * self.rate_mhz + 500000000) // 1000000000

    def get(self, index, out):
        base = 6 * (index % 50)
        for j in range(6):
            out[j] = self.table[base + j]


class Recording:
    """Every transfer of the reads (length, -1 or the byte written) and the bytes each read returned."""

    def __init__(self):
        self.store = bytearray(STORE_BYTES)
        self.lengths = array("h", bytes(2 * MAX_TRANSFERS))
        self.written = array("h", bytes(2 * MAX_TRANSFERS))
        self.offsets = array("h", bytes(2 * MAX_TRANSFERS))
        self.transfers = 0
        self.used = 0


class RecordingBus:
    def __init__(self, i2c, recording):
        self.i2c = i2c
        self.rec = recording
        self.on = False

    def scan(self):
        return self.i2c.scan()

    def readfrom_mem_into(self, address, register, buf, addrsize=8):
        self.i2c.readfrom_mem_into(address, register, buf)
        if self.on:
            rec = self.rec
            n = len(buf)
            k = rec.transfers
            rec.lengths[k] = n
            rec.written[k] = -1
            rec.offsets[k] = rec.used
            for i in range(n):
                rec.store[rec.used + i] = buf[i]
            rec.used += n
            rec.transfers += 1

    def writeto_mem(self, address, register, buf, addrsize=8):
        self.i2c.writeto_mem(address, register, buf)
        if self.on:
            rec = self.rec
            k = rec.transfers
            rec.lengths[k] = len(buf)
            rec.written[k] = buf[0]
            rec.offsets[k] = rec.used
            rec.transfers += 1


class PlaybackBus:
    """Answers each transfer with the recorded bytes, in order; allocates nothing."""

    def __init__(self, recording):
        self.rec = recording
        self.next = 0

    def readfrom_mem_into(self, address, register, buf, addrsize=8):
        rec = self.rec
        k = self.next
        self.next = k + 1
        _copy(buf, rec.store, rec.offsets[k], rec.lengths[k])

    def writeto_mem(self, address, register, buf, addrsize=8):
        self.next += 1


def record(chip_name):
    """Set a driver up on an emulated chip and let it read READS times, recording every transfer."""
    from chips import plug
    from chips.clock import ManualClock

    from lumbo_fw import imu as imu_pkg
    from lumbo_fw.board import board

    machine.detach_all()
    gc.collect()
    rec = Recording()
    clock = ManualClock()
    plug(chip_name, Motion(), clock)
    bus = RecordingBus(machine.I2C(0), rec)
    imu = imu_pkg.detect(bus, board(), clock, max_samples=32)
    bus.on = True  # from configure() on: the timed drivers are set up from the play-back too
    imu.configure()
    burst = imu_pkg.new_burst(imu)
    samples = 0
    for _ in range(READS):
        clock.advance_ms(STEP_MS)
        samples += imu.read(burst)
    assert samples > READS * 20 and imu.fault == 0, "the driver did not read as expected"
    machine.detach_all()
    return type(imu), imu.address, rec, samples


def replayed(cls, address, rec):
    """A driver of the same chip, set up from the recording; returns it, its clock, a burst, its bus."""
    from chips.clock import ManualClock

    from lumbo_fw import imu as imu_pkg

    clock = ManualClock()
    bus = PlaybackBus(rec)
    imu = cls(bus, address, clock, "+x+y+z", max_samples=32)
    imu.configure()
    return imu, clock, imu_pkg.new_burst(imu), bus


def heap_per_call(call, repeat):
    call()
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        for _ in range(repeat):
            call()
        after = gc.mem_alloc()
    finally:
        gc.enable()
    return (after - before) // repeat


def measure(cls, address, rec, samples):
    best_driver_us = 1 << 30
    best_playback_us = 1 << 30
    for _ in range(PASSES):
        gc.collect()
        imu, clock, burst, bus = replayed(cls, address, rec)
        first = bus.next
        total = 0
        t0 = time.ticks_us()
        for _ in range(READS):
            clock.advance_ms(STEP_MS)
            total += imu.read(burst)
        driver_us = time.ticks_diff(time.ticks_us(), t0)
        assert total == samples and bus.next == rec.transfers, "the play-back went out of step"
        # The play-back alone: the same transfers, no driver (its loop's own cost is counted as the
        # play-back's, so the driver's figure errs, if at all, on the low side by that loop).
        buf = bytearray(512)
        bus.next = first
        t0 = time.ticks_us()
        for k in range(first, rec.transfers):
            if rec.written[k] < 0:
                bus.readfrom_mem_into(0, 0, buf)
            else:
                bus.writeto_mem(0, 0, buf)
        playback_us = time.ticks_diff(time.ticks_us(), t0)
        best_driver_us = min(best_driver_us, driver_us)
        best_playback_us = min(best_playback_us, playback_us)

    imu, clock, burst, bus = replayed(cls, address, rec)

    def step():
        clock.advance_ms(STEP_MS)
        imu.read(burst)

    nbytes = heap_per_call(step, READS - 1)
    return (best_driver_us - best_playback_us) / samples, best_playback_us / samples, nbytes


def reference():
    """struct.unpack_from per sample, the usual small-driver decode, over 25 samples of FIFO bytes."""
    raw = bytearray(12 * 25)
    for i in range(len(raw)):
        raw[i] = (i * 53) & 0xFF
    out = []

    def decode():
        out.clear()
        for i in range(25):
            out.append(struct.unpack_from(">hhhhhh", raw, 12 * i))

    best = 1 << 30
    for _ in range(PASSES):
        t0 = time.ticks_us()
        for _ in range(READS):
            decode()
        best = min(best, time.ticks_diff(time.ticks_us(), t0))
    return best / (READS * 25), heap_per_call(decode, 4)


