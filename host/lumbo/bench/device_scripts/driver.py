"""Cost of reading the IMU's FIFO into a Burst: microseconds and heap bytes, the driver's own.

Runs under MicroPython (lumbo bench device). The chips are emulated at their registers, and the emulator
costs several times what the driver does, so it is kept out of the figure altogether:
  1. a driver is set up on an emulated chip and reads it every 500 ms of emulated time while every
     transfer and every byte the chip answered is recorded;
  2. the emulator is unloaded; a new driver is set up and timed while the bus it talks to plays those
     answers back (a viper copy per transfer), and its heap use per read is measured;
  3. the play-back alone, the same transfers without a driver, is timed and taken away.
The reference, in the same process, is the usual way small drivers decode a FIFO: struct.unpack_from per
sample into a new tuple, over the same number of samples.

Prints one JSON object as its last line: driver_us_per_sample and driver_bytes_per_burst (the worse of
the two decode paths: whole untagged samples, as the MPU-6050 and the LSM6DS3 family give them, and
tagged entries paired up, as the LSM6DSOX gives them), each path's figures, and the reference's.
"""

import gc
import json
import struct
import sys
import time
from array import array

import machine
import micropython

# The emulator's modules are compiled from source in the board-sized heap: compile them first, with a
# collection after each, then load the firmware.
for _name in ("chips", "chips.clock", "chips.regchip", "chips.invensense", "chips.st", "chips.st_dsox", "lumbo_fw.imu",
              "lumbo_fw.board", "lumbo_fw.imu.invensense", "lumbo_fw.imu.lsm6dsox"):
    gc.collect()
    __import__(_name)
gc.collect()

READS = 16
PASSES = 5
STEP_MS = 500
STORE_BYTES = 6400
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


def main():
    figures = {}
    worst_us = 0.0
    worst_bytes = 0
    sessions = []
    for chip_name, key in (("MPU-6050", "mpu6050"), ("LSM6DSOX", "lsm6dsox")):
        gc.collect()
        sessions.append((key, record(chip_name)))
    # The emulator has done its part: let its modules go, so the timed drivers have the heap.
    for name in ("chips.st_dsox", "chips.st", "chips.invensense", "chips.regchip", "chips"):
        sys.modules.pop(name, None)
    gc.collect()
    for key, session in sessions:
        us, playback_us, nbytes = measure(*session)
        figures["driver_" + key + "_us_per_sample"] = round(us, 3)
        figures["driver_" + key + "_playback_us_per_sample"] = round(playback_us, 3)
        figures["driver_" + key + "_bytes_per_burst"] = nbytes
        worst_us = max(worst_us, us)
        worst_bytes = max(worst_bytes, nbytes)
    ref_us, ref_bytes = reference()
    figures["driver_us_per_sample"] = round(worst_us, 3)
    figures["driver_bytes_per_burst"] = worst_bytes
    figures["driver_reference_us_per_sample"] = round(ref_us, 3)
    figures["driver_reference_bytes_per_burst"] = ref_bytes
    print(json.dumps(figures))


main()
