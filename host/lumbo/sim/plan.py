"""From scenario steps to timed segments: times resolved, the movements between postures inserted, and
every random choice a segment needs (depths, holds, repetitions) drawn here, so the truth is known
before anything is rendered."""

from dataclasses import dataclass, field

import numpy as np

from lumbo.sim import rotations
from lumbo.sim.body import State
from lumbo.sim.scenario import ROUTINE_REPS, Scenario, ScenarioError, Step, format_clock
from lumbo.sim.wearer import Wearer

# A line without a duration and without a later timed line: these kinds have a natural length.
DEFAULT_DURATION_S = {"calibrate": 10.0}
# The shortest a timed line may be once the movement into it is taken out.
MIN_SETTLED_S = 1.0
BED_PELVIS_HEIGHT_M = 0.60
# The wearer's support (what carries the body) each kind needs; "off" keeps whatever it finds.
SUPPORT = {"sit": "sit", "lie": "lie", "off": ""}


@dataclass
class Segment:
    kind: str
    start_s: float
    end_s: float
    params: dict = field(default_factory=dict)
    reps: list[tuple[float, float]] = field(default_factory=list)  # absolute spans of each repetition
    line: int = 0
    cause: str = ""

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class Plan:
    segments: list[Segment]
    start_clock_s: float | None  # time of day of t=0, if the scenario gave one
    duration_s: float
    initial: State


def standing_pose(wearer: Wearer) -> dict:
    return {"theta": 0.0, "phi": 0.0, "rho": 0.0, "z": wearer.stand_pelvis_height_m}


class Planner:
    """Lays steps out one after another; `t_s` is always the exact end of what has been planned."""

    def __init__(self, wearer: Wearer, rng: np.random.Generator, start_clock_s: float | None = None) -> None:
        self.wearer = wearer
        self.rng = rng
        self.start_clock_s = start_clock_s
        self.segments: list[Segment] = []
        self.support = "stand"
        self.t_s = 0.0
        self.initial = State(psi=float(rng.uniform(-np.pi, np.pi)), z=wearer.stand_pelvis_height_m)

    def add(self, step: Step, duration_s: float | None = None) -> list[Segment]:
        """Plan one step (its duration from the step, or from `duration_s`); return its segments."""
        self.meet_clock(step)
        if duration_s is None:
            duration_s = step.duration_s
        required = SUPPORT.get(step.kind, "stand")
        new = _plan_step(step, duration_s, self.t_s, self.support, required, self.wearer, self.rng)
        self.segments.extend(new)
        self.t_s = new[-1].end_s
        if required:
            self.support = required
        elif step.kind == "off":
            self.support = "stand"  # the sensor goes back on while standing
        return new

    def meet_clock(self, step: Step) -> None:
        """Check a timed step starts where the plan has got to (after a counted exercise, stand until then)."""
        if step.clock_s is None or self.start_clock_s is None or not self.segments:
            return
        wanted = step.clock_s - self.start_clock_s
        if wanted < self.t_s - 0.5:
            raise ScenarioError(
                f"line {step.line}: starts at {format_clock(step.clock_s)}, but the lines before it run "
                f"until {format_clock(self.start_clock_s + self.t_s)}; shorten them or move this line later"
            )
        if wanted > self.t_s + 0.5:
            if self.segments[-1].kind not in _REP_KINDS:
                raise ScenarioError(
                    f"line {step.line}: starts at {format_clock(step.clock_s)}, but the lines before it end "
                    f"at {format_clock(self.start_clock_s + self.t_s)}; leave out the previous line's duration "
                    "so it lasts until this one, or make it longer"
                )
            # After a counted exercise the wearer stands until the next timed line.
            self.segments.append(_stand_segment(self.t_s, wanted, self.rng, step.line))
            self.t_s = wanted

    def truncate(self, end_s: float) -> None:
        """End the last planned segment early (a sitting bout cut short by a prompt, say)."""
        last = self.segments[-1]
        if last.kind not in ("sit", "stand", "walk", "lie") or not last.start_s < end_s <= last.end_s:
            raise ValueError(f"cannot end a {last.kind} segment at {end_s:.1f} s")
        last.end_s = end_s
        self.t_s = end_s

    def plan(self) -> Plan:
        return Plan(segments=self.segments, start_clock_s=self.start_clock_s, duration_s=self.t_s,
                    initial=self.initial)


