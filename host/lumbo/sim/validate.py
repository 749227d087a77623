"""Check the simulator against real recordings: the same statistics computed on real labelled recordings
(UCI HAPT: a phone on a waist belt) and on simulated sessions that follow the same protocol, side by side.

The statistics do not depend on how the sensor is mounted (angles between directions, magnitudes,
frequencies, durations), since HAPT's phone sat at the front of the waist and lumbo's sensor sits at the
back. Each is computed per recording; the comparison shows the real recordings' spread (min, median, max)
beside the simulated ones'.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lumbo import recording
from lumbo.recording import Recording, RecordingError

# key, unit, what it measures
METRICS = (
    ("grav_angle_sit_stand_deg", "deg", "angle between mean gravity directions, sitting vs standing"),
    ("grav_angle_lie_stand_deg", "deg", "the same, lying vs standing"),
    ("walk_cadence_steps_per_s", "1/s", "walking cadence (autocorrelation of vertical acceleration)"),
    ("walk_spectrum_peak_hz", "Hz", "peak of the vertical-acceleration spectrum while walking"),
    ("walk_vertical_rms_g", "g", "vertical acceleration RMS while walking"),
    ("walk_horizontal_rms_g", "g", "horizontal acceleration RMS while walking"),
    ("walk_hf_fraction", "", "share of vertical-acceleration power above 3 Hz (of 0.5-12 Hz)"),
    ("walk_gyro_rms_dps", "dps", "angular rate RMS while walking"),
    ("transition_label_s", "s", "labelled transition duration (median per recording)"),
    ("transition_active_s", "s", "time the angular rate is busy within a transition (median)"),
    ("transition_peak_dps", "dps", "peak angular rate in a transition (median)"),
    ("rest_sit_accel_mg", "mg", "sitting: per-axis acceleration SD in 1 s windows (median)"),
    ("rest_sit_gyro_dps", "dps", "sitting: per-axis angular rate SD in 1 s windows (median)"),
    ("rest_lie_accel_mg", "mg", "lying: per-axis acceleration SD in 1 s windows (median)"),
    ("rest_lie_gyro_dps", "dps", "lying: per-axis angular rate SD in 1 s windows (median)"),
    ("rest_stand_accel_mg", "mg", "standing: per-axis acceleration SD in 1 s windows (median)"),
    ("rest_stand_gyro_dps", "dps", "standing: per-axis angular rate SD in 1 s windows (median)"),
)
TRIM_S = 1.0  # left out at both ends of a labelled span (label edges are approximate)
MIN_WALK_S = 8.0  # walking spans shorter than this (after trimming) are too short for a spectrum


def _spans(rec: Recording, label: str) -> list[tuple[float, float]]:
    return [(lab.start_s, lab.end_s) for lab in rec.labels if lab.label == label]


def _inside(rec: Recording, start: float, end: float) -> np.ndarray:
    return (rec.t_s >= start) & (rec.t_s < end)


def _mean_direction(rec: Recording, label: str) -> np.ndarray | None:
    mask = np.zeros(len(rec.t_s), dtype=bool)
    for start, end in _spans(rec, label):
        mask |= _inside(rec, start + TRIM_S, end - TRIM_S)
    if mask.sum() < 10:
        return None
    mean = rec.accel_g[mask].mean(axis=0)
    return mean / np.linalg.norm(mean)


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b)), float(np.dot(a, b)))))


def cadence_autocorr(vertical: np.ndarray, rate_hz: float) -> float | None:
    """Steps per second from the first strong autocorrelation peak at a lag of 0.35-0.8 s (one step)."""
    x = vertical - vertical.mean()
    n = len(x)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(x, size)
    ac = np.fft.irfft(np.abs(spectrum) ** 2, size)[:n]
    if ac[0] <= 0:
        return None
    ac = ac / ac[0]
    low, high = int(0.35 * rate_hz), int(np.ceil(0.8 * rate_hz))
    if high + 1 >= n:
        return None
    k = low + int(np.argmax(ac[low : high + 1]))
    if k <= 0 or k + 1 >= n:
        return None
    # Parabolic interpolation around the peak for sub-sample lag.
    y0, y1, y2 = ac[k - 1], ac[k], ac[k + 1]
    denom = y0 - 2 * y1 + y2
    shift = 0.5 * (y0 - y2) / denom if denom != 0 else 0.0
    return rate_hz / (k + shift)


def spectrum(x: np.ndarray, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Hann-windowed periodogram, zero-padded for a fine frequency grid."""
    x = x - x.mean()
    size = max(8192, 1 << (len(x) - 1).bit_length())
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)), size)) ** 2
    return np.fft.rfftfreq(size, 1.0 / rate_hz), power


