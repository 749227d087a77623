"""Run a plan through the body model, the kinematics and the sensor model into a recording with truth."""

from dataclasses import dataclass, field

import numpy as np

from lumbo import __version__
from lumbo.recording import Recording
from lumbo.sim import gait, kinematics, micro, moves, truth
from lumbo.sim import sensor as imu_model
from lumbo.sim.activities import NOT_WORN_CODES
from lumbo.sim.body import Canvas
from lumbo.sim.exercises import render_exercise
from lumbo.sim.mounting import resolve as resolve_mounting
from lumbo.sim.plan import Plan
from lumbo.sim.scenario import format_clock
from lumbo.sim.wearer import Wearer

RENDERERS = {
    "stand": moves.render_stand,
    "calibrate": moves.render_stand,
    "sit": moves.render_sit,
    "lie": moves.render_lie,
    "off": moves.render_off,
    "sit_down": moves.render_transition,
    "stand_up": moves.render_transition,
    "lie_down": moves.render_transition,
    "get_up": moves.render_transition,
    "walk": gait.render_gait,
    "stairs": gait.render_gait,
    "bend": render_exercise,
    "squat": render_exercise,
    "extension": render_exercise,
    "pelvic_tilts": render_exercise,
    "hip_flexor": render_exercise,
}
PLACEMENT = "low back, belt clip over L4-S1"
GT_FRAME = "sensor-to-ENU quaternion (z up), scalar first; simulated truth"
# Below 10 Hz gait and heel strikes alias; above 1 kHz nothing is gained (the chips' useful bandwidth).
MIN_RATE_HZ = 10.0
MAX_RATE_HZ = 1000.0
# Independent random streams, so that changing how one part draws leaves the others as they were.
STREAMS = ("wearer", "plan", "part", "mounting", "micro", "noise", "timing", "temperature")


@dataclass
class SimRecording(Recording):
    """A recording from the simulator, with its truth (lumbo.sim.truth)."""

    truth: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Options:
    rate_hz: float = 50.0
    sensor: imu_model.SensorSettings = field(default_factory=imu_model.SensorSettings)
    mounting: str = "nominal"


def random_streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)}


