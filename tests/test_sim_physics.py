"""The simulator's signals agree with its own ground truth, as physics says they must: the gyro is the rate of
the orientation, the accelerometer at rest reads gravity in the sensor's axes, the truth angles are what
the orientation says, and the sensor model adds only what the datasheets allow."""

import numpy as np
import pytest

from lumbo import sim
from lumbo.sim import rotations as rot
from lumbo.sim.sensor import LSM6DSOX, MPU6050, SensorSettings
from lumbo.sim.wearer import Wearer

IDEAL = SensorSettings(ideal=True)
POSTURES = """
calibrate 12s
sit 20s
stand 15s
lie back 20s
sit 15s
lie right 15s
stand 15s
"""


@pytest.fixture(scope="module")
def ideal_day():
    return sim.simulate_scenario(POSTURES, seed=11, sensor=IDEAL)


@pytest.fixture(scope="module")
def real_day():
    return sim.simulate_scenario(POSTURES, seed=11)


def integrate(gyro_dps: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """Orientation change (4,) from the first to the last sample: the trapezoidal rate over each interval."""
    rates = np.radians(gyro_dps)
    q = np.array([1.0, 0.0, 0.0, 0.0])
    for k in range(len(t_s) - 1):
        step = 0.5 * (rates[k] + rates[k + 1]) * (t_s[k + 1] - t_s[k])
        q = rot.multiply(q, rot.from_rotvec(step))
    return q


def transitions(rec):
    return [lab for lab in rec.labels if lab.label == "transition"]


def angle_of(q: np.ndarray) -> float:
    return float(np.degrees(np.linalg.norm(rot.to_rotvec(q))))


def test_integrating_the_ideal_gyro_through_each_transition_gives_the_true_orientation_change(ideal_day):
    rec = ideal_day
    found = transitions(rec)
    assert len(found) == 6
    for lab in found:
        part = (rec.t_s >= lab.start_s - 0.5) & (rec.t_s <= lab.end_s + 0.5)
        index = np.flatnonzero(part)
        change = integrate(rec.gyro_dps[part], rec.t_s[part])
        q_a, q_b = rec.quat[index[0]], rec.quat[index[-1]]
        true_change = rot.multiply(rot.conjugate(q_a), q_b)
        error = angle_of(rot.multiply(rot.conjugate(true_change), change))
        # Central differences integrated with the trapezoid rule: second-order error, well under 0.1 degree
        # over a few seconds of movement at up to ~150 deg/s.
        assert angle_of(true_change) > 10.0
        assert error < 0.1, (lab, error)


def test_gyro_with_sensor_errors_recovers_the_true_tilt_change_between_labelled_rests(real_day):
    """The measured gyro, its offset taken from the rest before, carried through each transition, moves the
    gravity direction from the rest before to the rest after as the truth says. Tolerance: the part's scale
    and cross-axis errors (drawn with SD 1 % and 0.7 %, datasheet limits 3 % and 2 %) misstate a rotation of
    A degrees (the whole rotation, turn included) by up to about 0.05 A; a 2 s rest leaves about 0.1 dps of
    the fine motion in the offset estimate, 0.5 degree over 5 s; and micro-motion moves the rests' mean
    gravity by a few tenths of a degree."""
    rec = real_day
    for lab in transitions(rec):
        before = (rec.t_s >= lab.start_s - 2.5) & (rec.t_s < lab.start_s - 0.5)
        after = (rec.t_s > lab.end_s + 0.5) & (rec.t_s <= lab.end_s + 2.5)
        offset = rec.gyro_dps[before].mean(axis=0)
        start = np.flatnonzero(before)[-1]
        end = np.flatnonzero(after)[0]
        span = slice(start, end + 1)
        change = integrate(rec.gyro_dps[span] - offset, rec.t_s[span])
        up_before = rot.up_in_body(rec.quat[start])
        predicted = rot.rotate_inverse(change, up_before)
        up_after = rot.up_in_body(rec.quat[end])
        true_tilt_change = float(rot.angle_between_deg(up_before, up_after))
        rotation = angle_of(rot.multiply(rot.conjugate(rec.quat[start]), rec.quat[end]))
        error = float(rot.angle_between_deg(predicted, up_after))
        assert true_tilt_change > 5.0
        assert error < 1.0 + 0.05 * rotation, (lab, true_tilt_change, rotation, error)


def test_ideal_accelerometer_at_rest_reads_gravity_in_the_sensor_axes(ideal_day):
    rec = ideal_day
    up = rot.up_in_body(rec.quat.T).T
    still = rec.extra["activity"] == sim.activities.CODE["calibration"]
    error_g = np.linalg.norm(rec.accel_g[still] - up[still], axis=1)
    # Standing still still sways (about 0.3 deg) and trembles (a few mg): the reading stays within 0.03 g of
    # gravity, and its mean within 3 mg.
    assert np.median(error_g) < 0.03
    assert np.linalg.norm(rec.accel_g[still].mean(axis=0) - up[still].mean(axis=0)) < 0.003


def test_truth_angles_match_the_orientation_and_the_wearer(ideal_day):
    rec = ideal_day
    truth = rec.truth
    mounting = np.array(truth["sensor"]["mounting_quat"])
    up_upright = rot.up_in_body(mounting)
    up = rot.up_in_body(rec.quat.T)
    incl = rot.angle_between_deg(up, up_upright[:, None])
    assert np.allclose(incl, rec.extra["true_incl_deg"], atol=2e-3)
    # Sitting upright tilts the pelvis back by sit_tilt_deg, slouching by up to slouch_extra_deg more.
    wearer = truth["wearer"]
    sitting = np.isin(rec.extra["activity"], [sim.activities.CODE[n] for n in ("sitting_upright",
                                                                               "sitting_slouched")])
    sagittal = np.median(rec.extra["true_sagittal_deg"][sitting])
    assert wearer["sit_tilt_deg"] - 3 <= sagittal <= wearer["sit_tilt_deg"] + wearer["slouch_extra_deg"] + 3
    # Lying on the back: about 90 degrees back; on the right side: lateral tilt about +90 (right is positive).
    lying = rec.extra["activity"] == sim.activities.CODE["lying"]
    t_back, t_right = (lab for lab in rec.labels if lab.label == "lying")
    back = lying & (rec.t_s > t_back.start_s + 3) & (rec.t_s < t_back.end_s)
    right = lying & (rec.t_s > t_right.start_s + 3) & (rec.t_s < t_right.end_s)
    assert 80 < np.median(rec.extra["true_sagittal_deg"][back]) < 110
    assert 80 < np.median(rec.extra["true_lateral_deg"][right]) < 100


def test_nominal_mounting_has_x_up_and_z_backwards_when_standing():
    rec = sim.simulate_scenario("calibrate 10s", seed=3, sensor=IDEAL)
    mean = rec.accel_g[rec.t_s > 2].mean(axis=0)
    # x up, within the clip's few degrees of lean; z out of the back is horizontal.
    assert mean[0] > 0.95
    assert abs(mean[2]) < 0.3
    flipped = sim.simulate_scenario("calibrate 10s", seed=3, sensor=IDEAL, mounting="upside-down")
    assert flipped.accel_g[flipped.t_s > 2].mean(axis=0)[0] < -0.95


def test_random_mounting_changes_the_axes_but_not_the_tilt_truth():
    a = sim.simulate_scenario("calibrate 10s\nsit 20s", seed=5, sensor=IDEAL)
    b = sim.simulate_scenario("calibrate 10s\nsit 20s", seed=5, sensor=IDEAL, mounting="random")
    assert np.allclose(a.extra["true_sagittal_deg"], b.extra["true_sagittal_deg"], atol=0.01)
    assert np.allclose(a.extra["true_incl_deg"], b.extra["true_incl_deg"], atol=0.01)
    assert not np.allclose(a.accel_g, b.accel_g, atol=0.1)
    # Whatever the mounting, the accelerometer's magnitude at rest is 1 g.
    assert abs(np.median(np.linalg.norm(b.accel_g, axis=1)) - 1.0) < 0.01


def test_explicit_mounting_angles_rotate_the_board_about_its_own_axes():
    level = sim.simulate_scenario("calibrate 10s", seed=3, sensor=IDEAL, mounting="0,0,0")
    turned = sim.simulate_scenario("calibrate 10s", seed=3, sensor=IDEAL, mounting="0,0,90")
    g_level = level.accel_g[level.t_s > 2].mean(axis=0)
    g_turned = turned.accel_g[turned.t_s > 2].mean(axis=0)
    # With no clip lean the board's x is exactly up; yawed 90 degrees about its z, up lies along -y.
    assert g_level[0] > 0.999
    assert g_turned[1] < -0.999


@pytest.mark.parametrize("spec", [MPU6050, LSM6DSOX], ids=lambda s: s.name)
def test_readings_sit_on_the_chip_lsb_grid_and_clip_at_full_scale(spec):
    settings = SensorSettings(imu=spec.name, accel_range_g=2, gyro_range_dps=250)
    rec = sim.simulate_scenario("calibrate 5s\nwalk 20s\nstairs down 15s", seed=8, sensor=settings)
    accel_lsb = spec.accel_lsb_per_g[2]
    gyro_lsb = spec.gyro_lsb_per_dps[250]
    counts = rec.accel_g * accel_lsb
    assert np.allclose(counts, np.round(counts), atol=1e-6)
    assert np.abs(np.round(counts)).max() <= 32768
    gyro_counts = rec.gyro_dps * gyro_lsb
    assert np.allclose(gyro_counts, np.round(gyro_counts), atol=1e-6)
    assert float(rec.meta["accel_lsb_per_g"]) == pytest.approx(accel_lsb, rel=1e-5)


def test_a_hard_knock_clips_at_full_scale():
    # Heel strikes of 1.5 g on top of gravity exceed a +-2 g range: those samples read full scale.
    hard = Wearer(heel_strike_g=1.5, walk_bounce_m=0.04)
    rec = sim.simulate_scenario("walk 20s", seed=2, wearer=hard, sensor=SensorSettings(accel_range_g=2))
    assert np.isclose(np.abs(rec.accel_g).max(), 32768 / 16384.0) or np.isclose(np.abs(rec.accel_g).max(),
                                                                                   32767 / 16384.0)


def test_gyro_offset_is_within_the_datasheet_and_drifts_with_temperature(real_day):
    truth = real_day.truth
    offsets = np.array(truth["sensor"]["gyro_offset_dps_at_25c"])
    assert np.all(np.abs(offsets) <= MPU6050.gyro_offset_limit_dps)
    still = real_day.extra["activity"] == sim.activities.CODE["calibration"]
    measured = real_day.gyro_dps[still].mean(axis=0)
    bias_now = np.array(truth["gyro_bias_dps"][0][1:])
    # Standing still, the mean gyro reading is the bias (plus what the fine motion leaves, < 0.1 dps).
    assert np.allclose(measured, bias_now, atol=0.15)


def test_noise_at_rest_matches_the_datasheet_density():
    """On a desk the sensor is perfectly still: what varies is the chip's noise, density x sqrt(rate/2)."""
    rec = sim.simulate_scenario("stand 5s\noff 60s", seed=4, sensor=SensorSettings(imu="mpu6050"))
    desk = rec.extra["activity"] == sim.activities.CODE["not_worn"]
    accel_sd = rec.accel_g[desk].std(axis=0)
    gyro_sd = rec.gyro_dps[desk].std(axis=0)
    expected_accel = 400e-6 * np.sqrt(25.0)  # 400 ug/rtHz over 25 Hz: 2.0 mg
    expected_gyro = 0.005 * np.sqrt(25.0)  # 0.005 dps/rtHz: 0.025 dps (about 1.6 LSB at 65.5 LSB/dps)
    assert np.all(np.abs(accel_sd / expected_accel - 1) < 0.15)
    assert np.all(np.abs(gyro_sd / expected_gyro - 1) < 0.25)


def test_clock_error_stretches_time_and_samples_go_missing_now_and_then():
    rec = sim.simulate_day(seed=21, hours=0.5)
    truth = rec.truth
    spacing = np.diff(rec.t_s)
    clock_error = truth["sensor"]["clock_error_ppm"] * 1e-6
    nominal = 1.0 / 50.0
    assert np.median(spacing) == pytest.approx(nominal / (1 + clock_error), rel=2e-4)
    gaps = np.count_nonzero(spacing > 1.5 * nominal)
    assert gaps == truth["dropped_samples"] > 0
    assert np.all(spacing > 0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rate_hz": 5}, "rate_hz must be 10 to 1000 Hz"),
    ({"imu": "bmi160"}, "unknown IMU 'bmi160'; choose one of: mpu6050, lsm6dsox"),
    ({"sensor": SensorSettings(accel_range_g=3)}, "mpu6050 has no \\+-3 g range; choose one of 2, 4, 8, 16"),
    ({"sensor": SensorSettings(drop_probability=2)}, "drop_probability must be 0 to 0.5"),
    ({"mounting": "diagonal"}, "mounting 'diagonal' not understood"),
])
def test_impossible_settings_are_refused_with_the_choices(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sim.simulate_scenario("stand 10s", **kwargs)


def test_a_scenario_shorter_than_two_samples_is_refused():
    with pytest.raises(ValueError, match="too short for two samples"):
        sim.simulate_scenario("stand 0.01s")
