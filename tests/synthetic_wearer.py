"""A synthetic wearer for checking pelvic tilt: a scripted day-in-miniature with a known pelvis orientation.

The pelvis carries a body frame: x forward, y to the wearer's left, z up. Its orientation in the world is

    R_world_body = Rz(heading) @ Ry(-sagittal) @ Rx(lateral)

so a positive `sagittal` angle tilts the pelvis backwards (its top goes back, as when slumping in a chair)
and a positive `lateral` angle tilts it to the wearer's right. The IMU sits on the pelvis in any of the
rotations a clip allows (`mounting`, a uniformly random rotation), with a constant gyro bias, white noise
and int16 quantisation, sampled by a chip whose clock runs a little fast or slow.

The script alternates standing, walking, sitting (with slumps and fidgets), the transitions between them
and a forward bend. Walking moves the pelvis as gait does (tilt at the step rate, obliquity and rotation
at the stride rate, vertical and fore-aft acceleration) so the filter meets linear acceleration; the
transitions swing the pelvis through 20-40 degrees about its left-right axis.

Ground truth uses the same projected angles the firmware reports: the world's "up" seen in the pelvis
frame, projected on the sagittal plane (sagittal tilt) and on the frontal plane (lateral tilt), relative to
the upright stance; so the check measures estimation error, not a difference of conventions.

Nothing here tunes the filter: the numbers are typical of published pelvis kinematics (tilt about
+-2 deg and obliquity about +-4 deg while walking, 15-30 deg posterior tilt when sitting, 0.2-0.6 deg sway
when standing quietly) and of MEMS
sensors (gyro bias up to 5 dps, noise about 0.1 dps and 2 mg per sample).
"""

from dataclasses import dataclass, field

import numpy as np

STANDING, WALKING, SITTING, TRANSITION, BENDING = "standing", "walking", "sitting", "transition", "bending"
G_MPS2 = 9.81


@dataclass
class Wearer:
    t_s: np.ndarray  # sample times by the chip's clock, as the host sees them
    accel_g: np.ndarray  # (n, 3) sensor frame
    gyro_dps: np.ndarray  # (n, 3) sensor frame, bias included
    sagittal_deg: np.ndarray  # (n,) truth, positive backwards, relative to the upright stance
    lateral_deg: np.ndarray  # (n,) truth, positive to the wearer's right
    activity: np.ndarray  # (n,) object array of the names above
    mounting: np.ndarray  # (3, 3) R_body_sensor
    gyro_bias_dps: np.ndarray
    calibration_s: tuple[float, float] | None
    segments: list[tuple[float, float, str]] = field(default_factory=list)


