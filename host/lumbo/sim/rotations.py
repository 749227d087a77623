"""Unit quaternions over arrays, scalar first, stored component-first: shape (4, ...) with rows w, x, y, z,
and vectors as (3, ...). Keeping each component contiguous makes day-long arrays several times quicker to
work on than (n, 4) rows.

A quaternion q maps vectors from a body frame into a reference frame: v_ref = q v_body q*. The
simulator's earth frame is east-north-up (z up), as in the recordings' ground truth.
"""

import numpy as np


def multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The Hamilton product a*b (apply b first, then a), broadcasting over trailing axes."""
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    shape = np.broadcast_shapes(np.shape(aw), np.shape(bw))
    out = np.empty((4, *shape))
    out[0] = aw * bw - ax * bx - ay * by - az * bz
    out[1] = aw * bx + ax * bw + ay * bz - az * by
    out[2] = aw * by - ax * bz + ay * bw + az * bx
    out[3] = aw * bz + ax * by - ay * bx + az * bw
    return out


def conjugate(q: np.ndarray) -> np.ndarray:
    out = -q
    out[0] = q[0]
    return out


def about_axis(axis: int, angle_rad) -> np.ndarray:
    """Rotations by angle_rad about the body axis 0 (x), 1 (y) or 2 (z)."""
    half = 0.5 * np.asarray(angle_rad, dtype=np.float64)
    q = np.zeros((4, *half.shape))
    q[0] = np.cos(half)
    q[1 + axis] = np.sin(half)
    return q


def from_rotvec(rotvec: np.ndarray) -> np.ndarray:
    """exp of rotation vectors (axis times angle in radians), (3, ...) -> (4, ...)."""
    rotvec = np.asarray(rotvec, dtype=np.float64)
    angle = np.sqrt(rotvec[0] ** 2 + rotvec[1] ** 2 + rotvec[2] ** 2)
    half = 0.5 * angle
    # sin(a/2)/a, with its limit 1/2 - a^2/48 near zero so small rotations stay exact.
    small = angle < 1e-6
    scale = np.where(small, 0.5 - angle * angle / 48.0, np.sin(half) / np.where(small, 1.0, angle))
    q = np.empty((4, *angle.shape))
    q[0] = np.cos(half)
    q[1:] = rotvec * scale
    return q


def to_rotvec(q: np.ndarray) -> np.ndarray:
    """log of unit quaternions: the rotation vector of the shorter rotation, (4, ...) -> (3, ...)."""
    sign = np.where(q[0] < 0, -1.0, 1.0)
    w = np.clip(q[0] * sign, -1.0, 1.0)
    v = q[1:] * sign
    s = np.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
    angle = 2.0 * np.arctan2(s, w)
    small = s < 1e-9
    scale = np.where(small, 2.0 / np.where(w == 0, 1.0, w), angle / np.where(small, 1.0, s))
    return v * scale


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az = a
    bx, by, bz = b
    shape = np.broadcast_shapes(np.shape(ax), np.shape(bx))
    out = np.empty((3, *shape))
    out[0] = ay * bz - az * by
    out[1] = az * bx - ax * bz
    out[2] = ax * by - ay * bx
    return out


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """q v q* for vectors v (3, ...): a body-frame vector expressed in the reference frame."""
    u = q[1:]
    t = 2.0 * cross(u, v)
    return v + q[0] * t + cross(u, t)


def rotate_inverse(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """q* v q: a reference-frame vector expressed in the body frame."""
    return rotate(conjugate(q), v)


def to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (3, 3, ...) of unit quaternions: M[i, j] maps body axis j to reference axis i."""
    w, x, y, z = q
    xx, yy, zz = x * x, y * y, z * z
    xy, xz, yz = x * y, x * z, y * z
    wx, wy, wz = w * x, w * y, w * z
    m = np.empty((3, 3, *np.shape(w)))
    m[0, 0] = 1.0 - 2.0 * (yy + zz)
    m[0, 1] = 2.0 * (xy - wz)
    m[0, 2] = 2.0 * (xz + wy)
    m[1, 0] = 2.0 * (xy + wz)
    m[1, 1] = 1.0 - 2.0 * (xx + zz)
    m[1, 2] = 2.0 * (yz - wx)
    m[2, 0] = 2.0 * (xz - wy)
    m[2, 1] = 2.0 * (yz + wx)
    m[2, 2] = 1.0 - 2.0 * (xx + yy)
    return m


def up_in_body(q: np.ndarray) -> np.ndarray:
    """The reference frame's z axis in body coordinates (q* z q), directly from the components."""
    w, x, y, z = q
    return np.stack((2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y)))


def slerp(a: np.ndarray, b: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Spherical interpolation from a (4,) to b (4,) at each fraction in [0, 1] (shape (n,)) -> (4, n)."""
    if float(np.dot(a, b)) < 0:
        b = -b
    delta = to_rotvec(multiply(conjugate(a), b))
    steps = delta[:, None] * np.asarray(fraction)[None, :]
    return multiply(a[:, None], from_rotvec(steps))


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A rotation drawn uniformly over all orientations (a normalised 4-D Gaussian is uniform on SO(3))."""
    q = rng.normal(size=4)
    q = q / np.linalg.norm(q)
    return q if q[0] >= 0 else -q


def from_euler_deg(roll_deg: float, pitch_deg: float, yaw_deg: float) -> np.ndarray:
    """Intrinsic z-y'-x'' rotation (yaw, then pitch, then roll), angles in degrees, as one quaternion."""
    r, p, y = np.radians([roll_deg, pitch_deg, yaw_deg])
    return multiply(multiply(about_axis(2, y), about_axis(1, p)), about_axis(0, r))


def angle_between_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle between vectors (3, ...), in degrees; robust near 0 and 180 (atan2 of |a x b| and a.b)."""
    c = cross(a, b)
    sine = np.sqrt(c[0] ** 2 + c[1] ** 2 + c[2] ** 2)
    dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    return np.degrees(np.arctan2(sine, dot))
