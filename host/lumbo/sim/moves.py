"""Renderers for the postures and the movements between them: standing, sitting, lying, the sensor off the
body, and sitting down, standing up, lying down and getting up.

Each renderer fills its slice of the Canvas, starting from the State the body was left in and settling
into its own posture; it ends at rest so the next one can start from there.
"""

import numpy as np

from lumbo.sim.activities import CODE
from lumbo.sim.body import Canvas, OffSpan, State, bump, keyframes, min_jerk, poisson_times
from lumbo.sim.plan import LIE_ROLL_RAD, Segment
from lumbo.sim.wearer import Wearer

DEG = np.pi / 180.0


def put(c: Canvas, sl: slice, *, theta=None, phi=None, rho=None, psi=None, x=None, y=None, z=None, code=None):
    """Write channels (arrays or scalars) into a slice of the canvas."""
    if theta is not None:
        c.theta[sl] = theta
    if phi is not None:
        c.phi[sl] = phi
    if rho is not None:
        c.rho[sl] = rho
    if psi is not None:
        c.psi[sl] = psi
    if x is not None:
        c.pos[0, sl] = x
    if y is not None:
        c.pos[1, sl] = y
    if z is not None:
        c.pos[2, sl] = z
    if code is not None:
        c.code[sl] = code


def local_time(c: Canvas, seg: Segment, sl: slice) -> np.ndarray:
    return c.t_s[sl] - seg.start_s


def settle_s(duration_s: float) -> float:
    """How long a segment takes to blend from where the body was into its own posture."""
    return min(1.0, duration_s / 3.0)


def render_stand(c: Canvas, seg: Segment, s0: State, w: Wearer, sl: slice) -> None:
    t = local_time(c, seg, sl)
    rng = np.random.default_rng(seg.params["seed"])
    length = seg.duration_s
    blend = settle_s(length)
    still = bool(seg.params.get("still"))
    # Weight shifts from foot to foot tilt the pelvis sideways a little; standing people also turn round.
    shifts = np.zeros(0) if still else poisson_times(rng, 1 / 20.0, blend, length - 3.0, 2.5)
    turns = np.zeros(0) if still else poisson_times(rng, 1 / 60.0, blend, length - 4.0, 4.0)
    phi_times, phi_values = [0.0, blend], [s0.phi, 0.0]
    for when in shifts:
        phi_times += [when, when + rng.uniform(0.8, 1.5)]
        phi_values += [phi_values[-1], rng.normal(0, 1.5) * DEG]
    psi_times, psi_values = [0.0], [s0.psi]
    for when in turns:
        psi_times += [when, when + rng.uniform(1.0, 2.0)]
        psi_values += [psi_values[-1], psi_values[-1] + rng.normal(0, 40) * DEG]
    ease = min_jerk(t / blend)
    put(c, sl, theta=s0.theta * (1 - ease), rho=s0.rho * (1 - ease),
        phi=keyframes(t, np.array(phi_times), np.array(phi_values)),
        psi=keyframes(t, np.array(psi_times), np.array(psi_values)),
        x=s0.x, y=s0.y, z=s0.z + (w.stand_pelvis_height_m - s0.z) * ease,
        code=CODE["calibration"] if still else CODE["standing"])


def sitting_theta(w: Wearer, slouch) -> np.ndarray:
    return (w.sit_tilt_deg + w.slouch_extra_deg * np.asarray(slouch)) * DEG


