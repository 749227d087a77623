"""Quaternion functions checked against rotation matrices written out by hand."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lumbo.sim import rotations as rot


def matrix_about(axis: int, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    if axis == 0:
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == 1:
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


angles = st.floats(min_value=-3.1, max_value=3.1)
vectors = st.lists(st.floats(min_value=-2, max_value=2), min_size=3, max_size=3)


@given(axis=st.integers(0, 2), angle=angles, v=vectors)
@settings(max_examples=60, deadline=None)
def test_rotation_about_an_axis_matches_its_matrix(axis, angle, v):
    v = np.array(v)
    assert np.allclose(rot.rotate(rot.about_axis(axis, angle), v), matrix_about(axis, angle) @ v, atol=1e-12)


@given(a=angles, b=angles, c=angles, v=vectors)
@settings(max_examples=60, deadline=None)
def test_product_applies_the_right_factor_first(a, b, c, v):
    v = np.array(v)
    q = rot.multiply(rot.multiply(rot.about_axis(2, a), rot.about_axis(1, b)), rot.about_axis(0, c))
    m = matrix_about(2, a) @ matrix_about(1, b) @ matrix_about(0, c)
    assert np.allclose(rot.rotate(q, v), m @ v, atol=1e-12)
    assert np.allclose(rot.rotate_inverse(q, m @ v), v, atol=1e-12)
    assert np.allclose(rot.up_in_body(q), m.T @ np.array([0.0, 0.0, 1.0]), atol=1e-12)


@given(v=vectors)
@settings(max_examples=60, deadline=None)
def test_rotation_vectors_round_trip(v):
    v = np.array(v)
    if np.linalg.norm(v) >= np.pi:
        v = v / np.linalg.norm(v) * 3.0
    assert np.allclose(rot.to_rotvec(rot.from_rotvec(v)), v, atol=1e-9)


def test_tiny_rotations_stay_exact():
    v = np.array([1e-9, -2e-9, 3e-10])
    assert np.allclose(rot.to_rotvec(rot.from_rotvec(v)), v, rtol=1e-6, atol=0)


def test_to_rotvec_takes_the_shorter_way_for_either_sign():
    q = rot.about_axis(2, 0.3)
    assert np.allclose(rot.to_rotvec(-q), [0, 0, 0.3])


def test_slerp_runs_from_one_orientation_to_the_other_at_constant_rate():
    a = rot.about_axis(0, 0.2)
    b = rot.about_axis(0, 1.2)
    path = rot.slerp(a, b, np.linspace(0, 1, 5))
    assert np.allclose(path[:, 0], a) and np.allclose(path[:, -1], b)
    angles_x = rot.to_rotvec(path)[0]
    assert np.allclose(np.diff(angles_x), 0.25)


def test_angle_between_is_accurate_near_zero_and_half_a_turn():
    a = np.array([1.0, 0.0, 0.0])
    assert np.isclose(rot.angle_between_deg(a, np.array([np.cos(1e-7), np.sin(1e-7), 0.0])), np.degrees(1e-7),
                      rtol=1e-9, atol=0)
    assert np.isclose(rot.angle_between_deg(a, -a), 180.0)


def test_random_rotations_cover_all_directions():
    rng = np.random.default_rng(1)
    ups = np.array([rot.up_in_body(rot.random_rotation(rng)) for _ in range(2000)])
    # Uniform on the sphere: each coordinate averages 0 and has variance 1/3.
    assert np.allclose(ups.mean(axis=0), 0.0, atol=0.05)
    assert np.allclose(ups.var(axis=0), 1 / 3, atol=0.03)
