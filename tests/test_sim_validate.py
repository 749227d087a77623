"""The statistics that compare the simulator with real recordings: each checked on signals with a known
answer, then simulated sessions against the HAPT excerpt in tests/data."""

import numpy as np
import pytest

from conftest import TEST_DATA
from lumbo.recording import Label, Recording, read
from lumbo.sim import validate

RATE_HZ = 50.0


def make(accel: np.ndarray, labels: list[Label], gyro: np.ndarray | None = None) -> Recording:
    n = len(accel)
    return Recording(t_s=np.arange(n) / RATE_HZ, accel_g=accel, gyro_dps=np.zeros((n, 3)) if gyro is None else gyro,
                     meta={"rate_hz": "50"}, labels=labels)


def test_gravity_angle_between_postures():
    standing = np.tile([1.0, 0.0, 0.0], (500, 1))
    angle = np.radians(20.0)
    sitting = np.tile([np.cos(angle), 0.0, np.sin(angle)], (500, 1))
    rec = make(np.vstack((standing, sitting)), [Label(0, 10, "standing"), Label(10, 20, "sitting")])
    assert validate.recording_stats(rec)["grav_angle_sit_stand_deg"] == pytest.approx(20.0, abs=1e-6)


def test_walking_cadence_spectrum_and_rms_from_a_synthetic_gait():
    t = np.arange(int(20 * RATE_HZ)) / RATE_HZ
    steps_per_s = 1.9
    vertical = 0.3 * np.sin(2 * np.pi * steps_per_s * t) + 0.1 * np.sin(2 * np.pi * 2 * steps_per_s * t)
    sideways = 0.1 * np.sin(np.pi * steps_per_s * t)
    accel = np.column_stack((1.0 + vertical, sideways, np.zeros_like(t)))
    stats = validate.recording_stats(make(accel, [Label(0, 20, "walking")]))
    assert stats["walk_cadence_steps_per_s"] == pytest.approx(steps_per_s, abs=0.02)
    assert stats["walk_spectrum_peak_hz"] == pytest.approx(steps_per_s, abs=0.02)
    # RMS of a sum of sines: sqrt(0.3^2/2 + 0.1^2/2); the 3.8 Hz harmonic is the power above 3 Hz.
    assert stats["walk_vertical_rms_g"] == pytest.approx(np.sqrt(0.045 + 0.005), rel=0.02)
    assert stats["walk_horizontal_rms_g"] == pytest.approx(0.1 / np.sqrt(2), rel=0.02)
    assert stats["walk_hf_fraction"] == pytest.approx(0.005 / 0.05, abs=0.01)


def test_rest_noise_is_the_per_axis_sd_in_one_second_windows():
    rng = np.random.default_rng(0)
    accel = np.array([0.0, 0.0, 1.0]) + rng.normal(0, 0.004, (1500, 3))
    gyro = rng.normal(0, 0.5, (1500, 3))
    stats = validate.recording_stats(make(accel, [Label(0, 30, "sitting")], gyro))
    # The SD of 50 samples underestimates sigma a little (by about 1.5 % on average).
    assert stats["rest_sit_accel_mg"] == pytest.approx(4.0, rel=0.05)
    assert stats["rest_sit_gyro_dps"] == pytest.approx(0.5, rel=0.05)


def test_transition_duration_and_peak_rate():
    n = int(10 * RATE_HZ)
    gyro = np.zeros((n, 3))
    t = np.arange(n) / RATE_HZ
    moving = (t >= 4.0) & (t < 6.0)
    gyro[moving, 1] = 100.0 * np.sin(np.pi * (t[moving] - 4.0) / 2.0)
    accel = np.tile([1.0, 0.0, 0.0], (n, 1))
    stats = validate.recording_stats(make(accel, [Label(3.5, 6.5, "transition")], gyro))
    assert stats["transition_label_s"] == pytest.approx(3.0)
    assert stats["transition_peak_dps"] == pytest.approx(100.0, abs=0.5)
    # Busy while above 20 % of the peak: sin > 0.2 for all but asin(0.2)/pi of each end of the 2 s.
    assert stats["transition_active_s"] == pytest.approx(2.0 * (1 - 2 * np.arcsin(0.2) / np.pi), abs=0.1)


