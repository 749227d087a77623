"""`lumbo eval tilt DIR`: inclination error of the firmware's tilt filter on recordings with ground truth.

Each recording is quantised to a chip's int16 counts and fed through `lumbo_fw.tilt.TiltFilter` in
bursts, under CPython or under the MicroPython unix port (the same source, compiled as for the board).
The error is the one defined in the data's README: the angle between the estimated and the true
gravity direction in the sensor frame (the inclination part of q_est * conj(q_true)), RMS over rows
with gt_valid=1, then the mean over files. `--compare` runs the `vqf` (6-D) and `imufusion` packages on
the same float data in the same process.
"""

import json
import struct
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lumbo import recording
from lumbo.recording import Recording, RecordingError

DEVICE_DIR = Path(__file__).resolve().parent / "device"
RUNNER = DEVICE_DIR / "tilt_run.py"
INTERPRETERS = ("cpython", "micropython")
COMPARE = ("vqf", "fusion")
# Default chip scales: +-16 g and +-2000 dps (MPU-6050 / LSM6DSOX full scale), so the tapping and
# fast-rotation trials do not clip.
DEFAULT_ACCEL_LSB_PER_G = 2048.0
DEFAULT_GYRO_LSB_PER_DPS = 16.4
_MAGIC = b"LTB1"


class EvalError(RuntimeError):
    """The evaluation could not run; the message says why and what to do."""


@dataclass
class FilterRun:
    """What the filter reported after each burst."""

    end_index: np.ndarray  # (m,) index of the last sample of each burst
    gravity: np.ndarray  # (m, 3) unit "up" vectors in the sensor frame
    resting: np.ndarray  # (m,) bool
    gravity_q14: np.ndarray  # (m, 3) int: the filter's own output, |v| = 16384


@dataclass
class FileScore:
    name: str
    rmse_incl_deg: float
    rmse_sagittal_deg: float | None = None  # recordings with true_sagittal_deg (the virtual wearer)
    sagittal_coverage: float | None = None  # share of worn seconds with a sagittal tilt reported


@dataclass
class Scores:
    files: list[FileScore] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return float(np.mean([f.rmse_incl_deg for f in self.files])) if self.files else float("nan")

    @property
    def mean_sagittal(self) -> float | None:
        values = [f.rmse_sagittal_deg for f in self.files if f.rmse_sagittal_deg is not None]
        return float(np.mean(values)) if values else None

    def as_json(self) -> dict:
        files = []
        for f in self.files:
            entry: dict = {"name": f.name, "rmse_incl_deg": f.rmse_incl_deg}
            if f.rmse_sagittal_deg is not None:
                entry["rmse_sagittal_deg"] = f.rmse_sagittal_deg
                entry["sagittal_coverage"] = f.sagittal_coverage
            files.append(entry)
        doc: dict = {"files": files, "mean_rmse_incl_deg": self.mean}
        if self.mean_sagittal is not None:
            doc["mean_rmse_sagittal_deg"] = self.mean_sagittal
        return doc


def quantise(values: np.ndarray, lsb_per_unit: float) -> np.ndarray:
    """Float units to a chip's int16 counts (rounded, clipped at full scale)."""
    return np.clip(np.round(values * lsb_per_unit), -32768, 32767).astype(np.int16)


def burst_ends(n: int, burst_len: int) -> np.ndarray:
    """Index of the last sample of each burst of `burst_len` samples (the last burst may be shorter)."""
    if burst_len < 1:
        raise EvalError("a burst holds at least one sample")
    ends = np.arange(burst_len - 1, n, burst_len)
    if n and (len(ends) == 0 or ends[-1] != n - 1):
        ends = np.append(ends, n - 1)
    return ends