def _walk_stats(rec: Recording, rate_hz: float) -> dict[str, float]:
    cadence, peak, vertical_rms, horizontal_rms, hf, gyro_rms = [], [], [], [], [], []
    for start, end in _spans(rec, "walking"):
        mask = _inside(rec, start + TRIM_S, end - TRIM_S)
        if mask.sum() < MIN_WALK_S * rate_hz:
            continue
        acc = rec.accel_g[mask]
        down = acc.mean(axis=0)
        down /= np.linalg.norm(down)
        vertical = acc @ down
        horizontal = acc - np.outer(vertical, down)
        horizontal -= horizontal.mean(axis=0)
        vertical = vertical - vertical.mean()
        found = cadence_autocorr(vertical, rate_hz)
        if found is not None:
            cadence.append(found)
        freq, power = spectrum(vertical, rate_hz)
        band = (freq >= 0.5) & (freq <= 8.0)
        peak.append(float(freq[band][np.argmax(power[band])]))
        wide = (freq >= 0.5) & (freq <= 12.0)
        hf.append(float(power[wide & (freq > 3.0)].sum() / power[wide].sum()))
        vertical_rms.append(float(np.sqrt(np.mean(vertical**2))))
        horizontal_rms.append(float(np.sqrt(np.mean(np.sum(horizontal**2, axis=1)))))
        gyro = rec.gyro_dps[mask] - rec.gyro_dps[mask].mean(axis=0)
        gyro_rms.append(float(np.sqrt(np.mean(np.sum(gyro**2, axis=1)))))
    out = {}
    for key, values in (("walk_cadence_steps_per_s", cadence), ("walk_spectrum_peak_hz", peak),
                        ("walk_vertical_rms_g", vertical_rms), ("walk_horizontal_rms_g", horizontal_rms),
                        ("walk_hf_fraction", hf), ("walk_gyro_rms_dps", gyro_rms)):
        if values:
            out[key] = float(np.median(values))
    return out


def _transition_stats(rec: Recording, rate_hz: float) -> dict[str, float]:
    labelled, active, peak = [], [], []
    width = max(1, round(0.2 * rate_hz))
    for start, end in _spans(rec, "transition"):
        labelled.append(end - start)
        mask = _inside(rec, start - 1.0, end + 1.0)
        if mask.sum() < 3:
            continue
        gyro = rec.gyro_dps[mask]
        # Rates relative to the quiet second before, so a gyro offset does not count as movement.
        before = _inside(rec, start - 1.0, start)
        if before.any():
            gyro = gyro - rec.gyro_dps[before].mean(axis=0)
        magnitude = np.linalg.norm(gyro, axis=1)
        smooth = np.convolve(magnitude, np.ones(width) / width, mode="same")
        busy = np.flatnonzero(smooth > max(15.0, 0.2 * smooth.max()))
        active.append((busy[-1] - busy[0]) / rate_hz if len(busy) else 0.0)
        peak.append(float(magnitude.max()))
    out = {}
    for key, values in (("transition_label_s", labelled), ("transition_active_s", active),
                        ("transition_peak_dps", peak)):
        if values:
            out[key] = float(np.median(values))
    return out


def _rest_stats(rec: Recording, rate_hz: float) -> dict[str, float]:
    out = {}
    window = round(rate_hz)
    for label, name in (("sitting", "sit"), ("lying", "lie"), ("standing", "stand")):
        accel_sd, gyro_sd = [], []
        for start, end in _spans(rec, label):
            mask = _inside(rec, start + TRIM_S, end - TRIM_S)
            acc, gyro = rec.accel_g[mask], rec.gyro_dps[mask]
            count = len(acc) // window
            if count == 0:
                continue
            acc = acc[: count * window].reshape(count, window, 3)
            gyro = gyro[: count * window].reshape(count, window, 3)
            accel_sd.extend(acc.std(axis=1).mean(axis=1))
            gyro_sd.extend(gyro.std(axis=1).mean(axis=1))
        if accel_sd:
            out[f"rest_{name}_accel_mg"] = 1000.0 * float(np.median(accel_sd))
            out[f"rest_{name}_gyro_dps"] = float(np.median(gyro_sd))
    return out


