"""Walking and stairs: the pelvis rises and falls once a step, sways sideways and rotates once a stride,
surges forwards and back, and takes a short jolt at each heel strike that rocks the clip on the belt.

Figures for the lower trunk in adult gait: about 1.8 steps/s; vertical excursion of the pelvis about 4-5 cm
peak to peak; pelvic obliquity and rotation of a few degrees each way; lower-trunk acceleration RMS of
roughly 2 m/s^2 vertically, 1.5 forwards and 1 sideways.
"""

import numpy as np

from lumbo.sim.activities import CODE
from lumbo.sim.body import Canvas, State, keyframes, min_jerk, poisson_times
from lumbo.sim.moves import DEG, local_time, put
from lumbo.sim.plan import Segment
from lumbo.sim.wearer import Wearer

STAIR_RISER_M = 0.17
STAIR_TREAD_M = 0.29
HEEL_PULSE_S = 0.03  # width of the heel-strike jolt
CLIP_RING_HZ = 6.0  # the clip rocks on the belt at about this rate after a jolt
CLIP_DECAY_S = 0.08


def _ricker(x: np.ndarray) -> np.ndarray:
    """A zero-area pulse (the second derivative of a Gaussian), 1 at x = 0."""
    return (1.0 - 2.0 * x * x) * np.exp(-x * x)


def slow_wander(rng: np.random.Generator, t: np.ndarray, period_s: float) -> np.ndarray:
    """A smooth random wander with unit spread, changing over about period_s (sum of a few sines)."""
    out = np.zeros(len(t))
    for k in range(4):
        freq = rng.uniform(0.5, 1.5) / period_s * (k + 1)
        out += np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi)) / np.sqrt(2.0)
    return out / 2.0


def render_gait(c: Canvas, seg: Segment, s0: State, w: Wearer, sl: slice) -> None:
    t = local_time(c, seg, sl)
    if len(t) < 2:
        put(c, sl, theta=s0.theta, phi=s0.phi, rho=s0.rho, psi=s0.psi, x=s0.x, y=s0.y, z=s0.z,
            code=CODE["walking"])
        return
    p = seg.params
    rng = np.random.default_rng(p["seed"])
    length = seg.duration_s
    stairs = seg.kind == "stairs"
    up = bool(p.get("up", True))
    dt = np.gradient(t)
    ramp = min(1.2, length / 4.0)
    envelope = min_jerk(t / ramp) * min_jerk((length - t) / ramp)
    settle = min_jerk(t / ramp)

    cadence = p["cadence_steps_per_s"] * (1.0 + 0.015 * slow_wander(rng, t, 20.0))
    phase = 2 * np.pi * (np.cumsum(cadence * dt) - cadence[0] * dt[0])
    steps = phase / (2 * np.pi)

    # Heading: turns along the way (a corridor's end, a desk); on stairs a half turn at each landing.
    times, headings = [0.0], [s0.psi]
    climbing = np.ones(len(t))
    if stairs:
        flight = int(rng.integers(10, 15))
        landing_steps = 2.0
        period = flight + landing_steps
        within = np.mod(steps, period)
        climbing = (within < flight).astype(np.float64)
        # Smooth the switch between flight and landing over half a step.
        climbing = np.convolve(climbing, np.ones(max(1, int(0.25 / np.median(dt)))) /
                               max(1, int(0.25 / np.median(dt))), mode="same")
        direction = rng.choice((-1.0, 1.0))
        for k in range(1, int(steps[-1] // period) + 1):
            start = float(np.interp(k * period - landing_steps + 0.2, steps, t))
            end = float(np.interp(k * period - 0.2, steps, t))
            if end < length - ramp:
                times += [start, end]
                headings += [headings[-1], headings[-1] + direction * np.pi]
    else:
        for when in poisson_times(rng, p["turns_per_s"], ramp + 1.0, length - ramp - 2.5, 4.0):
            angle = rng.uniform(30.0, 180.0) * DEG * rng.choice((-1.0, 1.0))
            times += [when, when + 0.6 + abs(angle) / (150 * DEG)]
            headings += [headings[-1], headings[-1] + angle]
    psi = keyframes(t, np.array(times), np.array(headings))

    omega = phase
    if stairs:
        speed = STAIR_TREAD_M * cadence * envelope
        lean = (-8.0 if up else -3.0) * DEG
        bounce = w.walk_bounce_m * 1.2
    else:
        speed = w.step_length_m * cadence * envelope
        lean = -3.0 * DEG
        bounce = w.walk_bounce_m
    # Forward surge: slower after heel strike, faster in mid stance (step and twice-step rhythms).
    surge = envelope * w.walk_surge_mps * (np.sin(omega - 0.6) + 0.3 * np.sin(2 * omega + 0.4))
    forward = speed + surge
    heading_x, heading_y = np.cos(psi), np.sin(psi)
    x = s0.x + np.cumsum(forward * heading_x * dt) - forward[0] * heading_x[0] * dt[0]
    y = s0.y + np.cumsum(forward * heading_y * dt) - forward[0] * heading_y[0] * dt[0]
    # Sideways sway once a stride, towards the standing leg.
    side = 0.022 * envelope * np.sin(omega / 2)
    x += -heading_y * side
    y += heading_x * side
    # Up and down: lowest just after heel strike (double support), highest in mid stance.
    z = s0.z + (w.stand_pelvis_height_m - s0.z) * settle
    z = z - bounce * envelope * (np.cos(omega) + 0.15 * np.cos(2 * omega + 0.5))
    if stairs:
        climb_rate = (1.0 if up else -1.0) * STAIR_RISER_M * cadence * envelope * climbing
        z = z + np.cumsum(climb_rate * dt) - climb_rate[0] * dt[0]
    theta = s0.theta * (1 - settle) + lean * envelope + w.pelvic_tilt_gait_deg * DEG * envelope * np.sin(omega + 1.0)
    phi = s0.phi * (1 - settle) + w.pelvic_obliquity_deg * DEG * envelope * np.sin(omega / 2 + np.pi / 2)
    rho = s0.rho * (1 - settle) + w.pelvic_rotation_deg * DEG * envelope * np.sin(omega / 2)
    code = CODE["walking"] if not stairs else CODE["stairs_up"] if up else CODE["stairs_down"]
    put(c, sl, theta=theta, phi=phi, rho=rho, psi=psi, x=x, y=y, z=z, code=code)

    # Heel strike: a jolt up (and a brake backwards, and a push to the side of the new standing leg).
    since_s = (steps - np.floor(steps)) / cadence
    pulse = _ricker((since_s - 2.5 * HEEL_PULSE_S) / HEEL_PULSE_S) * w.heel_strike_g * envelope
    foot = np.where(np.mod(np.floor(steps), 2) == 0, 1.0, -1.0)
    c.impact_g[2, sl] += pulse
    c.impact_g[0, sl] -= 0.4 * pulse
    c.impact_g[1, sl] += 0.25 * pulse * foot
    ring = np.exp(-since_s / CLIP_DECAY_S) * np.sin(2 * np.pi * CLIP_RING_HZ * since_s)
    play = w.clip_play_deg * DEG * envelope * ring
    c.wobble[1, sl] += play
    c.wobble[0, sl] += 0.4 * play * foot
