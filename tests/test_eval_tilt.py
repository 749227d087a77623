"""The tilt filter on recorded data: the same answers under CPython and MicroPython, the fixed point against
its float reference, integer ranges that hold on a 32-bit ESP32, and the `lumbo eval tilt` command."""

import ast
import json
import math
import sys
import types

import numpy as np
import pytest

from conftest import REPO, TEST_DATA
from lumbo import recording
from lumbo.cli import main
from lumbo.evaluate import tilt as evaltilt

BROAD = TEST_DATA / "broad-24_disturbed_tapping_A-excerpt.csv.gz"
HAPT = TEST_DATA / "hapt-exp01_user01-excerpt.csv.gz"
sys.path.insert(0, str(REPO / "host" / "lumbo" / "bench" / "device_scripts"))


@pytest.fixture(scope="module")
def broad():
    return recording.read(BROAD)


# ---- one source, two interpreters ----

@pytest.mark.parametrize(("path", "burst"), [(BROAD, 4), (HAPT, 10)])
def test_cpython_and_micropython_give_the_same_answer(x64_build, path, burst):
    """Stated tolerance: at most 1 count of gravity_q14 (1/16384, about 0.0035 degrees) apart. Both run the
    same integer arithmetic, so in practice they agree exactly."""
    rec = recording.read(path)
    on_cpython = evaltilt.run_filter(rec, "cpython", burst)
    on_micropython = evaltilt.run_filter(rec, "micropython", burst, build_dir=x64_build)
    assert len(on_cpython.end_index) == len(on_micropython.end_index) > 100
    gap_q14 = np.abs(np.round(on_cpython.gravity * 16384) - np.round(on_micropython.gravity * 16384)).max()
    assert gap_q14 <= 1, gap_q14
    assert np.array_equal(on_cpython.resting, on_micropython.resting)


# ---- fixed point against the float reference ----

def _feed_both(rec, burst_len, accel_lsb, gyro_lsb):
    from _tilt_reference import TiltReference

    from lumbo_fw.burst import Burst
    from lumbo_fw.tilt import TiltFilter

    accel = evaltilt.quantise(rec.accel_g, accel_lsb)
    gyro = evaltilt.quantise(rec.gyro_dps, gyro_lsb)
    burst = Burst(burst_len)
    burst.set_scale(accel_lsb, gyro_lsb)
    fixed = TiltFilter(rec.rate_hz)
    ref = TiltReference(rec.rate_hz)
    ends = evaltilt.burst_ends(len(rec), burst_len)
    gap = np.empty(len(ends))
    start = 0
    for k, end in enumerate(ends):
        block = np.column_stack([accel[start : end + 1], gyro[start : end + 1]]).ravel()
        burst.samples[: len(block)] = type(burst.samples)("h", block.tolist())
        burst.count = end - start + 1
        burst.t_end_us = round(rec.t_s[end] * 1e6)
        fixed.update(burst)
        ref.update(burst)
        gap[k] = evaltilt.inclination_error_deg(np.array([fixed.gravity_q14], float), np.array([ref.gravity]))[0]
        start = end + 1
    return gap, fixed, ref


def test_the_fixed_point_filter_follows_its_float_reference(broad):
    gap, fixed, ref = _feed_both(broad, 8, 2048.0, 16.4)
    assert gap.max() < 0.1, gap.max()  # degrees, over 45 s of tapping and turning
    bias = fixed.gyro_bias_mdps([0, 0, 0])
    assert np.abs(np.array(bias) / 1000.0 - np.array(ref.bias)).max() < 0.02  # dps


# ---- integer ranges on a 32-bit machine ----

_INT32 = 2**31


class _RangeChecks:
    """Records the widest value seen; fails on any that would not fit the ESP32's 32-bit viper ints."""

    def __init__(self):
        self.widest = 0

    def value(self, v):
        if isinstance(v, int):
            self.widest = max(self.widest, abs(v))
            assert -_INT32 <= v < _INT32, f"an intermediate reached {v}, beyond 32 bits"
        return v

    def stored(self, v):
        # state words are stored with an offset and read back as unsigned: they must stay in [0, 2**31)
        assert 0 <= v < _INT32, f"a stored word {v} would read back wrong on the ESP32"
        return v