def write_burst_file(path: Path, rec: Recording, burst_len: int, accel_lsb_per_g: float,
                     gyro_lsb_per_dps: float) -> np.ndarray:
    """Write the recording as bursts for tilt_run.py; return the bursts' last sample indices."""
    n = len(rec)
    samples = np.empty((n, 6), dtype="<i2")
    samples[:, :3] = quantise(rec.accel_g, accel_lsb_per_g)
    samples[:, 3:] = quantise(rec.gyro_dps, gyro_lsb_per_dps)
    ends = burst_ends(n, burst_len)
    t_us = np.round(rec.t_s * 1e6).astype(np.int64)
    delta = np.diff(np.concatenate([[t_us[0]], t_us[ends]]))
    if np.any(delta < 0) or np.any(delta >= 2**32):
        raise EvalError(f"recording {rec.name}: timestamps must increase by less than 71 minutes per burst")
    with open(path, "wb") as out:
        out.write(struct.pack("<4sIfff", _MAGIC, burst_len, accel_lsb_per_g, gyro_lsb_per_dps, rec.rate_hz))
        start = 0
        for end, d in zip(ends, delta, strict=True):
            count = int(end - start + 1)
            out.write(struct.pack("<HI", count, int(d)))
            out.write(samples[start : end + 1].tobytes())
            start = end + 1
    return ends


def _read_output(path: Path, ends: np.ndarray) -> FilterRun:
    raw = np.fromfile(path, dtype="<i4").reshape(-1, 4)
    if len(raw) != len(ends):
        raise EvalError(f"the filter reported {len(raw)} bursts, expected {len(ends)}")
    g = raw[:, :3].astype(float)
    norm = np.linalg.norm(g, axis=1, keepdims=True)
    return FilterRun(end_index=ends, gravity=g / np.where(norm > 0, norm, 1), resting=raw[:, 3] == 1,
                     gravity_q14=raw[:, :3].copy())


def run_filter(rec: Recording, interpreter: str = "cpython", burst_len: int = 1,
               accel_lsb_per_g: float = DEFAULT_ACCEL_LSB_PER_G, gyro_lsb_per_dps: float = DEFAULT_GYRO_LSB_PER_DPS,
               build_dir: Path | None = None) -> FilterRun:
    """Run the firmware's TiltFilter over a recording under the chosen interpreter."""
    if interpreter not in INTERPRETERS:
        raise EvalError(f"unknown interpreter {interpreter!r}; choose one of {', '.join(INTERPRETERS)}")
    with tempfile.TemporaryDirectory(prefix="lumbo-tilt-") as tmp:
        src = Path(tmp) / "in.bin"
        dst = Path(tmp) / "out.bin"
        ends = write_burst_file(src, rec, burst_len, accel_lsb_per_g, gyro_lsb_per_dps)
        if interpreter == "cpython":
            _run_cpython(src, dst)
        else:
            _run_micropython(src, dst, build_dir)
        return _read_output(dst, ends)


def _run_cpython(src: Path, dst: Path) -> None:
    from lumbo import mpcompat

    mpcompat.install()
    from lumbo.evaluate.device import tilt_run

    tilt_run.run(str(src), str(dst))


def _run_micropython(src: Path, dst: Path, build_dir: Path | None) -> None:
    from lumbo import mpy

    if build_dir is None:
        with tempfile.TemporaryDirectory(prefix="lumbo-build-") as tmp:
            _run_micropython(src, dst, x64_build(Path(tmp)))
        return
    try:
        result = mpy.run([str(RUNNER), str(src), str(dst)], path=[build_dir, DEVICE_DIR], timeout_s=3600)
    except mpy.MicroPythonNotFound as exc:
        raise EvalError(str(exc)) from None
    if result.returncode != 0:
        raise EvalError(f"the filter failed under MicroPython:\n{result.stdout}{result.stderr}")


def x64_build(out_dir: Path) -> Path:
    """Compile the firmware for the unix port (what `--interpreter micropython` imports)."""
    from lumbo.build import BuildError, build

    try:
        build(out_dir, "x64")
    except BuildError as exc:
        raise EvalError(str(exc)) from None
    return out_dir


def true_up(quat: np.ndarray) -> np.ndarray:
    """Earth "up" in the sensor frame from IMU-to-earth quaternions (w, x, y, z): R(q)^T [0, 0, 1]."""
    w, x, y, z = quat.T
    return np.column_stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)])


