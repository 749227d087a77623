"""Feed a burst file through the firmware's TiltFilter; runs unchanged under MicroPython and CPython.

Input (little-endian): b"LTB1", then u32 burst capacity, f32 accel_lsb_per_g, f32 gyro_lsb_per_dps,
f32 rate_hz; then per burst: u16 count, u32 microseconds since the previous burst's end, and count
samples of six int16 (ax, ay, az, gx, gy, gz) in chip counts. Output: per burst, four int32: the
filter's gravity_q14 and 1 if it rests, else 0.

    micropython tilt_run.py IN OUT
"""

import struct
import sys
from time import ticks_add

from lumbo_fw.burst import Burst
from lumbo_fw.tilt import TiltFilter

MAGIC = b"LTB1"
HEADER = "<4sIfff"
BURST_HEAD = "<HI"


def run(path_in, path_out):
    with open(path_in, "rb") as src, open(path_out, "wb") as dst:
        head = src.read(struct.calcsize(HEADER))
        magic, capacity, accel_lsb, gyro_lsb, rate_hz = struct.unpack(HEADER, head)
        if magic != MAGIC:
            raise ValueError(f"{path_in} is not a tilt burst file")
        burst = Burst(capacity)
        burst.set_scale(accel_lsb, gyro_lsb)
        filt = TiltFilter(rate_hz)
        samples = memoryview(burst.samples)
        t_us = 0
        bh = bytearray(struct.calcsize(BURST_HEAD))
        out = bytearray(16)
        g = filt.gravity_q14
        bursts = 0
        while True:
            if src.readinto(bh) != len(bh):
                break
            count, delta_us = struct.unpack(BURST_HEAD, bh)
            want = 12 * count
            got = src.readinto(samples[: 6 * count]) if count else 0
            if got != want:
                raise ValueError(f"{path_in} ends inside a burst")
            t_us = ticks_add(t_us, delta_us)
            burst.count = count
            burst.t_end_us = t_us
            filt.update(burst)
            struct.pack_into("<iiii", out, 0, g[0], g[1], g[2], 1 if filt.resting else 0)
            dst.write(out)
            bursts += 1
    return bursts


if __name__ == "__main__":
    print("bursts", run(sys.argv[1], sys.argv[2]))
