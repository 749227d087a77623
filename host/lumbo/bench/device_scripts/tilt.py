"""Cost of the tilt filter per sample under MicroPython, beside its plain-float reference in the same run.

A sensor that turns and is shaken (so every branch of the filter runs) is packed into bursts of int16
counts once; then the fixed-point TiltFilter and the float TiltReference each filter the same bursts.
Heap bytes are measured with gc.mem_alloc() with the collector off; time with ticks_us().
"""

import gc
import json
import math
from array import array
from time import ticks_add, ticks_diff, ticks_us

from _tilt_reference import TiltReference

from lumbo_fw.burst import Burst
from lumbo_fw.tilt import TiltFilter

# MicroPython on an ESP32 at 240 MHz runs about 100x slower than on a desktop x86-64 core; the figure
# and its source are in lumbo.bench.device (ESP32_SLOWDOWN), which a test keeps equal to this one.
ESP32_SLOWDOWN = 100.0
RATE_HZ = 50
BURST = 25  # a FIFO read every half second
BURSTS = 16
ACCEL_LSB_PER_G = 4096.0
GYRO_LSB_PER_DPS = 16.4
REPEATS = 5


def make_bursts():
    """BURSTS bursts of a sensor rocking +-30 deg about x at 0.5 Hz and shaken at 2 Hz, still at the end."""
    data = []
    dt = 1.0 / RATE_HZ
    n = 0
    for _ in range(BURSTS):
        samples = array("h", bytes(12 * BURST))
        for j in range(BURST):
            t = n * dt
            moving = n < (BURSTS - 4) * BURST
            amp = 0.5236 if moving else 0.0
            angle = amp * math.sin(math.pi * t)
            rate_dps = math.degrees(amp * math.pi * math.cos(math.pi * t))
            shake = 0.2 * math.sin(4.0 * math.pi * t) if moving else 0.0
            ay = math.sin(angle)
            az = math.cos(angle)
            values = (shake, ay, az + shake, rate_dps + 0.7, -0.4, 0.3)
            for i in range(3):
                samples[6 * j + i] = int(values[i] * ACCEL_LSB_PER_G)
                samples[6 * j + 3 + i] = int(values[3 + i] * GYRO_LSB_PER_DPS)
            n += 1
        data.append(samples)
    return data


def load(burst, samples, t_us):
    burst.samples[:] = samples
    burst.count = BURST
    burst.t_end_us = t_us


def heap_per_update(filt, burst, count):
    """Heap bytes of one filt.update of `count` samples, with the collector off."""
    burst.count = count
    burst.t_end_us = ticks_add(burst.t_end_us, count * 1000000 // RATE_HZ)
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    filt.update(burst)
    used = gc.mem_alloc() - before
    gc.enable()
    return used


def measure(filt, data, rounds):
    """(microseconds per sample, heap bytes per sample) of filt.update.

    Time: `rounds` passes over the data. Heap: one burst of 8 samples minus one of 4, over 4, which is
    the cost of a sample without the per-burst part (a float filter fills a 112 KB heap within a burst
    or two with the collector off, so long runs cannot be measured that way).
    """
    burst = Burst(BURST)
    burst.set_scale(ACCEL_LSB_PER_G, GYRO_LSB_PER_DPS)
    step_us = BURST * 1000000 // RATE_HZ
    t = 0
    load(burst, data[0], t)
    filt.update(burst)  # first call: derives coefficients
    heap_small = heap_per_update(filt, burst, 4)
    heap_large = heap_per_update(filt, burst, 8)
    t = burst.t_end_us
    best_us = None
    for _ in range(REPEATS):  # the best of several runs: other load on the machine only adds time
        start = ticks_us()
        for _ in range(rounds):
            for samples in data:
                t = ticks_add(t, step_us)
                load(burst, samples, t)
                filt.update(burst)
        total_us = ticks_diff(ticks_us(), start)
        if best_us is None or total_us < best_us:
            best_us = total_us
    start = ticks_us()
    for _ in range(rounds):
        for samples in data:
            t = ticks_add(t, step_us)
            load(burst, samples, t)
    copy_us = ticks_diff(ticks_us(), start)
    n = rounds * len(data) * BURST
    return (best_us - copy_us) / n, (heap_large - heap_small) / 4, heap_small


def main():
    data = make_bursts()
    tilt_us, tilt_bytes, tilt_burst_bytes = measure(TiltFilter(RATE_HZ), data, 20)
    ref_us, ref_bytes, _ = measure(TiltReference(RATE_HZ), data, 1)
    print(json.dumps({
        "tilt_us_per_sample": round(tilt_us, 3),
        "tilt_bytes_per_sample": tilt_bytes,
        "tilt_bytes_per_burst": tilt_burst_bytes,
        "reference_us_per_sample": round(ref_us, 3),
        "reference_bytes_per_sample": ref_bytes,
        "tilt_speedup_vs_reference": round(ref_us / tilt_us, 1),
        "esp32_us_per_sample_est": round(tilt_us * ESP32_SLOWDOWN, 1),
    }))


main()
