"""`lumbo eval posture DIR`: the firmware's posture classifier scored on labelled recordings.

For every lumbo-imu/1 recording in DIR the samples are turned into what the IMU driver hands the firmware
(int16 counts in bursts with tick timestamps) and run through the firmware's own code, under CPython or
under the MicroPython unix port. Scores, per recording and overall:

- accuracy_sitting: per second, sitting or not, over the seconds labelled sitting, standing or walking.
- confusion: labelled posture (sitting, standing, walking, lying) against the state the firmware said.
- transitions: every labelled `transition` span between two different postures is one true transition,
  found when the firmware changes to the new posture between 1 s before the span starts and
  MATCH_AFTER_S after it ends; latency is measured from the end of the span (when the new posture is
  reached). Precision counts the firmware's posture changes made inside labelled time, except walking
  starting or stopping on its feet (labels mark no transition there).
- false_sitting_s: seconds said to be sitting while labelled walking, stairs, standing or lying.
"""

import io
import json
import struct
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lumbo import mpcompat, recording
from lumbo.cli import CommandError

mpcompat.install()  # the shared vocabulary imports MicroPython's const
from lumbo_shared import vocab  # noqa: E402

ACCEL_LSB_PER_G = 4096  # +-8 g, as the LSM6DSOX and MPU-6050 are set up
GYRO_LSB_PER_CDPS = 1640  # 16.4 counts per dps: +-2000 dps
BURST_S = 0.2  # the driver reads the FIFO about five times a second
MATCH_AFTER_S = 5.0
# Where the classifier's gravity direction comes from (posture_device.GRAVITY_FILTER, GRAVITY_MEAN).
GRAVITY_SOURCES = ("filter", "mean")
POSTURES = ("sitting", "standing", "walking", "lying")
_TICKS_PERIOD = 1 << 30
_DEVICE_SCRIPT = Path(__file__).resolve().parent / "posture_device.py"


@dataclass
class Run:
    """What the firmware said about one recording."""

    name: str
    seconds: int
    states: np.ndarray  # per second (second k covers [k, k+1) s of the recording)
    events: list[tuple[int, int, int, int]] = field(default_factory=list)  # t_s, kind, a, b
    minutes: list[tuple[int, ...]] = field(default_factory=list)
    incl_cdeg: np.ndarray | None = None


def encode(rec: recording.Recording, use_calibration: bool, gravity: str = "filter") -> bytes:
    """The recording as bursts of int16 counts with tick timestamps (the input of posture_device)."""
    accel = np.clip(np.round(rec.accel_g * ACCEL_LSB_PER_G), -32768, 32767).astype("<i2")
    gyro = np.clip(np.round(rec.gyro_dps * GYRO_LSB_PER_CDPS / 100), -32768, 32767).astype("<i2")
    samples = np.hstack([accel, gyro])
    t_us = np.round((rec.t_s - rec.t_s[0]) * 1e6).astype(np.int64) if len(rec) else np.zeros(0, np.int64)
    cal_start, cal_len = -1, 0
    span = rec.calibration_s if use_calibration else None
    if span is not None:
        cal_start = int(np.ceil(span[0] - rec.t_s[0]))
        cal_len = max(1, int(np.floor(span[1] - rec.t_s[0])) - cal_start)
    out = io.BytesIO()
    rate_mhz = round(rec.rate_hz * 1000) if len(rec) > 1 else 50000
    source = GRAVITY_SOURCES.index(gravity)
    out.write(struct.pack("<4sIIIiiI", b"LPI1", rate_mhz, ACCEL_LSB_PER_G, GYRO_LSB_PER_CDPS, cal_start, cal_len,
                          source))
    if len(rec) == 0:
        return out.getvalue()
    # Bursts end every BURST_S of recording time, as a FIFO watermark interrupt would.
    cuts = np.searchsorted(t_us, np.arange(BURST_S * 1e6, t_us[-1] + BURST_S * 1e6, BURST_S * 1e6), side="left")
    start = 0
    for end in [*cuts.tolist(), len(t_us)]:
        end = min(int(end), len(t_us))
        while end - start > 0:
            stop = min(end, start + 500)
            out.write(struct.pack("<IHH", int(t_us[stop - 1] % _TICKS_PERIOD), stop - start, 0))
            out.write(samples[start:stop].tobytes())
            start = stop
    return out.getvalue()