def run(plan: Plan, wearer: Wearer, seed: int, options: Options, rngs: dict[str, np.random.Generator],
        source: str, end_s: float | None = None) -> SimRecording:
    if not MIN_RATE_HZ <= options.rate_hz <= MAX_RATE_HZ:
        raise ValueError(f"rate_hz must be {MIN_RATE_HZ:g} to {MAX_RATE_HZ:g} Hz, got {options.rate_hz:g}")
    part = imu_model.draw_part(options.sensor, rngs["part"])
    mounting = resolve_mounting(options.mounting, rngs["mounting"])
    duration_s = plan.duration_s if end_s is None else min(end_s, plan.duration_s)
    # The chip's clock runs at nominal * (1 + clock_error): true sample times are spaced accordingly.
    dt_s = 1.0 / (options.rate_hz * (1.0 + (0.0 if part.ideal else part.clock_error)))
    t_true = np.arange(int(np.floor(duration_s / dt_s))) * dt_s
    if len(t_true) < 2:
        raise ValueError(f"the day lasts {duration_s:g} s, too short for two samples at {options.rate_hz:g} Hz")
    canvas = Canvas(t_true)
    for seg in plan.segments:
        if seg.start_s >= duration_s:
            break
        sl = canvas.span(seg.start_s, seg.end_s)
        if sl.stop <= sl.start:
            continue
        RENDERERS[seg.kind](canvas, seg, canvas.state_before(sl.start, plan.initial), wearer, sl)
    micro.add_micro_motion(canvas, wearer, rngs["micro"], options.rate_hz)
    motion = kinematics.sensor_motion(canvas, mounting)
    worn = ~np.isin(canvas.code, list(NOT_WORN_CODES))
    temp_c = imu_model.temperature(worn, t_true, rngs["temperature"])
    accel, gyro, bias = imu_model.measure(part, motion.accel_g, motion.gyro_dps, temp_c, options.rate_hz, rngs["noise"])

    timing = rngs["timing"]
    settings = options.sensor
    keep = np.ones(len(t_true), dtype=bool)
    t_stamp = t_true.copy()
    if not settings.ideal and len(t_true):
        keep = timing.uniform(size=len(t_true)) >= settings.drop_probability
        keep[0] = keep[-1] = True
        jitter = np.clip(timing.normal(0, settings.jitter_ms * 1e-3, len(t_true)), -0.3 * dt_s, 0.3 * dt_s)
        jitter[0] = abs(jitter[0])
        t_stamp = t_true + jitter

    segments = _clip(plan.segments, duration_s)
    calibration = _calibration_span(segments)
    meta = {
        "rate_hz": f"{options.rate_hz:g}",
        "source": f"lumbo-sim {__version__} seed={seed} ({source})",
        "placement": PLACEMENT,
        "gt_frame": GT_FRAME,
        "imu": part.spec.name,
        "accel_lsb_per_g": f"{part.accel_lsb_per_g:.6g}",
        "gyro_lsb_per_dps": f"{part.gyro_lsb_per_dps:.6g}",
        "mounting": options.mounting,
    }
    if calibration:
        meta["calibration_s"] = f"{calibration[0]:.3f}-{calibration[1]:.3f}"
    if plan.start_clock_s is not None:
        meta["start_clock"] = format_clock(plan.start_clock_s)
    activity_runs = truth.runs(canvas.code, t_true, duration_s)
    extra_truth = {
        "seed": seed,
        "source": source,
        "rate_hz": options.rate_hz,
        "duration_s": round(duration_s, 3),
        "start_clock": meta.get("start_clock"),
        "calibration_s": list(calibration) if calibration else None,
        "dropped_samples": int(np.count_nonzero(~keep)),
        "wearer": {k: round(v, 4) for k, v in wearer.as_dict().items()},
        "sensor": {**part.as_dict(), "mounting": options.mounting,
                   "mounting_quat": np.round(mounting, 6).tolist()},
        "gyro_bias_dps": _every(t_true, bias.T, 60.0),
        "temperature_c": _every(t_true, temp_c[:, None], 60.0),
    }
    truth_dict = truth.build(segments, t_true, canvas.code, duration_s, extra_truth)
    extra = {
        "true_sagittal_deg": np.round(motion.sagittal_deg[keep], 3),
        "true_lateral_deg": np.round(motion.lateral_deg[keep], 3),
        "true_incl_deg": np.round(motion.incl_deg[keep], 3),
        "activity": canvas.code[keep].astype(np.float64),
    }
    # Select along the contiguous component rows, then view as (n, 3) and (n, 4) rows.
    rec = SimRecording(t_s=t_stamp[keep], accel_g=accel[:, keep].T, gyro_dps=gyro[:, keep].T, meta=meta,
                       quat=motion.quat[:, keep].T, gt_valid=np.ones(int(keep.sum()), dtype=bool), extra=extra,
                       labels=truth.labels_from_runs(activity_runs), name="", truth=truth_dict)
    return rec


def _clip(segments, end_s: float):
    out = []
    for seg in segments:
        if seg.start_s >= end_s:
            break
        if seg.end_s > end_s:
            seg = type(seg)(kind=seg.kind, start_s=seg.start_s, end_s=end_s, params=seg.params,
                            reps=[r for r in seg.reps if r[1] <= end_s], line=seg.line, cause=seg.cause)
        out.append(seg)
    return out


def _calibration_span(segments) -> tuple[float, float] | None:
    for seg in segments:
        if seg.kind == "calibrate":
            settle = moves.settle_s(seg.duration_s)
            start, end = seg.start_s + settle + 0.2, seg.end_s - 0.2
            if end - start >= 1.0:
                return round(start, 3), round(end, 3)
    return None


def _every(t_s: np.ndarray, values: np.ndarray, period_s: float) -> list[list[float]]:
    """Rows [t, v...] once every period_s, for slowly changing truth (gyro bias, temperature)."""
    if len(t_s) == 0:
        return []
    picks = np.searchsorted(t_s, np.arange(0.0, t_s[-1] + 1e-9, period_s))
    picks = picks[picks < len(t_s)]
    return [[round(float(t_s[i]), 3), *np.round(values[i], 4).tolist()] for i in picks]