def inclination_error_deg(up_est: np.ndarray, up_true: np.ndarray) -> np.ndarray:
    a = up_est / np.linalg.norm(up_est, axis=1, keepdims=True)
    b = up_true / np.linalg.norm(up_true, axis=1, keepdims=True)
    return np.degrees(np.arccos(np.clip(np.sum(a * b, axis=1), -1.0, 1.0)))


def rmse_at(rec: Recording, index: np.ndarray, up_est: np.ndarray) -> float:
    """RMS inclination error over the rows `index` that have valid ground truth."""
    if rec.quat is None:
        raise EvalError(f"recording {rec.name} has no ground-truth quaternion columns (qw,qx,qy,qz)")
    valid = rec.gt_valid[index] if rec.gt_valid is not None else np.ones(len(index), bool)
    if not valid.any():
        raise EvalError(f"recording {rec.name} has no rows with gt_valid=1 to score")
    err = inclination_error_deg(up_est[valid], true_up(rec.quat[index[valid]]))
    return float(np.sqrt(np.mean(err**2)))


def _sample_period_s(rec: Recording) -> float:
    return float(np.median(np.diff(rec.t_s)))


def run_vqf(rec: Recording) -> np.ndarray:
    """Up vectors from the vqf package in 6-D mode (default parameters)."""
    import vqf

    est = vqf.VQF(_sample_period_s(rec))
    out = est.updateBatch(np.ascontiguousarray(np.radians(rec.gyro_dps)), np.ascontiguousarray(rec.accel_g * 9.81))
    return true_up(out["quat6D"])


def run_fusion(rec: Recording, example_settings: bool = True) -> np.ndarray:
    """Up vectors from the imufusion package (x-io Fusion), no magnetometer.

    With example_settings, the settings of Fusion's own examples (gain 0.5, +-2000 dps gyroscope range,
    10 deg acceleration rejection, 5 s recovery); otherwise the package defaults (gain 0.5, rejection off).
    """
    import imufusion

    dt = _sample_period_s(rec)
    rate = round(1.0 / dt)
    ahrs = imufusion.Ahrs()
    if example_settings:
        ahrs.set_settings(imufusion.AhrsSettings(
            sample_rate=float(rate), convention=imufusion.CONVENTION_ENU, gain=0.5, gyroscope_range=2000.0,
            acceleration_rejection=10.0, magnetic_rejection=10.0, rejection_timeout=5 * rate,
        ))
    else:
        ahrs.set_settings(imufusion.AhrsSettings(sample_rate=float(rate), convention=imufusion.CONVENTION_ENU))
    gyro = np.ascontiguousarray(rec.gyro_dps)
    accel = np.ascontiguousarray(rec.accel_g)
    quat = np.empty((len(rec), 4))
    t = rec.t_s
    for i in range(len(rec)):
        ahrs.set_sample_period(float(t[i] - t[i - 1]) if i else dt)
        ahrs.update_no_magnetometer(gyro[i], accel[i])
        quat[i] = ahrs.get_quaternion()
    return true_up(quat)


COMPARE_RUNNERS = {"vqf": run_vqf, "fusion": run_fusion}
SAGITTAL_COLUMN = "true_sagittal_deg"


def chip_scales(rec: Recording, accel_lsb_per_g: float | None, gyro_lsb_per_dps: float | None) -> tuple[float, float]:
    """The scales to quantise to: as asked, else the recording's own (simulated chips say), else the defaults."""
    accel = accel_lsb_per_g or float(rec.meta.get("accel_lsb_per_g", DEFAULT_ACCEL_LSB_PER_G))
    gyro = gyro_lsb_per_dps or float(rec.meta.get("gyro_lsb_per_dps", DEFAULT_GYRO_LSB_PER_DPS))
    return accel, gyro


