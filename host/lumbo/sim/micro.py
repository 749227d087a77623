"""The small motion of a body that is "still": slow postural sway, breathing, and the fine restless motion
(heartbeat, muscle tremor, tiny adjustments) that keeps a worn sensor from ever reading a clean rest.

Band-limited noise is made once for the whole day in the frequency domain and scaled sample by sample by
how much of each kind the current activity has, so the amount changes smoothly from one activity to the
next.
"""

import numpy as np

from lumbo.sim.activities import CODE
from lumbo.sim.body import Canvas
from lumbo.sim.wearer import Wearer

DEG = np.pi / 180.0

# Per activity: postural sway (deg RMS, 0.05-0.8 Hz), fine rotation (angular rate, deg/s RMS, 0.3-4 Hz),
# fine translation (acceleration, mg RMS per axis, 0.8-10 Hz), breathing (deg amplitude of pelvic tilt).
_STILL = {
    "standing": (0.35, 0.8, 2.5, 0.10),
    "calibration": (0.25, 0.6, 2.0, 0.10),
    "sitting": (0.2, 0.5, 3.5, 0.12),
    # Lying on the back, each heartbeat jolts the whole body along its length (the ballistocardiogram is
    # recorded supine for that reason): a little more fine translation than sitting.
    "lying": (0.1, 0.45, 4.2, 0.25),
    "moving": (0.0, 0.3, 2.0, 0.05),
    "off": (0.0, 0.0, 0.0, 0.0),
}
_GROUP = {
    "standing": "standing", "calibration": "calibration", "sitting_upright": "sitting",
    "sitting_slouched": "sitting", "seated_reach": "sitting", "lying": "lying", "routine_extension": "standing",
    "routine_pelvic_tilts": "standing", "hip_flexor_stretch": "standing", "bending": "standing",
    "squatting": "standing", "not_worn": "off", "take_off": "off", "put_on": "off",
}


def _amounts() -> np.ndarray:
    """(codes, 4) table of the amounts above, indexed by activity code."""
    table = np.zeros((max(CODE.values()) + 1, 4))
    for name, code in CODE.items():
        table[code] = _STILL[_GROUP.get(name, "moving")]
    return table


def band_noise(rng: np.random.Generator, n: int, rate_hz: float, low_hz: float, high_hz: float,
               channels: int, integrate: int = 0) -> np.ndarray:
    """(channels, n) noise with unit RMS, flat between low_hz and high_hz with gentle edges. With
    integrate=1 or 2 the unit-RMS signal is integrated that many times (in the frequency domain), so the
    result is an angle whose rate, or a position whose acceleration, has unit RMS."""
    if n < 4:
        return np.zeros((channels, n))
    size = fast_length(n)
    # Single precision is plenty for noise and halves the work of the transforms.
    spectrum = np.fft.rfft(rng.standard_normal((channels, size), dtype=np.float32), axis=1)
    freq = np.fft.rfftfreq(size, 1.0 / rate_hz).astype(np.float32)
    shape = 1.0 / np.sqrt(1.0 + (low_hz / np.maximum(freq, 1e-9)) ** 4) / np.sqrt(1.0 + (freq / high_hz) ** 4)
    shape[0] = 0.0
    spectrum *= shape
    # Parseval: the RMS of the signal from its one-sided spectrum, without transforming back.
    power = 2.0 * np.sum(np.abs(spectrum) ** 2, axis=1) - np.abs(spectrum[:, 0]) ** 2
    if size % 2 == 0:
        power -= np.abs(spectrum[:, -1]) ** 2
    spectrum /= (np.sqrt(power) / size)[:, None].astype(np.float32)
    if integrate:
        omega = (2.0 * np.pi * np.maximum(freq, 1e-9)).astype(np.float32)
        spectrum /= ((1j * omega) ** integrate).astype(np.complex64)
        spectrum[:, 0] = 0.0
    return np.fft.irfft(spectrum, n=size, axis=1)[:, :n].astype(np.float64)


def slow_noise(rng: np.random.Generator, n: int, rate_hz: float, low_hz: float, high_hz: float,
               channels: int, decimation: int = 10) -> np.ndarray:
    """Like band_noise for slow processes: made at a tenth of the rate and interpolated back."""
    coarse_n = n // decimation + 2
    coarse = band_noise(rng, coarse_n, rate_hz / decimation, low_hz, high_hz, channels)
    where = np.arange(n) / decimation
    return np.stack([np.interp(where, np.arange(coarse_n), row) for row in coarse])


def fast_length(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n: FFT lengths with only small factors are fast."""
    best = 1 << max(0, (n - 1).bit_length())
    power3 = 1
    while power3 < 2 * n:
        power35 = power3
        while power35 < 2 * n:
            size = power35
            while size < n:
                size *= 2
            best = min(best, size)
            power35 *= 5
        power3 *= 3
    return best


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Moving average over the last axis, `width` samples (same length), so amounts change over a second."""
    if width <= 1 or values.shape[-1] < width:
        return values
    pad = [(0, 0)] * (values.ndim - 1) + [(width // 2, width - 1 - width // 2)]
    cumulative = np.cumsum(np.pad(values, pad, mode="edge"), axis=-1)
    cumulative = np.concatenate((np.zeros((*values.shape[:-1], 1)), cumulative), axis=-1)
    return (cumulative[..., width:] - cumulative[..., :-width]) / width


# Blocks of this many samples keep the per-sample arithmetic in the processor's cache.
BLOCK = 1 << 15


def add_micro_motion(c: Canvas, w: Wearer, rng: np.random.Generator, rate_hz: float) -> None:
    n = len(c.t_s)
    if n == 0:
        return
    scale = w.micro_motion
    sway = slow_noise(rng, n, rate_hz, 0.05, 0.8, 3)
    fine_angle = band_noise(rng, n, rate_hz, 0.3, 4.0, 3, integrate=1)
    fine_pos = band_noise(rng, n, rate_hz, 0.8, 10.0, 3, integrate=2)
    # Breathing: a slowly wandering rate around the wearer's own.
    wander = slow_noise(rng, n, rate_hz, 0.002, 0.02, 1, decimation=50)[0]
    breath_phase = 2.0 * np.pi * np.cumsum(w.breath_rate_hz * (1.0 + 0.08 * wander)) / rate_hz
    table = _amounts().T
    width = int(rate_hz)
    for start in range(0, n, BLOCK):
        part = slice(start, min(n, start + BLOCK))
        # The amounts, smoothed over a second, need a second of context on either side of the block.
        wide = slice(max(0, part.start - width), min(n, part.stop + width))
        inner = slice(part.start - wide.start, part.stop - wide.start)
        sway_deg, rate_dps, accel_mg, breath_deg = _smooth(table[:, c.code[wide]], width)[:, inner]
        phase = breath_phase[part]
        breath = np.sin(phase) + 0.2 * np.sin(2.0 * phase + 0.7)
        fine_rate = scale * rate_dps
        c.theta[part] += DEG * (sway_deg * sway[0, part] + fine_rate * fine_angle[0, part] + breath_deg * breath)
        c.phi[part] += DEG * (0.7 * sway_deg * sway[1, part] + fine_rate * fine_angle[1, part])
        c.rho[part] += DEG * (0.5 * sway_deg * sway[2, part] + fine_rate * fine_angle[2, part])
        c.pos[:, part] += (scale * accel_mg * 1e-3 * 9.80665) * fine_pos[:, part]
        c.pos[2, part] += 0.0015 * (breath_deg / 0.1) * breath