def recording_stats(rec: Recording) -> dict[str, float]:
    """The METRICS that this recording has the labels for (a missing posture leaves its metrics out)."""
    rate_hz = rec.rate_hz
    out: dict[str, float] = {}
    stand = _mean_direction(rec, "standing")
    sit = _mean_direction(rec, "sitting")
    lie = _mean_direction(rec, "lying")
    if stand is not None and sit is not None:
        out["grav_angle_sit_stand_deg"] = angle_deg(sit, stand)
    if stand is not None and lie is not None:
        out["grav_angle_lie_stand_deg"] = angle_deg(lie, stand)
    out.update(_walk_stats(rec, rate_hz))
    out.update(_transition_stats(rec, rate_hz))
    out.update(_rest_stats(rec, rate_hz))
    return out


def real_stats(folder: Path) -> list[dict[str, float]]:
    """Statistics of every labelled recording in a folder (recordings without labels are skipped)."""
    stats = []
    for path in recording.find_recordings(Path(folder)):
        if not recording.labels_path(path).exists():
            continue
        stats.append(recording_stats(recording.read(path)))
    if not stats:
        raise RecordingError(f"{folder} has no labelled recordings (NAME.csv[.gz] with NAME.labels.csv)")
    return stats


def hapt_protocol(rng: np.random.Generator) -> str:
    """A scenario following the HAPT sessions' protocol: standing, sitting and lying with the transitions
    between them, walks along a corridor, then stairs down and up."""

    def s(low: float, high: float) -> str:
        return f"{rng.uniform(low, high):.1f}s"

    lines = [f"stand {s(3, 5)}", f"calibrate {s(15, 22)}", f"sit {s(17, 24)}", f"stand {s(18, 25)}",
             f"lie {s(22, 28)}", f"sit {s(18, 24)}", f"lie {s(20, 26)}", f"stand {s(15, 20)}"]
    for _ in range(4):
        lines += [f"walk {s(14, 20)} turns=0", f"stand {s(3, 6)}"]
    for number in range(6):
        lines += [f"stairs {'down' if number % 2 == 0 else 'up'} {s(11, 15)}", f"stand {s(3, 5)}"]
    return "\n".join(lines)


def simulated_sessions(count: int, first_seed: int = 1, rate_hz: float = 50.0, imu: str = "mpu6050") -> list:
    from lumbo.sim import simulate_scenario

    sessions = []
    for seed in range(first_seed, first_seed + count):
        text = hapt_protocol(np.random.default_rng(seed))
        sessions.append(simulate_scenario(text, seed=seed, rate_hz=rate_hz, imu=imu, source="HAPT-like protocol"))
    return sessions


@dataclass(frozen=True)
class Row:
    key: str
    unit: str
    real: tuple[int, float, float, float]  # count, min, median, max
    sim: tuple[int, float, float, float]
    sim_median_within: bool  # the simulated median lies within the real min..max
    sim_share_within: float  # share of simulated recordings within the real min..max

    def as_dict(self) -> dict:
        return {"metric": self.key, "unit": self.unit,
                "real": dict(zip(("n", "min", "median", "max"), self.real, strict=True)),
                "sim": dict(zip(("n", "min", "median", "max"), self.sim, strict=True)),
                "sim_median_within_real_range": self.sim_median_within,
                "sim_share_within_real_range": round(self.sim_share_within, 3)}


def _summary(values: list[float]) -> tuple[int, float, float, float]:
    if not values:
        return 0, float("nan"), float("nan"), float("nan")
    return len(values), float(np.min(values)), float(np.median(values)), float(np.max(values))


def compare(real: list[dict[str, float]], sim: list[dict[str, float]]) -> list[Row]:
    rows = []
    for key, unit, _ in METRICS:
        real_values = [s[key] for s in real if key in s]
        sim_values = [s[key] for s in sim if key in s]
        r, m = _summary(real_values), _summary(sim_values)
        if r[0] and m[0]:
            within = r[1] <= m[2] <= r[3]
            share = float(np.mean([(r[1] <= v <= r[3]) for v in sim_values]))
        else:
            within, share = False, 0.0
        rows.append(Row(key=key, unit=unit, real=r, sim=m, sim_median_within=within, sim_share_within=share))
    return rows


def format_table(rows: list[Row]) -> str:
    head = f"{'metric':<26} {'unit':<4} | {'real n  min    median max':<28} | {'sim n  min    median max':<28} | in"
    lines = [head, "-" * len(head)]
    for row in rows:
        lines.append(f"{row.key:<26} {row.unit:<4} | {_cells(row.real)} | {_cells(row.sim)} | "
                     f"{'yes' if row.sim_median_within else 'NO '} {row.sim_share_within:4.0%}")
    return "\n".join(lines)


def _cells(summary: tuple[int, float, float, float]) -> str:
    n, low, mid, high = summary
    if not n:
        return f"{'-':<28}"
    return f"{n:>2} {low:>7.3g} {mid:>7.3g} {high:>7.3g}   "
