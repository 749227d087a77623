"""Gyro bias: found at start-up, refined when still, followed with the die's temperature in between."""

# Compiled and loaded first, in an order that suits a board-sized heap (see preload.py).
from preload import load

load("chips.invensense", "warming", "imutest", "lumbo_fw.imu.invensense", "lumbo_fw.imu.bias")

from imutest import Rig, fresh  # noqa: E402
from warming import Warming  # noqa: E402

from lumbo_fw.imu.bias import GyroBias  # noqa: E402
from lumbo_fw.imu.motion import MotionWindow  # noqa: E402

STEP_MS = 250


def teardown_function(_function=None):
    fresh()


def _run(rig, bias, motion, source, until_ms):
    while rig.clock.now_us() < until_ms * 1000:
        rig.clock.advance_ms(STEP_MS)
        rig.chip.temperature_cdeg = source.temp_cdeg(rig.clock.now_us() // 1000)
        rig.imu.read(rig.burst)
        motion.update(rig.burst)
        bias.update(rig.imu.temp_cdeg)


def _bias_error_counts(rig, bias, source):
    t_ms = rig.clock.now_us() // 1000
    worst = 0.0
    for axis in range(3):
        true_counts = source.bias_mdps(axis, t_ms) * rig.imu.gyro_lsb_per_dps / 1000
        worst = max(worst, abs(bias.bias_x16[axis] / 16 - true_counts))
    return worst


def _rig():
    source = Warming(50, 28)
    rig = Rig("MPU-6050", source)
    motion = MotionWindow.for_imu(rig.imu)
    return rig, source, motion, GyroBias(motion, rig.imu.gyro_lsb_per_dps)


def test_start_up_bias_comes_from_the_first_still_seconds():
    rig, source, motion, bias = _rig()
    try:
        _run(rig, bias, motion, source, 4000)
        assert bias.ready and bias.estimates >= 1
        assert _bias_error_counts(rig, bias, source) <= 1.0
        # Subtracted, the still gyro reads about zero.
        rig.clock.advance_ms(500)
        n = rig.imu.read(rig.burst)
        bias.apply(rig.burst)
        samples = rig.burst.samples
        for i in range(n):
            for axis in range(3):
                assert abs(samples[6 * i + 3 + axis]) <= 3, [samples[6 * i + 3 + k] for k in range(3)]
    finally:
        rig.close()


def test_turning_is_not_taken_for_bias():
    rig, source, motion, bias = _rig()
    try:
        _run(rig, bias, motion, source, 30000)
        seen = bias.estimates
        _run(rig, bias, motion, source, 44000)
        assert bias.estimates == seen, "no still windows while turning"
    finally:
        rig.close()


def test_the_bias_follows_temperature_once_the_slope_is_learnt():
    rig, source, motion, bias = _rig()
    try:
        _run(rig, bias, motion, source, 56000)
        # Still at 25 C and again at 30 C: the slope is known. Now turning while the die warms to 35 C.
        _run(rig, bias, motion, source, 85000)
        assert rig.imu.temp_cdeg >= 3490
        assert _bias_error_counts(rig, bias, source) <= 1.0
        # Without following the temperature the bias would be off by the drift since 30 C.
        drift_counts = 5 * 30 * rig.imu.gyro_lsb_per_dps / 1000
        assert drift_counts > 5
    finally:
        rig.close()
