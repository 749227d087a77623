"""The emulated chips themselves: timing on the injected clock, quantisation to each chip's datasheet
count, the frames they replay, and the strictness that keeps a driver honest."""

from array import array

import machine
import numpy as np
import pytest
from chips import chip_class, plug
from chips.clock import ManualClock
from chips.frames import FrameError, FrameSource
from chips.regchip import EmulatorError, quantise

from conftest import TEST_DATA
from lumbo import recording
from lumbo.emu import imu_frames


@pytest.fixture(autouse=True)
def _clean_bus():
    machine.detach_all()
    yield
    machine.detach_all()


def _still(ax_ug=0, az_ug=1_000_000, gz_mdps=0, n=10):
    return FrameSource(50_000, array("i", [ax_ug, 0, az_ug, 0, 0, gz_mdps] * n))


def _wr(chip, register, value):
    chip.write(register, bytes([value]))


def _rd(chip, register, n):
    buf = bytearray(n)
    chip.read_into(register, buf)
    return buf


def test_quantise_rounds_halves_away_from_zero_and_clips():
    assert quantise(1_000_000, 8192, 1_000_000) == 8192  # 1 g at 8192 counts per g
    assert quantise(61, 1, 122) == 1 and quantise(60, 1, 122) == 0  # 0.5 count and just under
    assert quantise(-61, 1, 122) == -1
    assert quantise(5_000_000, 8192, 1_000_000) == 32767 and quantise(-5_000_000, 8192, 1_000_000) == -32768


def test_mpu6050_samples_at_its_divided_rate_on_the_injected_clock():
    clock = ManualClock()
    chip = plug("MPU-6050", _still(), clock)
    _wr(chip, 0x6B, 0x01)  # awake, PLL
    _wr(chip, 0x1A, 0x04)  # DLPF on: 1 kHz base
    _wr(chip, 0x19, 19)  # / 20 = 50 Hz
    clock.advance_ms(10_000)
    chip.poll()
    assert chip.samples == 500
    # 1 g on z at the reset range (+-2 g, 16384 counts per g), big-endian in ACCEL_ZOUT.
    assert _rd(chip, 0x3F, 2) == bytes([0x40, 0x00])


def test_a_fast_chip_clock_gives_more_samples():
    clock = ManualClock()
    chip = plug("MPU-6500", _still(), clock, clock_ppm=10_000)  # 1 % fast
    _wr(chip, 0x6B, 0x01)
    _wr(chip, 0x1A, 0x04)
    _wr(chip, 0x19, 19)
    clock.advance_ms(10_000)
    chip.poll()
    assert chip.samples == 505


def test_lsm6dsox_counts_follow_the_datasheet_sensitivity():
    clock = ManualClock()
    chip = plug("LSM6DSOX", _still(ax_ug=500_000, gz_mdps=100_000), clock)
    _wr(chip, 0x10, 0x38)  # 52 Hz, FS_XL 10: +-4 g, 0.122 mg per count
    _wr(chip, 0x11, 0x34)  # 52 Hz, FS_G 01: 500 dps, 17.5 mdps per count
    clock.advance_ms(100)
    chip.poll()
    out = _rd(chip, 0x22, 12)  # gyro x, y, z then accel x, y, z, little-endian
    gz = int.from_bytes(out[4:6], "little", signed=True)
    ax = int.from_bytes(out[6:8], "little", signed=True)
    assert ax == round(500 / 0.122) and gz == round(100_000 / 17.5)


def test_writes_to_registers_the_emulator_does_not_model_are_refused():
    chip = plug("MPU-6050", _still(), ManualClock())
    with pytest.raises(EmulatorError, match="0x13"):
        _wr(chip, 0x13, 1)  # XG_OFFS_USRH: not modelled


def test_the_fifo_fills_with_accel_then_gyro_big_endian():
    clock = ManualClock()
    chip = plug("MPU-6050", _still(ax_ug=-250_000, gz_mdps=-10_000), clock)
    for register, value in ((0x6B, 1), (0x1A, 4), (0x19, 19), (0x23, 0x78), (0x6A, 0x40)):
        _wr(chip, register, value)
    clock.advance_ms(100)
    assert int.from_bytes(_rd(chip, 0x72, 2), "big") == 5 * 12
    frame = _rd(chip, 0x74, 12)
    assert int.from_bytes(frame[0:2], "big", signed=True) == -4096  # -0.25 g at 16384 per g
    assert int.from_bytes(frame[10:12], "big", signed=True) == -1310  # -10 dps at 131 per dps


def test_frames_file_round_trip_and_bad_files(tmp_path):
    rec = recording.read(TEST_DATA / "hapt-exp01_user01-excerpt.csv.gz")
    path = imu_frames.write_frames(tmp_path / "a.frames", rec)
    rate_mhz, frames = imu_frames.read_frames(path)
    assert rate_mhz == 50_000 and frames.shape == (len(rec), 6)
    np.testing.assert_allclose(frames[:, :3] / 1e6, rec.accel_g, atol=0.5e-6)
    np.testing.assert_allclose(frames[:, 3:] / 1e3, rec.gyro_dps, atol=0.5e-3)
    source = FrameSource.open(str(path), 16)
    try:
        out = [0] * 6
        for index in (0, 17, 5000, len(rec) - 1):
            source.get(index, out)
            assert out == frames[index].tolist()
        source.get(len(rec) + 100, out)  # past the end the last frame holds
        assert out == frames[-1].tolist()
        assert source.index_at(20_000) == 1 and source.index_at(10**12) == len(rec) - 1
    finally:
        source.close()
    bad = tmp_path / "bad.frames"
    bad.write_bytes(b"NOTFRAME" + bytes(40))
    with pytest.raises(FrameError, match="not a lumbo frames file"):
        FrameSource.open(str(bad))
    with pytest.raises(imu_frames.FramesError, match="not a lumbo frames file"):
        imu_frames.read_frames(bad)


def test_resampled_frames_play_at_the_chip_rate(tmp_path):
    rec = recording.read(TEST_DATA / "hapt-exp01_user01-excerpt.csv.gz")
    rate_mhz, frames = imu_frames.frames_from_recording(rec, 52)
    assert rate_mhz == 52_000
    assert abs(len(frames) - round(rec.t_s[-1] * 52) - 1) <= 1
    t = np.arange(len(frames)) / 52
    np.testing.assert_allclose(frames[:, 0] / 1e6, np.interp(t, rec.t_s, rec.accel_g[:, 0]), atol=1e-6)


def test_every_emulated_chip_can_be_made_by_name():
    for name in ("MPU-6050", "MPU-6500", "MPU-9250", "LSM6DS3", "LSM6DS3TR-C", "LSM6DSOX", "LSM6DSO"):
        assert chip_class(name).NAME == name
    with pytest.raises(ValueError, match="emulated: LSM6DS3"):
        chip_class("BMI270")