class _Instrument(ast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        return ast.copy_location(ast.Call(ast.Name("_chk_value", ast.Load()), [node], []), node)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        target_load = ast.Name(node.target.id, ast.Load()) if isinstance(node.target, ast.Name) else None
        if target_load is None:
            return node
        value = ast.Call(ast.Name("_chk_value", ast.Load()), [ast.BinOp(target_load, node.op, node.value)], [])
        return ast.copy_location(ast.Assign([node.target], value), node)

    def visit_Assign(self, node):
        self.generic_visit(node)
        target = node.targets[0] if len(node.targets) == 1 else None
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == "p":
            node.value = ast.Call(ast.Name("_chk_store", ast.Load()), [node.value], [])
        return node


def _instrumented_tilt_module(checks):
    """lumbo_fw.tilt with every arithmetic result and store in its viper functions range-checked."""
    source = (REPO / "firmware" / "lumbo_fw" / "tilt.py").read_text()
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in ("_run", "_gravity"):
            node.body = [_Instrument().visit(stmt) for stmt in node.body]
    ast.fix_missing_locations(tree)
    module = types.ModuleType("tilt_checked")
    module.__dict__["_chk_value"] = checks.value
    module.__dict__["_chk_store"] = checks.stored
    exec(compile(tree, "tilt_checked", "exec"), module.__dict__)
    return module


def _run_checked(module, counts, rate_hz, accel_lsb, gyro_lsb, burst_len):
    from lumbo_fw.burst import Burst

    burst = Burst(burst_len)
    burst.set_scale(accel_lsb, gyro_lsb)
    filt = module.TiltFilter(rate_hz)
    period_us = 1e6 / rate_hz
    for start in range(0, len(counts) - burst_len + 1, burst_len):
        block = counts[start : start + burst_len].ravel()
        for i, v in enumerate(block.tolist()):
            burst.samples[i] = v
        burst.count = burst_len
        burst.t_end_us = round((start + burst_len) * period_us)
        filt.update(burst)
    return filt


@pytest.mark.slow
def test_no_intermediate_leaves_32_bits_on_recorded_and_full_scale_input(broad):
    checks = _RangeChecks()
    module = _instrumented_tilt_module(checks)
    excerpt = broad  # tapping up to 16 g and turns near 500 dps, at 285.714 Hz
    counts = np.column_stack([evaltilt.quantise(excerpt.accel_g, 2048.0), evaltilt.quantise(excerpt.gyro_dps, 16.4)])
    _run_checked(module, counts[:3000], excerpt.rate_hz, 2048.0, 16.4, 8)
    rng = np.random.default_rng(7)
    for rate_hz, accel_lsb, gyro_lsb in ((25.0, 2048.0, 14.3), (1000.0, 65536.0, 131.0), (50.0, 2048.0, 16.4),
                                         (285.714, 16384.0, 131.0)):
        # full-scale noise, saturated samples and long still spells, so every branch runs at its extremes
        noise = rng.integers(-32768, 32768, size=(600, 6))
        saturated = np.tile([32767, -32768, 32767, -32768, 32767, -32768], (100, 1))
        still = np.tile([0, 0, int(accel_lsb) if accel_lsb < 32768 else 32767, 40, -40, 20], (int(4 * rate_hz), 1))
        data = np.vstack([still, noise, saturated, still, -saturated]).astype(np.int16)
        filt = _run_checked(module, data, rate_hz, accel_lsb, gyro_lsb, 10)
        assert filt.ready
    assert checks.widest < 2**30  # the design keeps every intermediate below 2**30
    print(f"widest intermediate: 2**{math.log2(checks.widest):.2f}")


# ---- the eval command ----

def test_eval_tilt_prints_json_beside_vqf(tmp_path, capsys):
    (tmp_path / BROAD.name).write_bytes(BROAD.read_bytes())
    assert main(["eval", "tilt", str(tmp_path), "--compare", "vqf", "--json", "--burst", "4"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["interpreter"] == "cpython"
    (entry,) = doc["files"]
    assert entry["name"] == recording.stem(BROAD)
    assert doc["mean_rmse_incl_deg"] == entry["rmse_incl_deg"]
    assert 0.0 < entry["rmse_incl_deg"] < 1.0
    vqf = doc["compare"]["vqf"]
    assert 0.0 < vqf["mean_rmse_incl_deg"] < 1.5
    assert set(doc["compare"]) == {"vqf"}


def test_eval_tilt_table_names_every_file(tmp_path, capsys):
    (tmp_path / BROAD.name).write_bytes(BROAD.read_bytes())
    assert main(["eval", "tilt", str(tmp_path), "--burst", "16"]) == 0
    out = capsys.readouterr().out
    assert recording.stem(BROAD) in out and "mean" in out


def test_eval_tilt_explains_recordings_without_ground_truth(tmp_path, capsys):
    (tmp_path / HAPT.name).write_bytes(HAPT.read_bytes())
    assert main(["eval", "tilt", str(tmp_path)]) == 1
    assert "no ground truth" in capsys.readouterr().err


def test_eval_tilt_explains_a_bad_folder_and_a_bad_filter_name(tmp_path, capsys):
    assert main(["eval", "tilt", str(tmp_path / "missing")]) == 1
    assert "not a folder" in capsys.readouterr().err
    assert main(["eval", "tilt", str(tmp_path)]) == 1
    assert "no lumbo-imu/1 recordings" in capsys.readouterr().err
    (tmp_path / BROAD.name).write_bytes(BROAD.read_bytes())
    assert main(["eval", "tilt", str(tmp_path), "--compare", "kalman"]) == 1
    assert "vqf, fusion" in capsys.readouterr().err


def test_the_score_is_the_angle_between_true_and_estimated_up(broad):
    # the README defines it from q_err = q_est * conj(q_true): 2*acos(sqrt(w^2 + z^2)); check the two agree
    rng = np.random.default_rng(3)
    q_true = broad.quat[::500]
    q_true = q_true / np.linalg.norm(q_true, axis=1, keepdims=True)
    turn = rng.normal(size=(len(q_true), 4)) * [1, 0.05, 0.05, 0.3]
    turn[:, 0] = 1.0
    turn /= np.linalg.norm(turn, axis=1, keepdims=True)
    q_est = _qmul(turn, q_true)  # errors that tilt and turn about the vertical
    q_err = _qmul(q_est, q_true * [1, -1, -1, -1])
    by_readme = np.degrees(2 * np.arccos(np.clip(np.sqrt(q_err[:, 0] ** 2 + q_err[:, 3] ** 2), -1, 1)))
    by_gravity = evaltilt.inclination_error_deg(evaltilt.true_up(q_est), evaltilt.true_up(q_true))
    assert np.allclose(by_readme, by_gravity, atol=1e-6)
    assert by_readme.max() > 1.0  # the check compared real differences


def _qmul(a, b):
    w1, x1, y1, z1 = a.T
    w2, x2, y2, z2 = b.T
    return np.column_stack([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2])


def test_bursts_cover_every_sample_once():
    ends = evaltilt.burst_ends(10, 4)
    assert ends.tolist() == [3, 7, 9]
    assert evaltilt.burst_ends(8, 4).tolist() == [3, 7]
    with pytest.raises(evaltilt.EvalError):
        evaltilt.burst_ends(8, 0)
    assert evaltilt.quantise(np.array([1.0, -20.0, 0.00024]), 2048.0).tolist() == [2048, -32768, 0]


# ---- pelvic tilt on virtual wearers (lumbo.sim) ----

WEARER_DAY = """calibrate 10s
walk 3m
sit 10m
walk 2m turns=2
stand 1m
bend 2
sit 8m slouch=0.8
walk 2m
"""


@pytest.mark.slow
def test_pelvic_tilt_on_virtual_wearers_with_random_clips_and_gyro_bias(x64_build):
    """Half-hour desk days (a calibration stance, walks, two sitting bouts, standing, bends) on four
    people drawn by the simulator, each with the clip at a random angle and an MPU-6050 whose gyro bias is
    drawn from the datasheet spread; the posture detector's hints come from the simulator's activities."""
    from lumbo import sim

    results = []
    for seed in (1, 2, 3, 4):
        rec = sim.simulate_scenario(WEARER_DAY, seed=seed, mounting="random")
        accel, gyro = evaltilt.chip_scales(rec, None, None)
        run = evaltilt.run_filter(rec, "micropython", 25, accel, gyro, build_dir=x64_build)
        errors, worn = evaltilt.sagittal_errors(rec, run)
        bias = np.linalg.norm(rec.truth["gyro_bias_dps"][0][1:])
        results.append((seed, float(np.sqrt(np.mean(errors**2))), len(errors) / worn, bias))
    print("seed, sagittal RMSE deg, coverage, |gyro bias| dps:", results)
    assert max(b for *_, b in results) > 3.0  # the bias is large enough to matter
    for seed, rmse, coverage, _ in results:
        assert rmse <= 1.5, (seed, rmse)
        assert coverage > 0.8, (seed, coverage)  # the axis was learned early in the first sitting bout


def test_eval_tilt_scores_pelvic_tilt_on_virtual_wearer_recordings(tmp_path, capsys):
    from lumbo import sim

    rec = sim.simulate_scenario("calibrate 10s\nwalk 1m\nsit 3m\nstand 30s", seed=5, mounting="random")
    sim.write(rec, tmp_path, "wearer")
    assert main(["eval", "tilt", str(tmp_path), "--json", "--burst", "25"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (entry,) = doc["files"]
    assert 0.0 < entry["rmse_sagittal_deg"] < 1.5
    assert 0.5 < entry["sagittal_coverage"] <= 1.0
    assert doc["mean_rmse_sagittal_deg"] == entry["rmse_sagittal_deg"]