def sagittal_errors(rec: Recording, run: FilterRun) -> tuple[np.ndarray, int]:
    """Pelvic tilt error (degrees) once a second on a virtual wearer's recording, and the worn seconds.

    The firmware's Mounting gets the filter's gravity_q14 once a second, as on the device: the calibration
    stance (from `calibration_s`) calls calibrate_upright; seconds the truth says the wearer stands still or
    walks give observe_upright hints, as the posture detector would; the sagittal axis is learned by the
    Mounting itself. Seconds with the sensor off the body are not scored.
    """
    from lumbo import mpcompat

    mpcompat.install()
    from array import array

    from lumbo.sim.activities import CODE, NOT_WORN_CODES
    from lumbo_fw.mounting import Mounting

    truth = rec.extra[SAGITTAL_COLUMN]
    # without activities there are no posture hints: upright then comes from the stance alone
    activity = rec.extra["activity"].astype(int) if "activity" in rec.extra else np.full(len(rec), -1)
    standing = {CODE["standing"], CODE["calibration"]}
    walking = CODE["walking"]
    cal = rec.calibration_s
    mounting = Mounting()
    out = array("i", (0, 0, 0))
    errors = []
    worn = 0
    next_s = float(rec.t_s[run.end_index[0]])
    calibrated = cal is None
    for k, i in enumerate(run.end_index):
        t = float(rec.t_s[i])
        if t < next_s:
            continue
        next_s = np.floor(t) + 1.0
        g = [int(v) for v in run.gravity_q14[k]]
        if not any(g):
            continue
        if not calibrated and cal[1] - 1.0 <= t < cal[1]:
            mounting.calibrate_upright(g)  # the last second of the stance: the filter has settled on it
            calibrated = True
        elif not calibrated and t >= cal[1]:
            mounting.calibrate_upright(g)  # a stance shorter than the tick spacing
            calibrated = True
        code = int(activity[i])
        if code in standing and calibrated:
            mounting.observe_upright(g)
        elif code == walking and calibrated:
            mounting.observe_upright(g, walking=True)
        known = mounting.tilt(g, out)
        if code in NOT_WORN_CODES:
            continue
        worn += 1
        if known:
            errors.append(out[0] / 100.0 - float(truth[i]))
    return np.array(errors), worn


def score_file(path: Path, interpreter: str, burst_len: int, accel_lsb_per_g: float | None,
               gyro_lsb_per_dps: float | None, compare: Sequence[str],
               build_dir: Path | None) -> tuple[FileScore, dict[str, float]]:
    rec = recording.read(path)
    if rec.quat is None:
        raise EvalError(f"{path.name} has no ground truth (qw,qx,qy,qz columns); "
                        "point `lumbo eval tilt` at recordings with optical ground truth, such as BROAD")
    accel, gyro = chip_scales(rec, accel_lsb_per_g, gyro_lsb_per_dps)
    run = run_filter(rec, interpreter, burst_len, accel, gyro, build_dir)
    score = FileScore(recording.stem(path), rmse_at(rec, run.end_index, run.gravity))
    if SAGITTAL_COLUMN in rec.extra:
        errors, worn = sagittal_errors(rec, run)
        score.rmse_sagittal_deg = float(np.sqrt(np.mean(errors**2))) if len(errors) else float("nan")
        score.sagittal_coverage = len(errors) / worn if worn else 0.0
    every = np.arange(len(rec))
    others = {name: rmse_at(rec, every, COMPARE_RUNNERS[name](rec)) for name in compare}
    return score, others


