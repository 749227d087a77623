import gzip

import numpy as np
import pytest

from conftest import TEST_DATA
from lumbo import recording as rec
from lumbo.recording import Label, Recording, RecordingError

HAPT = TEST_DATA / "hapt-exp01_user01-excerpt.csv.gz"
BROAD = TEST_DATA / "broad-24_disturbed_tapping_A-excerpt.csv.gz"


def test_reads_the_hapt_excerpt_with_its_labels():
    r = rec.read(HAPT)
    assert r.name == "hapt-exp01_user01-excerpt"
    assert r.rate_hz == 50
    assert r.calibration_s == (4.98, 7.98)
    # 190 s at 50 Hz
    assert len(r) == 9500
    assert r.accel_g.shape == (9500, 3) and r.gyro_dps.shape == (9500, 3)
    # a waist-worn phone with +x roughly up: the mean x reading over a standing span is close to +1 g
    labels = rec.label_at(r.labels, r.t_s)
    standing = labels == "standing"
    assert standing.sum() > 1000
    assert 0.9 < r.accel_g[standing, 0].mean() < 1.1
    assert [lab.label for lab in r.labels[:3]] == ["standing", "transition", "sitting"]
    assert r.quat is None


def test_reads_ground_truth_columns_of_the_broad_excerpt():
    r = rec.read(BROAD)
    assert r.quat is not None and r.gt_valid is not None
    valid = r.quat[r.gt_valid]
    assert len(valid) > 1000
    assert np.allclose(np.linalg.norm(valid, axis=1), 1.0, atol=1e-4)
    assert abs(r.rate_hz - 285.714) < 1e-6


def make_recording(n=500, seed=3):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 50.0
    return Recording(
        t_s=t,
        accel_g=rng.normal(0, 0.3, (n, 3)),
        gyro_dps=rng.normal(0, 20, (n, 3)),
        meta={"rate_hz": "50", "source": "test", "calibration_s": "1.0-3.0"},
        extra={"true_sagittal_deg": rng.normal(0, 10, n)},
        labels=[Label(0.0, 4.0, "standing"), Label(4.0, 9.0, "sitting")],
        name="roundtrip",
    )


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_write_then_read_gives_back_the_same_data(tmp_path, suffix):
    original = make_recording()
    path = rec.write(tmp_path / f"day{suffix}", original)
    back = rec.read(path)
    assert np.allclose(back.t_s, original.t_s, atol=1e-6)
    assert np.allclose(back.accel_g, original.accel_g, atol=5e-7)
    assert np.allclose(back.gyro_dps, original.gyro_dps, atol=5e-5)
    assert np.allclose(back.extra["true_sagittal_deg"], original.extra["true_sagittal_deg"], atol=5e-7)
    assert back.meta == original.meta
    assert back.labels == original.labels
    assert back.calibration_s == (1.0, 3.0)


def test_the_same_recording_is_written_as_the_same_bytes(tmp_path):
    a = rec.write(tmp_path / "a.csv.gz", make_recording())
    b = rec.write(tmp_path / "b.csv.gz", make_recording())
    assert a.read_bytes() == b.read_bytes()


def write_text(tmp_path, body, name="bad.csv"):
    path = tmp_path / name
    path.write_text(body)
    return path


HEADER = "t_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("t_s,ax_g\n0,1\n", "not a lumbo-imu/1 recording"),
        ("# format=lumbo-imu/1\n# rate_hz\n" + HEADER, "metadata lines must be"),
        ("# format=lumbo-imu/1\nt,ax,ay,az,gx,gy,gz\n0,0,0,1,0,0,0\n", "header must start with"),
        ("# format=lumbo-imu/1\n" + HEADER + "0,0,0,1,0,0,0\n0.02,0,zero,1,0,0,0\n", "malformed"),
        ("# format=lumbo-imu/1\n" + HEADER + "0,0,0,1,0,0\n", "malformed"),
        ("# format=lumbo-imu/1\n" + HEADER + "0,0,0,1,0,0,0\n0,0,0,1,0,0,0\n", "t_s must increase"),
        ("# format=lumbo-imu/1\n" + HEADER + "0,0,0,nan,0,0,0\n", "not a finite number"),
        ("# format=lumbo-imu/1\n# calibration_s=5-2\n" + HEADER + "0,0,0,1,0,0,0\n", "calibration_s"),
        ("# format=lumbo-imu/1\n", "ends before the header"),
    ],
)
def test_malformed_files_are_refused_with_where_and_why(tmp_path, body, message):
    path = write_text(tmp_path, body)
    with pytest.raises(RecordingError) as caught:
        rec.read(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_truncated_gzip_file_is_refused_not_half_read(tmp_path):
    good = rec.write(tmp_path / "good.csv.gz", make_recording(n=5000))
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(RecordingError, match="truncated"):
        rec.read(cut)


def test_labels_with_unknown_names_or_bad_spans_are_refused(tmp_path):
    path = write_text(tmp_path, "start_s,end_s,label\n0,5,sleeping\n", "x.labels.csv")
    with pytest.raises(RecordingError, match="unknown label 'sleeping'"):
        rec.read_labels(path)
    path.write_text("start_s,end_s,label\n5,2,sitting\n")
    with pytest.raises(RecordingError, match="end_s must be after"):
        rec.read_labels(path)


def test_find_recordings_skips_labels_and_other_files(tmp_path):
    rec.write(tmp_path / "b.csv.gz", make_recording())
    rec.write(tmp_path / "a.csv", make_recording())
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in rec.find_recordings(tmp_path)] == ["a.csv", "b.csv.gz"]
    with gzip.open(tmp_path / "b.csv.gz", "rt") as handle:
        assert handle.readline() == "# format=lumbo-imu/1\n"