def make_plan(scenario: Scenario, wearer: Wearer, rng: np.random.Generator) -> Plan:
    steps = list(scenario.steps)
    start_clock = steps[0].clock_s
    if start_clock is None and any(step.clock_s is not None for step in steps):
        first = next(step for step in steps if step.clock_s is not None)
        raise ScenarioError(f"line {first.line}: give the first line a time of day too, so times can be placed")
    planner = Planner(wearer, rng, start_clock)
    for index, step in enumerate(steps):
        planner.meet_clock(step)
        planner.add(step, _duration(step, steps[index + 1:], start_clock, planner.t_s))
    return planner.plan()


_REP_KINDS = ("bend", "squat", "extension", "pelvic_tilts", "hip_flexor")
COUNTED = ("bend", "squat", "routine")


def reps_of(step: Step) -> int:
    if step.reps is not None:
        return step.reps
    return ROUTINE_REPS.get(step.variant, 1)


def _duration(step: Step, later: list[Step], start_clock: float | None, t: float) -> float | None:
    if step.kind in COUNTED:
        return None
    if step.duration_s is not None:
        return step.duration_s
    for nxt in later:
        if nxt.clock_s is not None and start_clock is not None:
            remaining = nxt.clock_s - start_clock - t
            if remaining <= 0:
                raise ScenarioError(f"line {step.line}: the next timed line (line {nxt.line}) leaves it no time")
            return remaining
        break
    if step.kind in DEFAULT_DURATION_S:
        return DEFAULT_DURATION_S[step.kind]
    raise ScenarioError(
        f"line {step.line}: {step.kind} needs a duration (e.g. '{step.kind} 10m'), or a time of day on the next line"
    )


def _plan_step(step: Step, duration: float | None, t: float, support: str, required: str, wearer: Wearer,
               rng: np.random.Generator) -> list[Segment]:
    kind = step.variant if step.kind == "routine" else step.kind
    body = _plan_body(step, kind, wearer, rng)
    out: list[Segment] = []
    if required and required != support:
        transition = _plan_transition(support, required, body, wearer, rng)
        length = transition.pop("duration_s")
        if duration is not None:
            if duration - length < MIN_SETTLED_S:
                raise ScenarioError(
                    f"line {step.line}: {duration:g} s is too short for {step.kind} and the "
                    f"{length:.1f} s movement into it; give it at least {length + MIN_SETTLED_S:.0f} s"
                )
            duration -= length
        out.append(Segment(kind=transition.pop("kind"), start_s=t, end_s=t + length, params=transition,
                           line=step.line, cause=step.cause))
        t += length
    if duration is None:
        duration, reps = _rep_schedule(kind, body, t)
    else:
        reps = []
        if step.kind == "off":
            body.update(_plan_off(duration, rng))
    out.append(Segment(kind=kind, start_s=t, end_s=t + duration, params=body, reps=reps, line=step.line,
                       cause=step.cause))
    return out


def _stand_segment(start: float, end: float, rng: np.random.Generator, line: int) -> Segment:
    return Segment(kind="stand", start_s=start, end_s=end, params={"seed": _seed(rng), "still": False}, line=line)


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**63 - 1))


