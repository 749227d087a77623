"""From the body's motion to what an ideal sensor on it would measure.

The sensor's orientation is the pelvis's, times the clip's rocking on the belt, times the mounting
(how the board sits in the clip). Its angular rate is the rate of that orientation, in its own axes: the
rotation between neighbouring samples over their time apart, so that integrating it gives the orientation
back. Its specific force is the acceleration of the point where it sits (the pelvis's plus the lever arm
from the hip joints to the low back) minus gravity, rotated into its axes, plus the heel-strike jolts.
"""

from dataclasses import dataclass

import numpy as np

from lumbo.sim import rotations as rot
from lumbo.sim.body import Canvas, min_jerk

STANDARD_GRAVITY_MPS2 = 9.80665
# From the centre between the hip joints to the skin over L5-S1: back and up (pelvis frame, metres).
LEVER_ARM_M = np.array([-0.12, 0.0, 0.10])


@dataclass
class Motion:
    """What an ideal sensor measures, and the truth about it; component-first arrays (3 or 4, n)."""

    quat: np.ndarray  # (4, n) sensor-to-earth (ENU) orientation, scalar first
    gyro_dps: np.ndarray  # (3, n) true angular rate, sensor axes
    accel_g: np.ndarray  # (3, n) true specific force, sensor axes, g
    sagittal_deg: np.ndarray  # (n,) pelvic sagittal tilt vs upright standing, positive backwards
    lateral_deg: np.ndarray  # (n,) pelvic lateral tilt, positive to the wearer's right
    incl_deg: np.ndarray  # (n,) angle between the sensor's up now and its up in upright standing


def pelvis_quat(c: Canvas, part: slice = slice(None)) -> np.ndarray:
    """Rz(psi) . Ry(-theta) . Rx(phi) . Rz(rho): the pelvis-to-earth orientation (see lumbo.sim.body)."""
    q = rot.multiply(rot.about_axis(2, c.psi[part]), rot.about_axis(1, -c.theta[part]))
    q = rot.multiply(q, rot.about_axis(0, c.phi[part]))
    return rot.multiply(q, rot.about_axis(2, c.rho[part]))


def tilt_from_up(up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sagittal and lateral tilt (degrees) from earth's up seen in the pelvis frame (x fwd, y left, z up):
    sagittal = atan2(up_x, up_z), the tilt within the body's front-back plane (full circle, so lying on the
    back reads about +90 and face down about -90); lateral = asin(up_y), how far up leans out of that plane
    (+90 lying on the right side). Both are what a filter gets from gravity alone; sagittal is undefined
    only when up lies along the body's left-right axis (lying on a side)."""
    sagittal = np.degrees(np.arctan2(up[0], up[2]))
    lateral = np.degrees(np.arcsin(np.clip(up[1], -1.0, 1.0)))
    return sagittal, lateral