def test_the_hapt_protocol_scenario_covers_every_metric():
    sessions = validate.simulated_sessions(1, first_seed=3)
    stats = validate.recording_stats(sessions[0])
    assert set(stats) == {key for key, _, _ in validate.METRICS}


@pytest.fixture(scope="module")
def excerpt_vs_sim():
    real = validate.real_stats(TEST_DATA)  # the HAPT excerpt; the BROAD excerpt has no labels and is skipped
    sim = [validate.recording_stats(rec) for rec in validate.simulated_sessions(4)]
    return real, sim


def test_the_excerpt_is_the_only_labelled_recording_in_tests_data(excerpt_vs_sim):
    real, _ = excerpt_vs_sim
    assert len(real) == 1
    excerpt = read(TEST_DATA / "hapt-exp01_user01-excerpt.csv.gz")
    assert {lab.label for lab in excerpt.labels} >= {"standing", "sitting", "lying", "walking", "transition"}


def test_simulated_sessions_resemble_the_hapt_excerpt(excerpt_vs_sim):
    """A test-sized version of `lumbo sim check-hapt`: one real session cannot show the spread between
    people, so each simulated median must lie within a band around it as wide as that spread is in the
    literature and in the full HAPT set (cadence +-0.2 steps/s; sitting tilts people's pelvis 5-40 degrees;
    lying about 90 +-15; gait and transition magnitudes within a factor of 1.6; rest noise within a factor
    of 4, since the calmest and the most restless of HAPT's ten people differ by 3-6 times)."""
    real, sim = excerpt_vs_sim
    rows = {row.key: row for row in validate.compare(real, sim)}
    value = {key: row.real[2] for key, row in rows.items() if row.real[0]}
    median = {key: row.sim[2] for key, row in rows.items()}
    assert median["walk_cadence_steps_per_s"] == pytest.approx(value["walk_cadence_steps_per_s"], abs=0.2)
    assert median["walk_spectrum_peak_hz"] == pytest.approx(value["walk_spectrum_peak_hz"], abs=0.2)
    assert 5.0 <= median["grav_angle_sit_stand_deg"] <= 40.0
    assert median["grav_angle_lie_stand_deg"] == pytest.approx(value["grav_angle_lie_stand_deg"], abs=15.0)
    for key in ("walk_vertical_rms_g", "walk_horizontal_rms_g", "walk_gyro_rms_dps", "transition_label_s",
                "transition_peak_dps"):
        assert 1 / 1.6 <= median[key] / value[key] <= 1.6, key
    for key in ("rest_sit_accel_mg", "rest_sit_gyro_dps", "rest_lie_accel_mg", "rest_lie_gyro_dps",
                "rest_stand_accel_mg", "rest_stand_gyro_dps"):
        assert 1 / 4 <= median[key] / value[key] <= 4, key


def test_compare_reports_whether_the_simulated_median_is_inside_the_real_range():
    real = [{"walk_cadence_steps_per_s": v} for v in (1.7, 1.8, 1.9)]
    inside = [{"walk_cadence_steps_per_s": v} for v in (1.75, 1.8, 2.0)]
    outside = [{"walk_cadence_steps_per_s": v} for v in (2.0, 2.1, 2.2)]
    row = {r.key: r for r in validate.compare(real, inside)}["walk_cadence_steps_per_s"]
    assert row.sim_median_within and row.sim_share_within == pytest.approx(2 / 3)
    row = {r.key: r for r in validate.compare(real, outside)}["walk_cadence_steps_per_s"]
    assert not row.sim_median_within and row.sim_share_within == 0.0
    table = validate.format_table(validate.compare(real, outside))
    assert "walk_cadence_steps_per_s" in table and "NO" in table