def parse(name: str, text: str) -> Run:
    changes: list[tuple[int, int]] = []
    events: list[tuple[int, int, int, int]] = []
    minutes: list[tuple[int, ...]] = []
    incl: dict[int, int] = {}
    seconds = None
    for line in text.splitlines():
        parts = line.split("\t")
        tag = parts[0]
        if tag == "C":
            changes.append((int(parts[1]), int(parts[2])))
        elif tag == "E":
            events.append(tuple(int(p) for p in parts[1:5]))  # type: ignore[arg-type]
        elif tag == "M":
            minutes.append(tuple(int(p) for p in parts[1:]))
        elif tag == "T":
            incl[int(parts[1])] = int(parts[2])
        elif tag == "END":
            seconds = int(parts[1])
    if seconds is None:
        raise CommandError(f"{name}: the firmware run stopped before the end of the recording:\n{text[-2000:]}")
    states = np.zeros(seconds, dtype=np.int64)
    for k, (t, state) in enumerate(changes):
        stop = changes[k + 1][0] if k + 1 < len(changes) else seconds
        states[t:stop] = state
    inc = np.full(seconds, -1, dtype=np.int64)
    for t, value in incl.items():
        if 0 <= t < seconds:
            inc[t] = value
    return Run(name, seconds, states, events, minutes, inc)


def run_cpython(rec: recording.Recording, use_calibration: bool, gravity: str = "filter") -> Run:
    from lumbo.evaluate import posture_device

    out = io.StringIO()
    posture_device.run(io.BytesIO(encode(rec, use_calibration, gravity)), out)
    return parse(rec.name, out.getvalue())