def _plan_body(step: Step, kind: str, wearer: Wearer, rng: np.random.Generator) -> dict:
    """Parameters a segment needs, drawn now."""
    p: dict = {"seed": _seed(rng)}
    u = rng.uniform
    if kind in ("stand", "calibrate"):
        p["still"] = kind == "calibrate"
    elif kind == "sit":
        slouch = float(step.params.get("slouch", wearer.slouch_habit))
        p["slouch_mean"] = slouch
        p["slouch0"] = float(np.clip(slouch + rng.normal(0, 0.1), 0, 1))
        p["phi0_rad"] = float(np.radians(rng.normal(0, 1.5)))
        # Office workers: about 9 posture shifts and 13 fidgets per 15 minutes.
        p["shifts_per_s"] = float(step.params.get("shifts", 9.0 * wearer.restlessness)) / 900.0
        p["fidgets_per_s"] = float(step.params.get("fidgets", 13.0 * wearer.restlessness)) / 900.0
        p["reaches_per_s"] = 0.6 * wearer.restlessness / 900.0
    elif kind in ("walk", "stairs"):
        cadence = float(step.params.get("cadence", wearer.cadence_steps_per_s * (1 + rng.normal(0, 0.02))))
        if kind == "stairs":
            going_up = step.variant != "down"
            p["up"] = going_up
            # Stair gait is slower going up and about as quick as walking going down.
            cadence *= u(0.82, 0.92) if going_up else u(0.95, 1.05)
        p["cadence_steps_per_s"] = cadence
        p["turns_per_s"] = float(step.params.get("turns", 2.0)) / 60.0
    elif kind == "lie":
        p["side"] = step.variant or "back"
        # Lying on the back the lumbar curve flattens and the pelvis tips a little further back than 90.
        p["theta_rad"] = float(np.radians(94 + rng.normal(0, 4)))
    elif kind == "bend":
        p["reps"] = [
            {"down_s": u(0.8, 1.4), "hold_s": step.params.get("hold", u(1.0, 3.0)), "up_s": u(0.8, 1.4),
             "pause_s": u(0.8, 2.0), "depth_rad": np.radians(wearer.bend_range_deg * u(0.75, 1.1)),
             "drop_m": u(0.03, 0.10)}
            for _ in range(reps_of(step))
        ]
    elif kind == "squat":
        p["reps"] = [
            {"down_s": u(1.2, 2.0), "hold_s": step.params.get("hold", u(2.0, 8.0)), "up_s": u(1.2, 2.0),
             "pause_s": u(1.0, 2.0), "theta_rad": np.radians(u(-30.0, 10.0)), "z_m": u(0.40, 0.52)}
            for _ in range(reps_of(step))
        ]
    elif kind == "extension":
        # Standing back extension: lean back slowly, short hold at the end of the range, return.
        p["reps"] = [
            {"out_s": u(1.2, 2.0), "hold_s": u(0.8, 2.0), "back_s": u(1.2, 2.0), "pause_s": u(0.4, 1.2),
             "depth_rad": np.radians(wearer.extension_range_deg * u(0.8, 1.05))}
            for _ in range(reps_of(step))
        ]
    elif kind == "pelvic_tilts":
        # Rock the pelvis backwards and hold a few seconds, then forwards and hold.
        p["reps"] = [
            {"back_s": u(1.0, 1.6), "back_hold_s": u(2.0, 4.0), "fwd_s": u(1.4, 2.2), "fwd_hold_s": u(2.0, 4.0),
             "home_s": u(0.8, 1.2), "pause_s": u(0.3, 1.0),
             "back_rad": np.radians(wearer.pelvic_tilt_back_deg * u(0.8, 1.1)),
             "fwd_rad": np.radians(wearer.pelvic_tilt_forward_deg * u(0.8, 1.1))}
            for _ in range(reps_of(step))
        ]
    elif kind == "hip_flexor":
        # Half-kneeling, pelvis tilted a little backwards until the front of the hip stretches: 3 x 30 s.
        p["kneel_s"] = u(2.0, 3.0)
        p["rise_s"] = u(2.0, 3.0)
        p["z_m"] = wearer.stand_pelvis_height_m * u(0.6, 0.68)
        p["reps"] = [
            {"hold_s": u(27.0, 33.0), "switch_s": u(4.0, 8.0), "tilt_rad": np.radians(u(4.0, 10.0)),
             "lunge_m": u(0.03, 0.08)}
            for _ in range(reps_of(step))
        ]
    return p


def _rep_schedule(kind: str, p: dict, t: float) -> tuple[float, list[tuple[float, float]]]:
    """Lay the repetitions out in time; return the segment's length and each rep's absolute span."""
    lead_in = {"extension": 2.0, "pelvic_tilts": 1.5}.get(kind, 0.6)
    clock = t + lead_in
    spans = []
    if kind == "hip_flexor":
        clock = t + p["kneel_s"]
        for i, rep in enumerate(p["reps"]):
            spans.append((clock, clock + rep["hold_s"]))
            clock += rep["hold_s"] + (rep["switch_s"] if i + 1 < len(p["reps"]) else 0.0)
        clock += p["rise_s"] + 0.6
        p["lead_in_s"] = 0.0
        return clock - t, spans
    for rep in p["reps"]:
        moving = sum(v for k, v in rep.items() if k.endswith("_s") and k != "pause_s")
        spans.append((clock, clock + moving))
        clock += moving + rep["pause_s"]
    p["lead_in_s"] = lead_in
    return clock - t + 0.6, spans