def render_sit(c: Canvas, seg: Segment, s0: State, w: Wearer, sl: slice) -> None:
    t = local_time(c, seg, sl)
    p = seg.params
    rng = np.random.default_rng(p["seed"])
    length = seg.duration_s
    blend = settle_s(length)
    quiet_end = length - 3.0
    # Posture shifts: a new slouch, a new sideways lean, the chair turned a little.
    shifts = poisson_times(rng, p["shifts_per_s"], blend + 1.0, quiet_end, 3.0)
    times = [0.0, blend]
    slouch = [p["slouch0"], p["slouch0"]]
    phi = [s0.phi, p["phi0_rad"]]
    psi = [s0.psi, s0.psi]
    for when in shifts:
        times += [when, when + rng.uniform(1.0, 2.5)]
        slouch += [slouch[-1], float(np.clip(p["slouch_mean"] + rng.normal(0, 0.25), 0.0, 1.0))]
        phi += [phi[-1], rng.normal(0, 2.0) * DEG]
        psi += [psi[-1], psi[-1] + rng.normal(0, 12) * DEG]
    track = keyframes(t, np.array(times), np.column_stack((slouch, phi, psi)))
    # Blend from where the sit-down movement left the pelvis into the seated posture.
    ease = min_jerk(t / blend)
    theta = sitting_theta(w, track[:, 0])
    theta = s0.theta + (theta - s0.theta) * ease
    rho = s0.rho * (1 - ease)
    z = s0.z + (w.seat_pelvis_height_m - s0.z) * ease
    code = np.where(track[:, 0] >= 0.5, CODE["sitting_slouched"], CODE["sitting_upright"]).astype(np.int16)
    x = np.full(len(t), s0.x)
    y = np.full(len(t), s0.y)
    # Fidgets: short movements that come back to where they started.
    for when in poisson_times(rng, p["fidgets_per_s"], blend + 0.5, quiet_end, 1.0):
        width = rng.uniform(0.6, 2.0)
        part = (t >= when) & (t < when + width)
        shape = bump((t[part] - when) / width, rng.uniform(0.4, 0.6))
        theta[part] += rng.normal(0, 2.0) * DEG * shape
        rho[part] += rng.normal(0, 3.0) * DEG * shape
        z[part] += rng.normal(0, 0.006) * shape
        x[part] += rng.normal(0, 0.008) * shape
    put(c, sl, phi=track[:, 1], psi=track[:, 2])
    # Reaching down to the floor or a low drawer from the chair: the trunk leans well forward.
    for when in poisson_times(rng, p["reaches_per_s"], blend + 1.0, quiet_end - 5.0, 10.0):
        down, hold, up = rng.uniform(0.9, 1.4), rng.uniform(1.0, 3.0), rng.uniform(0.9, 1.4)
        depth = rng.uniform(25.0, 45.0) * DEG
        part = (t >= when) & (t < when + down + hold + up)
        lean = keyframes(t[part], np.array([when, when + down, when + down + hold, when + down + hold + up]),
                         np.array([0.0, depth, depth, 0.0]))
        theta[part] -= lean
        code[part] = CODE["seated_reach"]
    put(c, sl, theta=theta, rho=rho, x=x, y=y, z=z, code=code)


def render_lie(c: Canvas, seg: Segment, s0: State, w: Wearer, sl: slice) -> None:
    t = local_time(c, seg, sl)
    p = seg.params
    rng = np.random.default_rng(p["seed"])
    length = seg.duration_s
    blend = settle_s(length)
    theta = -p["theta_rad"] if p["side"] == "front" else p["theta_rad"]
    roll = LIE_ROLL_RAD[p["side"]]
    times, rolls = [0.0, blend], [s0.rho, roll]
    # Now and then the body rolls a little and settles again.
    for when in poisson_times(rng, 1 / 90.0, blend + 1.0, length - 4.0, 4.0):
        times += [when, when + rng.uniform(1.5, 3.0)]
        rolls += [rolls[-1], roll + rng.normal(0, 8) * DEG]
    ease = min_jerk(t / blend)
    put(c, sl, theta=s0.theta + (theta - s0.theta) * ease, phi=s0.phi * (1 - ease),
        rho=keyframes(t, np.array(times), np.array(rolls)), psi=s0.psi, x=s0.x, y=s0.y, z=s0.z, code=CODE["lying"])


_TRANSITION_CODE = {"sit_down": "sit_down", "stand_up": "stand_up", "lie_down": "lie_down", "get_up": "get_up"}

# When, within a movement (as fractions of it), each part happens: (start, end) of the change of tilt, of
# the forward trunk lean (and where it peaks), of the hips' height, of the turn and of the step.
_PHASES = {
    "lower": {"tilt": (0.3, 0.9), "lean": (0.1, 0.65, 0.55), "hips": (0.2, 0.85), "turn": (0.0, 0.35),
              "step": (0.2, 0.9)},
    "rise": {"tilt": (0.0, 0.45), "lean": (0.0, 0.55, 0.42), "hips": (0.2, 0.75), "turn": (0.55, 0.9),
             "step": (0.2, 0.8)},
    "recline": {"tilt": (0.3, 0.65), "lean": (0.0, 0.5, 0.5), "hips": (0.2, 0.8), "turn": (0.1, 0.5),
                "step": (0.1, 0.6)},
    "sit_up": {"tilt": (0.15, 0.55), "lean": (0.3, 0.8, 0.5), "hips": (0.2, 0.8), "turn": (0.4, 0.8),
               "step": (0.3, 0.9)},
}