def _rx(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _ry(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation matrix (from a random unit quaternion)."""
    q = rng.normal(size=4)
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def _smooth_step(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _script(rng: np.random.Generator, with_stance: bool) -> list[tuple[str, float]]:
    plan: list[tuple[str, float]] = []
    if with_stance:
        plan.append((STANDING, 8.0))
    plan += [(WALKING, rng.uniform(40, 70)), (STANDING, rng.uniform(4, 10)), (TRANSITION, 2.5),
             (SITTING, rng.uniform(80, 130)), (TRANSITION, 2.5), (STANDING, rng.uniform(3, 8)),
             (WALKING, rng.uniform(30, 60)), (BENDING, 6.0), (STANDING, rng.uniform(4, 10)), (TRANSITION, 2.5),
             (SITTING, rng.uniform(60, 100)), (TRANSITION, 2.5), (WALKING, rng.uniform(20, 40)),
             (STANDING, 5.0)]
    return plan


def generate(seed: int, rate_hz: float = 50.0, max_bias_dps: float = 5.0, with_stance: bool = True) -> Wearer:
    rng = np.random.default_rng(seed)
    plan = _script(rng, with_stance)
    clock = 1.0 + rng.uniform(-0.03, 0.03)  # the chip's sample clock runs up to 3% fast or slow
    true_rate_hz = rate_hz * clock
    fine_hz = 4 * true_rate_hz  # the motion is built at 4x the rate, so the gyro is a true average over a sample
    total_s = sum(d for _, d in plan)
    n_fine = int(total_s * fine_hz)
    t = np.arange(n_fine) / fine_hz
    sag = np.zeros(n_fine)
    lat = np.zeros(n_fine)
    heading = np.zeros(n_fine)
    lin = np.zeros((n_fine, 3))  # pelvis linear acceleration in the heading frame (x fwd, y left, z up), m/s^2
    activity = np.empty(n_fine, dtype=object)
    segments = []
    stand_sway = rng.uniform(0.2, 0.6)
    step_hz = rng.uniform(1.6, 2.1)
    sit_level = rng.uniform(12, 28)
    start = 0.0
    prev_sag = 0.0
    walk_heading = rng.uniform(0, 2 * np.pi)
    for kind, dur in plan:
        m = (t >= start) & (t < start + dur)
        tt = t[m] - start
        activity[m] = kind
        segments.append((start, start + dur, kind))
        if kind == STANDING:
            phase = rng.uniform(0, 2 * np.pi, 2)
            sag[m] = stand_sway * np.sin(2 * np.pi * 0.15 * tt + phase[0])
            lat[m] = 0.5 * stand_sway * np.sin(2 * np.pi * 0.11 * tt + phase[1])
            heading[m] = walk_heading
            prev_sag = sag[m][-1]
        elif kind == WALKING:
            w = 2 * np.pi * step_hz
            sag[m] = 2.0 * np.sin(w * tt) - 1.0  # anterior tilt of about 1 deg while walking
            lat[m] = 4.0 * np.sin(w / 2 * tt)
            turn = rng.uniform(-1, 1) * np.pi / dur  # a gentle turn over the segment
            heading[m] = walk_heading + turn * tt + np.radians(5.0) * np.sin(w / 2 * tt + 0.5)
            walk_heading = walk_heading + turn * dur
            lin[m, 2] = 2.5 * np.sin(w * tt)
            lin[m, 0] = 1.8 * np.sin(w * tt + 1.2)
            lin[m, 1] = 1.0 * np.sin(w / 2 * tt)
            prev_sag = sag[m][-1]
        elif kind == TRANSITION:
            # stand-to-sit or sit-to-stand: lean forward (anterior tilt), then settle at the end level
            target = sit_level if abs(prev_sag) < 5 else 0.0  # from standing: sit down; from sitting: stand up
            x = tt / dur
            lean = -30.0 * np.sin(np.pi * x) ** 2
            sag[m] = prev_sag + (target - prev_sag) * _smooth_step(x) + lean
            heading[m] = walk_heading
            lin[m, 2] = 1.5 * np.sin(2 * np.pi * x)
            lin[m, 0] = 1.0 * np.sin(2 * np.pi * x + 0.3)
            prev_sag = target
        elif kind == SITTING:
            # still spells between shifts: slumping further, sitting up, leaning to a side; breathing throughout
            levels_at = np.arange(0.0, dur, 1.0)
            sag_level = np.empty_like(levels_at)
            lat_level = np.empty_like(levels_at)
            s_now, l_now = prev_sag, 0.0
            next_shift = rng.uniform(3, 20)
            for j, tj in enumerate(levels_at):
                if tj >= next_shift:
                    s_now = sit_level + rng.uniform(-8, 8)
                    l_now = rng.uniform(-4, 4)
                    next_shift = tj + rng.uniform(5, 30)
                sag_level[j] = s_now
                lat_level[j] = l_now
            shift_kernel = np.hanning(int(2.0 * fine_hz))  # a shift takes about 2 s
            shift_kernel /= shift_kernel.sum()
            steps_sag = np.interp(tt, levels_at, sag_level, left=prev_sag)
            steps_lat = np.interp(tt, levels_at, lat_level)
            steps_sag = np.round(steps_sag, 6)
            pad_n = len(shift_kernel)
            sag[m] = np.convolve(np.concatenate([np.full(pad_n, steps_sag[0]), steps_sag,
                                                 np.full(pad_n, steps_sag[-1])]), shift_kernel, "same")[pad_n:-pad_n]
            lat[m] = np.convolve(np.concatenate([np.full(pad_n, 0.0), steps_lat, np.full(pad_n, steps_lat[-1])]),
                                 shift_kernel, "same")[pad_n:-pad_n]
            sag[m] += 0.2 * np.sin(2 * np.pi * 0.25 * tt)  # breathing
            heading[m] = walk_heading
            prev_sag = sag[m][-1]
        elif kind == BENDING:
            x = tt / dur
            sag[m] = prev_sag + (-55.0 - prev_sag) * np.sin(np.pi * x) ** 2
            heading[m] = walk_heading
            prev_sag = sag[m][-1]
        start += dur
    # smooth the joins between segments (a person does not jump)
    kernel = np.hanning(int(0.4 * fine_hz))
    kernel /= kernel.sum()
    pad = len(kernel)
    for arr in (sag, lat, heading):
        padded = np.concatenate([np.full(pad, arr[0]), arr, np.full(pad, arr[-1])])
        arr[:] = np.convolve(padded, kernel, mode="same")[pad:-pad]

    rot = np.array([_rz(h) @ _ry(-np.radians(s)) @ _rx(np.radians(la)) for h, s, la in zip(heading, sag, lat, strict=True)])
    mounting = random_rotation(rng)
    # angular velocity in the body frame from consecutive orientations, then into the sensor frame
    rel = np.einsum("nji,njk->nik", rot[:-1], rot[1:])  # R_k^T R_{k+1}
    angle = np.arccos(np.clip((np.trace(rel, axis1=1, axis2=2) - 1) / 2, -1, 1))
    axis = np.stack([rel[:, 2, 1] - rel[:, 1, 2], rel[:, 0, 2] - rel[:, 2, 0], rel[:, 1, 0] - rel[:, 0, 1]], axis=1)
    sin_a = np.sin(angle)
    scale = np.where(sin_a > 1e-12, angle / (2 * np.where(sin_a > 1e-12, sin_a, 1)), 0.5)
    omega_body = axis * scale[:, None] * fine_hz  # rad/s, between fine samples
    omega_body = np.vstack([omega_body, omega_body[-1:]])
    # specific force: linear acceleration (heading frame -> world) plus gravity, seen in the body frame
    lin_world = np.einsum("nij,nj->ni", np.array([_rz(h) for h in heading]), lin)
    spec_world = lin_world / G_MPS2 + np.array([0.0, 0.0, 1.0])
    spec_body = np.einsum("nji,nj->ni", rot, spec_world)
    to_sensor = mounting.T
    # down-sample: a chip's gyro sample is the mean rate over its period; accel a sample of the signal
    k = 4
    n = n_fine // k
    gyro = np.degrees(omega_body[: n * k].reshape(n, k, 3).mean(axis=1)) @ to_sensor.T
    accel = spec_body[: n * k : k] @ to_sensor.T
    bias_dir = rng.normal(size=3)
    bias = bias_dir / np.linalg.norm(bias_dir) * rng.uniform(0.5, max_bias_dps)
    gyro = gyro + bias + rng.normal(0, 0.1, (n, 3))
    accel = accel + rng.normal(0, 0.002, (n, 3))
    t_s = np.arange(n) / true_rate_hz
    # truth: projected angles of "up" in the pelvis frame
    up_body = rot[: n * k : k, 2, :]  # row 2 of R_world_body = world z in body coordinates
    sagittal = np.degrees(np.arctan2(up_body[:, 0], up_body[:, 2]))
    lateral = np.degrees(np.arctan2(up_body[:, 1], up_body[:, 2]))
    cal = (1.0, 6.0) if with_stance else None
    if cal:
        m = (t_s >= cal[0]) & (t_s < cal[1])
        sagittal = sagittal - sagittal[m].mean()
        lateral = lateral - lateral[m].mean()
    return Wearer(t_s=t_s, accel_g=accel, gyro_dps=gyro, sagittal_deg=sagittal, lateral_deg=lateral,
                  activity=activity[: n * k : k], mounting=mounting, gyro_bias_dps=bias, calibration_s=cal,
                  segments=segments)
