"""The truth of a simulated day, in the terms the product is judged by: labels, activity spans, sitting
bouts and the prompts an ideal device would have raised (with the wearer's settings' defaults), and the
routines done with their repetitions."""

import numpy as np

from lumbo.recording import Label
from lumbo.sim.activities import NAME, NOT_WORN_CODES, SITTING_CODES, label_of
from lumbo.sim.plan import Segment
from lumbo_shared import settings as shared_settings

TRUTH_FORMAT = "lumbo-sim-truth/1"
# A break this long after a prompt counts as the wearer answering it.
ANSWER_WINDOW_S = 300.0
_ROUTINES = {"extension": "extension", "pelvic_tilts": "pelvic_tilts", "hip_flexor": "hip_flexor_stretch"}


def runs(codes: np.ndarray, t_s: np.ndarray, end_s: float) -> list[tuple[float, float, int]]:
    """(start_s, end_s, code) for each run of equal codes; a run ends where the next begins."""
    if len(codes) == 0:
        return []
    edges = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate(([0], edges))
    out = []
    for i, a in enumerate(starts):
        end = float(t_s[starts[i + 1]]) if i + 1 < len(starts) else end_s
        out.append((float(t_s[a]), end, int(codes[a])))
    return out


def labels_from_runs(activity_runs: list[tuple[float, float, int]]) -> list[Label]:
    """Standard labels: neighbouring runs with the same label merge; unscored time gets no label."""
    labels: list[Label] = []
    for start, end, code in activity_runs:
        label = label_of(code)
        if not label:
            continue
        if labels and labels[-1].label == label and abs(labels[-1].end_s - start) < 1e-9:
            labels[-1] = Label(labels[-1].start_s, end, label)
        else:
            labels.append(Label(start, end, label))
    return labels


def sitting_bouts(activity_runs: list[tuple[float, float, int]], break_min_s: float) -> list[tuple[float, float]]:
    """Sitting bouts as the device should count them: sitting spans joined across any break (standing,
    a transition, the sensor off) shorter than break_min_s."""
    bouts: list[list[float]] = []
    for start, end, code in activity_runs:
        if code not in SITTING_CODES:
            continue
        if bouts and start - bouts[-1][1] < break_min_s:
            bouts[-1][1] = end
        else:
            bouts.append([start, end])
    return [(a, b) for a, b in bouts]


def prompts(bouts: list[tuple[float, float]], sit_limit_s: float, reprompt_s: float) -> list[dict]:
    out = []
    for start, end in bouts:
        when = start + sit_limit_s
        first = True
        while when < end:
            answered = end - when <= ANSWER_WINDOW_S
            out.append({"t_s": round(when, 3), "bout_start_s": round(start, 3), "kind": "first" if first else "repeat",
                        "break_after_s": round(end - when, 3) if answered else None})
            first = False
            when += reprompt_s
    return out


def build(segments: list[Segment], t_s: np.ndarray, codes: np.ndarray, end_s: float, extra: dict) -> dict:
    defaults = shared_settings.defaults()
    activity_runs = runs(codes, t_s, end_s)
    bouts = sitting_bouts(activity_runs, defaults["break_min_s"])
    prompt_list = prompts(bouts, defaults["sit_limit_s"], defaults["reprompt_s"])
    _name_responses(prompt_list, segments, bouts)
    routines = []
    exercises = []
    for seg in segments:
        if seg.kind in _ROUTINES:
            routines.append({"name": _ROUTINES[seg.kind], "start_s": round(seg.start_s, 3),
                             "end_s": round(seg.end_s, 3), "reps": len(seg.reps),
                             "rep_spans_s": [[round(a, 3), round(b, 3)] for a, b in seg.reps],
                             "cause": seg.cause or None})
        elif seg.kind in ("bend", "squat"):
            exercises.append({"name": seg.kind, "start_s": round(seg.start_s, 3), "end_s": round(seg.end_s, 3),
                              "reps": len(seg.reps)})
    sitting_s = sum(end - start for start, end, code in activity_runs if code in SITTING_CODES)
    worn_s = sum(end - start for start, end, code in activity_runs if code not in NOT_WORN_CODES)
    truth = {
        "format": TRUTH_FORMAT,
        **extra,
        "settings": {k: defaults[k] for k in ("sit_limit_s", "reprompt_s", "break_min_s")},
        "sitting_total_s": round(sitting_s, 3),
        "worn_total_s": round(worn_s, 3),
        "sitting_bouts": [{"start_s": round(a, 3), "end_s": round(b, 3), "duration_s": round(b - a, 3)}
                          for a, b in bouts],
        "prompts": prompt_list,
        "routines": routines,
        "exercises": exercises,
        "activities": [{"start_s": round(a, 3), "end_s": round(b, 3), "activity": NAME[code],
                        "label": label_of(code) or None} for a, b, code in activity_runs],
    }
    return truth


def _name_responses(prompt_list: list[dict], segments: list[Segment], bouts: list[tuple[float, float]]) -> None:
    """For each answered prompt, what the wearer did when the bout ended."""
    for prompt in prompt_list:
        prompt["response"] = None
        if prompt["break_after_s"] is None:
            continue
        bout_end = prompt["t_s"] + prompt["break_after_s"]
        for seg in segments:
            if seg.start_s < bout_end - 1e-6 or seg.kind in ("stand_up", "get_up"):
                continue
            if seg.kind == "stand" and seg.duration_s < 60.0:
                continue  # reading the prompt, getting ready
            prompt["response"] = _ROUTINES.get(seg.kind, seg.kind)
            break