def run_micropython(recs: list[recording.Recording], use_calibration: bool, gravity: str = "filter") -> list[Run]:
    from lumbo import mpy
    from lumbo.build import build
    from lumbo.paths import EMULATED_HARDWARE_DIR

    runs = []
    with tempfile.TemporaryDirectory(prefix="lumbo-eval-") as tmp:
        build_dir = Path(tmp) / "build"
        build(build_dir, "x64")
        for rec in recs:
            data = Path(tmp) / (rec.name + ".bin")
            data.write_bytes(encode(rec, use_calibration, gravity))
            result = mpy.run([str(_DEVICE_SCRIPT), str(data)], path=[build_dir, EMULATED_HARDWARE_DIR],
                             timeout_s=3600)
            if result.returncode != 0:
                raise CommandError(f"{rec.name}: the firmware failed under MicroPython:\n"
                                   f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
            runs.append(parse(rec.name, result.stdout))
    return runs


def _second_labels(rec: recording.Recording, seconds: int) -> np.ndarray:
    mid = rec.t_s[0] + np.arange(seconds) + 0.5 if len(rec) else np.arange(seconds) + 0.5
    return recording.label_at(rec.labels, mid)


def _segments(run: Run) -> list[dict]:
    out = []
    start = 0
    for k in range(1, run.seconds + 1):
        if k == run.seconds or run.states[k] != run.states[start]:
            out.append({"start_s": start, "end_s": k, "state": vocab.state_name(int(run.states[start]))})
            start = k
    return out


def _posture_of(label: str) -> str:
    return "walking" if label == "stairs" else label


def true_transitions(rec: recording.Recording) -> list[tuple[float, float, str, str]]:
    """(start_s, end_s, from, to) for each labelled transition between two different postures."""
    labs = sorted(rec.labels, key=lambda lab: lab.start_s)
    found = []
    for k, lab in enumerate(labs):
        if lab.label != "transition" or k == 0 or k + 1 >= len(labs):
            continue
        before, after = labs[k - 1], labs[k + 1]
        if before.end_s < lab.start_s - 1 or after.start_s > lab.end_s + 1:
            continue
        a, b = _posture_of(before.label), _posture_of(after.label)
        if a in POSTURES and b in POSTURES and a != b:
            found.append((lab.start_s - rec.t_s[0], lab.end_s - rec.t_s[0], a, b))
    return found


def score(rec: recording.Recording, run: Run) -> dict:
    labels = _second_labels(rec, run.seconds)
    said = np.array([vocab.state_name(int(s)) for s in run.states], dtype=object)
    result: dict = {"name": rec.name, "segments": _segments(run),
                    "events": [{"t_s": t, "kind": vocab.event_name(kind), "a": a, "b": b}
                               for t, kind, a, b in run.events]}
    if not rec.labels:
        return result
    scored = np.isin(labels, ("sitting", "standing", "walking"))
    right = (labels[scored] == "sitting") == (said[scored] == "sitting")
    result["scored_s"] = int(scored.sum())
    result["correct_s"] = int(right.sum())
    result["accuracy_sitting"] = float(right.mean()) if scored.any() else None
    result["confusion"] = {lab: {vocab.state_name(s): int(((labels == lab) & (run.states == s)).sum())
                                 for s in range(len(vocab.STATES))} for lab in POSTURES}
    result["false_sitting_s"] = {lab: int(((labels == lab) & (said == "sitting")).sum())
                                 for lab in ("standing", "walking", "stairs", "lying")}
    # Transitions.
    truth = true_transitions(rec)
    # Posture changes the labels could mark as transitions: walking starting or stopping on its feet is
    # not one (labels put no transition there; the confusion matrix scores walking).
    changes = [(k, said[k]) for k in range(1, run.seconds)
               if run.states[k] != run.states[k - 1] and said[k] in POSTURES
               and {said[k], said[k - 1]} != {"walking", "standing"}]
    in_labelled = np.zeros(run.seconds, dtype=bool)
    for lab in rec.labels:
        lo = max(0, int(np.floor(lab.start_s - rec.t_s[0])))
        after = MATCH_AFTER_S if lab.label == "transition" else 0.0
        hi = min(run.seconds, int(np.ceil(lab.end_s - rec.t_s[0] + after)))
        in_labelled[lo:hi] = True
    used: set[int] = set()
    latencies = []
    for start, end, _, to in truth:
        for k, (t, state) in enumerate(changes):
            if k in used or state != to:
                continue
            if start - 1 <= t <= end + MATCH_AFTER_S:
                used.add(k)
                latencies.append(t - end)
                break
    # A first decision (from unknown) can find a transition but is not one itself.
    scored_changes = [k for k, (t, _) in enumerate(changes) if in_labelled[t] and said[t - 1] in POSTURES]
    result["transitions"] = {
        "true": len(truth), "found": len(latencies),
        "said": len(scored_changes), "said_right": len([k for k in scored_changes if k in used]),
        "latencies_s": [float(x) for x in latencies],
    }
    return result


PROMPT_TOLERANCE_S = 60.0
ROUTINE_AFTER_S = 30.0


def score_truth(truth: dict, run: Run) -> dict:
    """Prompts and routines against a simulated day's truth (lumbo-sim-truth/1)."""
    bouts = [(b["start_s"], b["end_s"]) for b in truth.get("sitting_bouts", [])]
    said = [t for t, kind, _, _ in run.events if kind == vocab.EVENT_PROMPT]
    outside = [t for t in said if not any(a <= t <= b for a, b in bouts)]
    true_times = [p["t_s"] for p in truth.get("prompts", [])]
    used: set[int] = set()
    errors = []
    for t in said:
        best = None
        for k, tt in enumerate(true_times):
            if k in used or abs(t - tt) > PROMPT_TOLERANCE_S:
                continue
            if best is None or abs(t - tt) < abs(t - true_times[best]):
                best = k
        if best is not None:
            used.add(best)
            errors.append(t - true_times[best])
    routines = []
    taken = [(t, a, b) for t, kind, a, b in run.events if kind == vocab.EVENT_BREAK_TAKEN
             and a not in (vocab.ROUTINE_NONE, vocab.ROUTINE_WALK)]
    claimed: set[int] = set()
    for r in truth.get("routines", []):
        found = None
        for k, (t, _, _) in enumerate(taken):
            if k not in claimed and r["start_s"] - 5 <= t <= r["end_s"] + ROUTINE_AFTER_S:
                found = k
                break
        entry = {"name": r["name"], "start_s": r["start_s"], "reps": r["reps"], "said": None, "said_reps": None}
        if found is not None:
            claimed.add(found)
            entry["said"] = vocab.routine_name(taken[found][1])
            entry["said_reps"] = taken[found][2]
        routines.append(entry)
    return {
        "prompts": {"true": len(true_times), "said": len(said), "matched": len(errors),
                    "outside_bout": len(outside), "errors_s": [float(e) for e in errors]},
        "routines": routines,
        "routines_unmatched_said": [{"t_s": t, "routine": vocab.routine_name(a), "reps": b}
                                    for k, (t, a, b) in enumerate(taken) if k not in claimed],
    }


def _load_truth(path: Path) -> dict | None:
    truth_file = path.with_name(recording.stem(path) + ".truth.json")
    if not truth_file.exists():
        return None
    try:
        return json.loads(truth_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"{truth_file}: cannot read the simulated truth ({exc})") from None


def summarize(results: list[dict]) -> dict:
    labelled = [r for r in results if r.get("accuracy_sitting") is not None]
    overall: dict = {}
    if not labelled:
        return overall
    scored = sum(r["scored_s"] for r in labelled)
    overall["accuracy_sitting"] = sum(r["correct_s"] for r in labelled) / scored
    overall["worst_recording_accuracy"] = min(r["accuracy_sitting"] for r in labelled)
    overall["worst_recording"] = min(labelled, key=lambda r: r["accuracy_sitting"])["name"]
    overall["confusion"] = {lab: {vocab.state_name(s): sum(r["confusion"][lab][vocab.state_name(s)]
                                                           for r in labelled)
                                  for s in range(len(vocab.STATES))} for lab in POSTURES}
    overall["false_sitting_s"] = {k: sum(r["false_sitting_s"][k] for r in labelled)
                                  for k in labelled[0]["false_sitting_s"]}
    with_truth = [r["truth"] for r in results if "truth" in r]
    if with_truth:
        errors = [e for t in with_truth for e in t["prompts"]["errors_s"]]
        rows = [row for t in with_truth for row in t["routines"]]
        overall["simulated"] = {
            "prompts_true": sum(t["prompts"]["true"] for t in with_truth),
            "prompts_said": sum(t["prompts"]["said"] for t in with_truth),
            "prompts_within_60s": len(errors),
            "prompts_outside_bout": sum(t["prompts"]["outside_bout"] for t in with_truth),
            "prompt_max_error_s": max((abs(e) for e in errors), default=None),
            "routines_true": len(rows),
            "routines_named_right": sum(1 for row in rows if row["said"] == row["name"]),
            "routines_reps_within_one": sum(1 for row in rows if row["said"] == row["name"]
                                            and abs(row["said_reps"] - row["reps"]) <= 1),
            "routines_said_wrongly": sum(len(t["routines_unmatched_said"]) for t in with_truth),
        }
    true = sum(r["transitions"]["true"] for r in labelled)
    found = sum(r["transitions"]["found"] for r in labelled)
    said = sum(r["transitions"]["said"] for r in labelled)
    said_right = sum(r["transitions"]["said_right"] for r in labelled)
    latencies = [x for r in labelled for x in r["transitions"]["latencies_s"]]
    overall["transitions"] = {
        "precision": said_right / said if said else None,
        "recall": found / true if true else None,
        "median_latency_s": float(np.median(latencies)) if latencies else None,
        "max_latency_s": float(max(latencies)) if latencies else None,
        "true": true,
    }
    return overall


def evaluate(folder: Path, use_calibration: bool = True, interpreter: str = "cpython",
             gravity: str = "filter") -> dict:
    try:
        paths = recording.find_recordings(folder)
    except recording.RecordingError as exc:
        raise CommandError(str(exc)) from None
    if not paths:
        raise CommandError(f"{folder} holds no lumbo-imu/1 recordings (*.csv or *.csv.gz)")
    try:
        recs = [recording.read(p) for p in paths]
    except recording.RecordingError as exc:
        raise CommandError(str(exc)) from None
    if interpreter == "micropython":
        runs = run_micropython(recs, use_calibration, gravity)
    else:
        runs = [run_cpython(rec, use_calibration, gravity) for rec in recs]
    results = [score(rec, run) for rec, run in zip(recs, runs, strict=True)]
    for path, run, result in zip(paths, runs, results, strict=True):
        truth = _load_truth(path)
        if truth is not None:
            result["truth"] = score_truth(truth, run)
    return {"recordings": results, "overall": summarize(results),
            "calibration": use_calibration, "interpreter": interpreter, "gravity": gravity}


def _secs(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f} s"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def print_report(report: dict, out=sys.stdout) -> None:
    source = "the tilt filter" if report["gravity"] == "filter" else "the mean accelerometer"
    print(f"posture, {'with' if report['calibration'] else 'without'} calibration, "
          f"firmware under {report['interpreter']}, gravity from {source}", file=out)
    for r in report["recordings"]:
        if r.get("accuracy_sitting") is None:
            print(f"  {r['name']:<28} (no labels)  {len(r['segments'])} segments", file=out)
            continue
        tr = r["transitions"]
        print(f"  {r['name']:<28} sitting {_pct(r['accuracy_sitting']):>7}  transitions {tr['found']}/{tr['true']}"
              f"  false sitting {sum(r['false_sitting_s'].values())} s", file=out)
    o = report["overall"]
    if not o:
        return
    print(f"overall sitting accuracy {_pct(o['accuracy_sitting'])}, worst recording "
          f"{_pct(o['worst_recording_accuracy'])} ({o['worst_recording']})", file=out)
    t = o["transitions"]
    lat = "-" if t["median_latency_s"] is None else f"{t['median_latency_s']:.1f} s (max {t['max_latency_s']:.1f} s)"
    print(f"transitions: precision {_pct(t['precision'])}, recall {_pct(t['recall'])} of {t['true']}, "
          f"median latency {lat}", file=out)
    states = [s for s in vocab.STATES]
    print("confusion (rows: label, columns: state said)", file=out)
    print("  " + " " * 10 + "".join(f"{s:>10}" for s in states), file=out)
    for lab in POSTURES:
        print("  " + f"{lab:<10}" + "".join(f"{o['confusion'][lab][s]:>10}" for s in states), file=out)
    print("false sitting seconds: " + ", ".join(f"{k} {v}" for k, v in o["false_sitting_s"].items()), file=out)
    sim = o.get("simulated")
    if sim:
        print(f"simulated days: prompts {sim['prompts_said']} said, {sim['prompts_true']} due; "
              f"{sim['prompts_within_60s']} within 60 s of one due (worst {_secs(sim['prompt_max_error_s'])}), "
              f"{sim['prompts_outside_bout']} outside a sitting bout", file=out)
        print(f"  routines: {sim['routines_true']} done, {sim['routines_named_right']} named right, "
              f"{sim['routines_reps_within_one']} with reps within one; {sim['routines_said_wrongly']} said "
              f"that were not done", file=out)


def _json_report(report: dict) -> dict:
    out = {"recordings": [], "overall": {}}
    for r in report["recordings"]:
        out["recordings"].append({"name": r["name"], "accuracy_sitting": r.get("accuracy_sitting"),
                                  "segments": r["segments"], "events": r["events"],
                                  **({"transitions": r["transitions"], "confusion": r["confusion"],
                                      "false_sitting_s": r["false_sitting_s"]} if "confusion" in r else {}),
                                  **({"truth": r["truth"]} if "truth" in r else {})})
    out["overall"] = report["overall"]
    out["calibration"] = report["calibration"]
    out["interpreter"] = report["interpreter"]
    out["gravity"] = report["gravity"]
    return out


def register(subparsers) -> None:
    parser = subparsers.add_parser("posture", help="sitting/standing/walking/lying per second, and transitions")
    parser.add_argument("folder", type=Path, metavar="DIR", help="a folder of lumbo-imu/1 recordings")
    parser.add_argument("--no-calibration", action="store_true",
                        help="ignore calibration_s: the firmware must find the upright by itself")
    parser.add_argument("--interpreter", choices=("cpython", "micropython"), default="cpython",
                        help="run the firmware under CPython (fast) or the MicroPython unix port")
    parser.add_argument("--gravity", choices=GRAVITY_SOURCES, default="filter",
                        help="the gravity direction the classifier gets: the tilt filter's (default) or the "
                             "mean accelerometer over each second")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=_main)


def _main(args) -> int:
    report = evaluate(args.folder, use_calibration=not args.no_calibration, interpreter=args.interpreter,
                      gravity=args.gravity)
    if args.json:
        print(json.dumps(_json_report(report)))
    else:
        print_report(report)
    return 0