def _plan_off(duration: float, rng: np.random.Generator) -> dict:
    take, put = rng.uniform(2.0, 4.0), rng.uniform(2.0, 4.0)
    if take + put > 0.8 * duration:
        take = put = 0.4 * duration
    face_up = rng.uniform() < 0.7
    # On a desk: lying flat on its back or face, turned any way.
    flat = rotations.about_axis(0, 0.0 if face_up else np.pi)
    desk = rotations.multiply(rotations.about_axis(2, rng.uniform(-np.pi, np.pi)), flat)
    return {"take_off_s": float(take), "put_on_s": float(put), "desk_quat": desk,
            "desk_offset_m": np.array([rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), 0.0]),
            "desk_height_m": float(rng.uniform(0.70, 0.78))}


def _plan_transition(support: str, required: str, body: dict, wearer: Wearer, rng: np.random.Generator) -> dict:
    """The movement from one support to another: sitting down, standing up, lying down, getting up. Each
    is one or two legs (lumbo.sim.moves.render_transition): a target pose, a duration, a forward trunk
    lean, a turn and a step."""
    u = rng.uniform
    seat = wearer.seat_pelvis_height_m
    stand = standing_pose(wearer)
    sit_pose = {"theta": np.radians(wearer.sit_tilt_deg + wearer.slouch_extra_deg * body.get("slouch0", 0.3)),
                "phi": body.get("phi0_rad", 0.0), "rho": 0.0, "z": seat}
    edge = dict(sit_pose, z=BED_PELVIS_HEIGHT_M - 0.05)
    lean = np.radians(wearer.sit_lean_deg * u(0.85, 1.15))

    def sit_stand_s() -> float:
        return wearer.sit_stand_s * u(0.8, 1.25)

    def swing() -> float:
        # Swinging the legs onto (or off) the bed turns the body a quarter turn or so.
        return np.radians(u(60, 110)) * rng.choice((-1, 1))

    if required == "lie":
        side = body.get("side", "back")
        lie_pose = {"theta": body.get("theta_rad", np.pi / 2), "phi": 0.0, "rho": LIE_ROLL_RAD[side],
                    "z": BED_PELVIS_HEIGHT_M}
        if side == "front":
            lie_pose["theta"] = -lie_pose["theta"]
        legs = [{"to": lie_pose, "duration_s": u(3.0, 5.0), "lean_rad": 0.0, "turn_rad": swing(), "step_m": 0.0,
                 "phase": "recline"}]
        if support == "stand":
            legs.insert(0, {"to": edge, "duration_s": sit_stand_s(), "lean_rad": lean,
                            "turn_rad": np.radians(rng.normal(0, 40)), "step_m": -0.15, "phase": "lower"})
        kind = "lie_down"
    elif support == "lie":
        legs = [{"to": edge if required == "stand" else sit_pose, "duration_s": u(3.0, 5.0),
                 "lean_rad": np.radians(10), "turn_rad": swing(), "step_m": 0.0, "phase": "sit_up"}]
        if required == "stand":
            legs.append({"to": stand, "duration_s": sit_stand_s(), "lean_rad": lean,
                         "turn_rad": np.radians(rng.normal(0, 30)), "step_m": 0.15, "phase": "rise"})
        kind = "get_up"
    elif required == "sit":
        # Walking up to a chair, people turn round before sitting down.
        legs = [{"to": sit_pose, "duration_s": sit_stand_s(), "lean_rad": lean,
                 "turn_rad": np.radians(rng.normal(0, 60)), "step_m": -0.15, "phase": "lower"}]
        kind = "sit_down"
    else:
        legs = [{"to": stand, "duration_s": sit_stand_s(), "lean_rad": lean, "turn_rad": np.radians(rng.normal(0, 30)),
                 "step_m": 0.15, "phase": "rise"}]
        kind = "stand_up"
    return {"kind": kind, "legs": legs, "seed": _seed(rng),
            "duration_s": float(sum(leg["duration_s"] for leg in legs))}


# Rolling about the trunk onto a side (rad); face down is a sagittal tilt of -90 degrees instead.
LIE_ROLL_RAD = {"back": 0.0, "left": np.pi / 2, "right": -np.pi / 2, "front": 0.0}