def angular_rate(quat: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """Body-frame angular rate (rad/s) at each sample: the rotation from the sample before to the sample
    after, over the time between them (one-sided at the ends)."""
    n = len(t_s)
    out = np.zeros((3, n))
    if n < 2:
        return out
    step = rot.to_rotvec(rot.multiply(rot.conjugate(quat[:, :-1]), quat[:, 1:]))  # k -> k+1, in frame k
    dt = np.diff(t_s)
    out[:, 0] = step[:, 0] / dt[0]
    out[:, -1] = step[:, -1] / dt[-1]
    if n > 2:
        # Average the rotations on either side; the one after is expressed in frame k already, the one
        # before in frame k-1, which differs from frame k by a rotation of second order over one sample.
        out[:, 1:-1] = (step[:, :-1] + step[:, 1:]) / (t_s[2:] - t_s[:-2])
    return out


def acceleration(pos: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """Second derivative of positions (3, n) on a (possibly uneven) time grid, m/s^2."""
    n = len(t_s)
    out = np.zeros_like(pos)
    if n < 3:
        return out
    h1 = t_s[1:-1] - t_s[:-2]
    h2 = t_s[2:] - t_s[1:-1]
    out[:, 1:-1] = 2.0 * ((pos[:, 2:] - pos[:, 1:-1]) / h2 - (pos[:, 1:-1] - pos[:, :-2]) / h1) / (h1 + h2)
    out[:, 0] = out[:, 1]
    out[:, -1] = out[:, -2]
    return out


# Work through the day in blocks this long, so each block's temporaries stay in the processor's cache.
BLOCK = 1 << 15


def _blocks(n: int):
    for start in range(0, n, BLOCK):
        yield slice(start, min(n, start + BLOCK))


def sensor_motion(c: Canvas, mounting: np.ndarray) -> Motion:
    """mounting: the sensor-to-pelvis orientation (4,) (how the board sits on the low back)."""
    n = len(c.t_s)
    q_sensor = np.empty((4, n))
    position = np.empty((3, n))
    up_pelvis = np.empty((3, n))
    impact_g = np.zeros((3, n))
    mount = mounting[:, None]
    for part in _blocks(n):
        q_pelvis = pelvis_quat(c, part)
        m_pelvis = rot.to_matrix(q_pelvis)
        up_pelvis[:, part] = m_pelvis[2]  # earth's up in pelvis axes: the matrix's last row
        lever = LEVER_ARM_M
        position[:, part] = (c.pos[:, part] + m_pelvis[:, 0] * lever[0] + m_pelvis[:, 1] * lever[1]
                             + m_pelvis[:, 2] * lever[2])
        wobble = c.wobble[:, part]
        if np.any(wobble) or np.any(c.impact_g[:, part]):
            # The clip rocks on the belt and takes the heel-strike jolts (only while walking).
            clip = rot.from_rotvec(wobble)
            q_sensor[:, part] = rot.multiply(rot.multiply(q_pelvis, clip), mount)
            impact_g[:, part] = rot.rotate_inverse(rot.multiply(clip, mount), c.impact_g[:, part])
        else:
            q_sensor[:, part] = rot.multiply(q_pelvis, mount)
    for span in c.off_spans:
        _off_body(c, span, q_sensor, position, impact_g)
        # Off the body, report the tilt the sensor would show if it were still on the belt.
        part = slice(span.start, span.end)
        up_pelvis[:, part] = rot.up_in_body(rot.multiply(q_sensor[:, part], rot.conjugate(mounting)[:, None]))
    gyro_dps = np.empty((3, n))
    accel_g = np.empty((3, n))
    incl = np.empty(n)
    up_upright = rot.up_in_body(mounting)[:, None]
    for part in _blocks(n):
        # Neighbouring samples on either side, for the derivatives at the block's edges.
        wide = slice(max(0, part.start - 1), min(n, part.stop + 1))
        inner = slice(part.start - wide.start, part.start - wide.start + (part.stop - part.start))
        gyro_dps[:, part] = np.degrees(angular_rate(q_sensor[:, wide], c.t_s[wide])[:, inner])
        force = acceleration(position[:, wide], c.t_s[wide])[:, inner]
        force[2] += STANDARD_GRAVITY_MPS2
        m_sensor = rot.to_matrix(q_sensor[:, part])
        # Specific force in sensor axes: the transpose of the sensor's rotation applied to it.
        accel_g[:, part] = (m_sensor[0] * force[0] + m_sensor[1] * force[1] + m_sensor[2] * force[2]) / (
            STANDARD_GRAVITY_MPS2) + impact_g[:, part]
        incl[part] = rot.angle_between_deg(m_sensor[2], up_upright)
    sagittal, lateral = tilt_from_up(up_pelvis)
    return Motion(quat=q_sensor, gyro_dps=gyro_dps, accel_g=accel_g, sagittal_deg=sagittal, lateral_deg=lateral,
                  incl_deg=incl)


def _off_body(c: Canvas, span, q_sensor: np.ndarray, position: np.ndarray, impact_g: np.ndarray) -> None:
    """Replace the sensor's path while it is off the body: lifted off the belt to the desk, left there,
    and carried back."""
    a, b = span.start, span.end
    if b - a < 3 or a == 0:
        return
    t = c.t_s[a:b] - c.t_s[a]
    length = c.t_s[b - 1] - c.t_s[a]
    on_q_start, on_p_start = q_sensor[:, a - 1].copy(), position[:, a - 1].copy()
    end = min(b, len(c.t_s) - 1)
    on_q_end, on_p_end = q_sensor[:, end].copy(), position[:, end].copy()
    desk_p = on_p_start + span.desk_offset_m * np.array([1.0, 1.0, 0.0])
    desk_p[2] = span.desk_offset_m[2]
    take = t < span.take_off_s
    put = t >= length - span.put_on_s
    still = ~(take | put)
    f_take = min_jerk(t[take] / span.take_off_s)
    f_put = min_jerk((t[put] - (length - span.put_on_s)) / span.put_on_s)
    part = q_sensor[:, a:b]
    part[:, still] = span.desk_quat[:, None]
    part[:, take] = rot.slerp(on_q_start, span.desk_quat, f_take)
    part[:, put] = rot.slerp(span.desk_quat, on_q_end, f_put)
    pos = position[:, a:b]
    pos[:, still] = desk_p[:, None]
    pos[:, take] = on_p_start[:, None] + (desk_p - on_p_start)[:, None] * f_take
    pos[:, put] = desk_p[:, None] + (on_p_end - desk_p)[:, None] * f_put
    impact_g[:, a:b] = 0.0