def _part(f: np.ndarray, window: tuple) -> np.ndarray:
    return np.clip((f - window[0]) / (window[1] - window[0]), 0.0, 1.0)


def render_transition(c: Canvas, seg: Segment, s0: State, w: Wearer, sl: slice) -> None:
    """One or two movements (legs) from the current pose to a target pose. Within each, the parts of the
    movement overlap as they do in people: sitting down, the turn to the seat comes first, then the trunk
    leans forward while the hips lower, and the pelvis tips back onto the seat; standing up, the lean and
    the forward tip come first and the hips rise after. At the end the body settles with a small shift."""
    t = local_time(c, seg, sl)
    rng = np.random.default_rng(seg.params.get("seed", 0))
    theta = np.empty(len(t))
    phi, rho, psi = np.empty(len(t)), np.empty(len(t)), np.empty(len(t))
    x, y, z = np.empty(len(t)), np.empty(len(t)), np.empty(len(t))
    start = s0
    leg_start = 0.0
    for number, leg in enumerate(seg.params["legs"]):
        last = number == len(seg.params["legs"]) - 1
        width = leg["duration_s"]
        part = (t >= leg_start) & ((t < leg_start + width) | last)
        f = (t[part] - leg_start) / width
        to = leg["to"]
        phases = _PHASES[leg.get("phase", "lower")]
        tilt = min_jerk(_part(f, phases["tilt"]))
        lean_window = phases["lean"]
        lean = leg["lean_rad"] * bump(_part(f, lean_window[:2]), lean_window[2])
        settle = bump(_part(f, (0.6, 1.0)))
        theta[part] = start.theta + (to["theta"] - start.theta) * tilt - lean + rng.normal(0, 4.0) * DEG * settle
        phi[part] = start.phi + (to["phi"] - start.phi) * tilt + rng.normal(0, 3.0) * DEG * settle
        rho[part] = start.rho + (to["rho"] - start.rho) * tilt
        z[part] = start.z + (to["z"] - start.z) * min_jerk(_part(f, phases["hips"]))
        turn = leg["turn_rad"] * min_jerk(_part(f, phases["turn"]))
        psi[part] = start.psi + turn + rng.normal(0, 12.0) * DEG * settle
        step = leg["step_m"] * min_jerk(_part(f, phases["step"]))
        x[part] = start.x + step * np.cos(start.psi)
        y[part] = start.y + step * np.sin(start.psi)
        start = State(theta=to["theta"], phi=to["phi"], rho=to["rho"], psi=start.psi + leg["turn_rad"],
                      x=start.x + leg["step_m"] * np.cos(start.psi), y=start.y + leg["step_m"] * np.sin(start.psi),
                      z=to["z"])
        leg_start += width
    put(c, sl, theta=theta, phi=phi, rho=rho, psi=psi, x=x, y=y, z=z, code=CODE[_TRANSITION_CODE[seg.kind]])


def render_off(c: Canvas, seg: Segment, s0: State, w: Wearer, sl: slice) -> None:
    """The sensor is taken off, left on a desk and put back on. The pelvis channels only matter again when
    it is back on: meanwhile they move the body to standing, where the sensor is put back on."""
    t = local_time(c, seg, sl)
    p = seg.params
    ease = min_jerk(t / seg.duration_s)
    put(c, sl, theta=s0.theta * (1 - ease), phi=s0.phi * (1 - ease), rho=s0.rho * (1 - ease), psi=s0.psi,
        x=s0.x, y=s0.y, z=s0.z + (w.stand_pelvis_height_m - s0.z) * ease)
    code = np.full(len(t), CODE["not_worn"], dtype=np.int16)
    code[t < p["take_off_s"]] = CODE["take_off"]
    code[t >= seg.duration_s - p["put_on_s"]] = CODE["put_on"]
    c.code[sl] = code
    desk_offset = np.array(p["desk_offset_m"], dtype=np.float64)
    desk_offset[2] = p["desk_height_m"]
    c.off_spans.append(OffSpan(start=sl.start, end=sl.stop, take_off_s=p["take_off_s"], put_on_s=p["put_on_s"],
                               desk_quat=np.asarray(p["desk_quat"]), desk_offset_m=desk_offset))