def evaluate(folder: Path, interpreter: str = "cpython", compare: Sequence[str] = (), burst_len: int = 1,
             accel_lsb_per_g: float | None = None, gyro_lsb_per_dps: float | None = None,
             jobs: int = 2) -> tuple[Scores, dict[str, Scores]]:
    """Score the filter (and the compared packages) on every recording with ground truth in `folder`."""
    for name in compare:
        if name not in COMPARE_RUNNERS:
            raise EvalError(f"unknown filter to compare {name!r}; choose from {', '.join(COMPARE)}")
    try:
        paths = recording.find_recordings(folder)
    except RecordingError as exc:
        raise EvalError(str(exc)) from None
    if not paths:
        raise EvalError(f"{folder} holds no lumbo-imu/1 recordings (*.csv or *.csv.gz)")
    with tempfile.TemporaryDirectory(prefix="lumbo-build-") as tmp:
        build_dir = x64_build(Path(tmp)) if interpreter == "micropython" else None
        # the CPython run is pure Python: a process per file keeps the cores busy; MicroPython runs apart
        pool_cls = ProcessPoolExecutor if interpreter == "cpython" else ThreadPoolExecutor
        with pool_cls(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(score_file, p, interpreter, burst_len, accel_lsb_per_g, gyro_lsb_per_dps,
                                   tuple(compare), build_dir) for p in paths]
            results = [f.result() for f in futures]
    ours = Scores([score for score, _ in results])
    others = {c: Scores([FileScore(score.name, o[c]) for score, o in results]) for c in compare}
    return ours, others


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "tilt", help="inclination error of the tilt filter on recordings with ground truth (e.g. BROAD)",
        description="Feed every lumbo-imu/1 recording with ground truth in DIR through the firmware's tilt "
                    "filter and print the RMS inclination error per file and the mean; on the virtual "
                    "wearer's recordings (lumbo sim) also the RMS error of the pelvic tilt.")
    parser.add_argument("dir", type=Path, metavar="DIR", help="folder of recordings with qw,qx,qy,qz columns")
    parser.add_argument("--compare", default="", metavar="LIST",
                        help="also run these on the same data: vqf, fusion (comma-separated)")
    parser.add_argument("--interpreter", choices=INTERPRETERS, default="cpython",
                        help="run the firmware under CPython (default) or the MicroPython unix port")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--burst", type=int, default=1, metavar="N",
                        help="samples per burst (default 1, so every row is scored)")
    parser.add_argument("--accel-lsb-per-g", type=float, default=None,
                        help="accelerometer scale to quantise to (default: the recording's, else 2048: +-16 g)")
    parser.add_argument("--gyro-lsb-per-dps", type=float, default=None,
                        help="gyroscope scale to quantise to (default: the recording's, else 16.4: +-2000 dps)")
    parser.add_argument("--jobs", type=int, default=2, help="files scored in parallel (default 2)")
    parser.set_defaults(func=_command)


def _command(args) -> int:
    from lumbo.cli import CommandError

    compare = [c.strip() for c in args.compare.split(",") if c.strip()]
    try:
        ours, others = evaluate(args.dir, args.interpreter, compare, args.burst, args.accel_lsb_per_g,
                                args.gyro_lsb_per_dps, args.jobs)
    except (EvalError, RecordingError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        doc = ours.as_json()
        doc["interpreter"] = args.interpreter
        doc["compare"] = {name: scores.as_json() for name, scores in others.items()}
        print(json.dumps(doc, sort_keys=True))
        return 0
    sagittal = ours.mean_sagittal is not None
    width = max(len(n) for n in [*(f.name for f in ours.files), "mean"])
    print(f"RMSE, degrees (lumbo under {args.interpreter})")
    header = f"{'recording':<{width}}  {'incl':>7}" + "".join(f"  {c:>7}" for c in others)
    print(header + ("  sagittal  coverage" if sagittal else ""))
    for i, f in enumerate(ours.files):
        row = f"{f.name:<{width}}  {f.rmse_incl_deg:7.3f}" + "".join(f"  {s.files[i].rmse_incl_deg:7.3f}"
                                                                     for s in others.values())
        if f.rmse_sagittal_deg is not None:
            row += f"  {f.rmse_sagittal_deg:8.3f}  {f.sagittal_coverage:8.1%}"
        print(row)
    last = f"{'mean':<{width}}  {ours.mean:7.3f}" + "".join(f"  {s.mean:7.3f}" for s in others.values())
    if sagittal:
        last += f"  {ours.mean_sagittal:8.3f}"
    print(last)
    return 0
