"""Counted movements done standing: bending forward, squatting, and the break routines (standing back
extension, pelvic tilts, half-kneeling hip flexor stretch). Each is a list of keyframes for the pelvis's
sagittal tilt, its height and how far it moves forwards, joined by minimum-jerk moves; the repetitions'
timing and depth were drawn by the planner, which also recorded their spans for the truth."""

import numpy as np

from lumbo.sim.activities import CODE
from lumbo.sim.body import Canvas, State, keyframes
from lumbo.sim.moves import DEG, local_time, put
from lumbo.sim.plan import Segment
from lumbo.sim.wearer import Wearer

_SEGMENT_CODE = {"bend": "standing", "squat": "standing", "extension": "routine_extension",
                 "pelvic_tilts": "routine_pelvic_tilts", "hip_flexor": "hip_flexor_stretch"}
_REP_CODE = {"bend": "bending", "squat": "squatting"}


class _Track:
    """Keyframes of (theta rad, z m, forward m) and the activity codes of time spans."""

    def __init__(self, s0: State, stand_z: float, lead_s: float) -> None:
        self.times = [0.0, max(lead_s, 0.3)]
        self.values = [(s0.theta, s0.z, 0.0), (0.0, stand_z, 0.0)]
        self.spans: list[tuple[float, float, int]] = []

    @property
    def clock(self) -> float:
        return self.times[-1]

    def move(self, duration_s: float, theta: float, z: float, forward: float) -> None:
        self.times.append(self.clock + duration_s)
        self.values.append((theta, z, forward))

    def hold(self, duration_s: float) -> None:
        self.move(duration_s, *self.values[-1])


def render_exercise(c: Canvas, seg: Segment, s0: State, w: Wearer, sl: slice) -> None:
    t = local_time(c, seg, sl)
    p = seg.params
    stand = w.stand_pelvis_height_m
    track = _Track(s0, stand, p.get("lead_in_s", 0.6))
    if seg.kind == "hip_flexor":
        _hip_flexor(track, p, stand)
    else:
        for rep in p["reps"]:
            start = track.clock
            _REPS[seg.kind](track, rep, stand)
            if seg.kind in _REP_CODE:
                track.spans.append((start, track.clock, CODE[_REP_CODE[seg.kind]]))
            track.hold(rep["pause_s"])
    values = keyframes(t, np.array(track.times), np.array(track.values))
    ease = np.clip(t / track.times[1], 0.0, 1.0)
    code = np.full(len(t), CODE[_SEGMENT_CODE[seg.kind]], dtype=np.int16)
    for start, end, value in track.spans:
        code[(t >= start) & (t < end)] = value
    forward = values[:, 2]
    put(c, sl, theta=values[:, 0], z=values[:, 1], phi=s0.phi * (1 - ease), rho=s0.rho * (1 - ease), psi=s0.psi,
        x=s0.x + forward * np.cos(s0.psi), y=s0.y + forward * np.sin(s0.psi), code=code)


def _bend(track: _Track, rep: dict, stand: float) -> None:
    # Bending comes about half from the hips: the pelvis tips forwards and the hips go back.
    track.move(rep["down_s"], -rep["depth_rad"], stand - rep["drop_m"], -0.06)
    track.hold(rep["hold_s"])
    track.move(rep["up_s"], 0.0, stand, 0.0)


def _squat(track: _Track, rep: dict, stand: float) -> None:
    track.move(rep["down_s"], rep["theta_rad"], rep["z_m"], -0.10)
    track.hold(rep["hold_s"])
    track.move(rep["up_s"], 0.0, stand, 0.0)


def _extension(track: _Track, rep: dict, stand: float) -> None:
    # Leaning back, the hips go forwards a little and drop slightly.
    track.move(rep["out_s"], rep["depth_rad"], stand - 0.01, 0.03)
    track.hold(rep["hold_s"])
    track.move(rep["back_s"], 0.0, stand, 0.0)


def _pelvic_tilt(track: _Track, rep: dict, stand: float) -> None:
    track.move(rep["back_s"], rep["back_rad"], stand - 0.005, 0.01)
    track.hold(rep["back_hold_s"])
    track.move(rep["fwd_s"], -rep["fwd_rad"], stand, -0.01)
    track.hold(rep["fwd_hold_s"])
    track.move(rep["home_s"], 0.0, stand, 0.0)


_REPS = {"bend": _bend, "squat": _squat, "extension": _extension, "pelvic_tilts": _pelvic_tilt}


def _hip_flexor(track: _Track, p: dict, stand: float) -> None:
    """Step forward and lower the back knee to the floor; hold each stretch with the pelvis tilted back
    a little; between holds come back to neutral and change legs; then stand up."""
    kneel = p["z_m"]
    track.times[1] = 0.3
    down_start = track.clock
    track.move(p["kneel_s"] * 0.5 - 0.15, -15 * DEG, (stand + kneel) / 2, 0.15)
    track.move(p["kneel_s"] * 0.5 - 0.15, 0.0, kneel, 0.30)
    track.spans.append((down_start, track.clock, CODE["kneel"]))
    for number, rep in enumerate(p["reps"]):
        track.move(1.5, rep["tilt_rad"], kneel - 0.01, 0.30 + rep["lunge_m"])
        track.hold(rep["hold_s"] - 1.5)
        if number + 1 < len(p["reps"]):
            track.move(rep["switch_s"] / 2, 0.0, kneel + 0.05, 0.30)
            track.move(rep["switch_s"] / 2, 0.0, kneel, 0.30)
    rise_start = track.clock
    track.move(p["rise_s"] * 0.5, -15 * DEG, (stand + kneel) / 2, 0.15)
    track.move(p["rise_s"] * 0.5, 0.0, stand, 0.0)
    track.spans.append((rise_start, track.clock, CODE["kneel"]))
