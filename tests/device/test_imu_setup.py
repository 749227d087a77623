"""Finding the IMU and describing how it is mounted: auto-detection and its errors, axis mappings."""

# Compiled and loaded first, in an order that suits a board-sized heap (see preload.py).
from preload import load

load("chips.invensense", "imutest", "lumbo_fw.imu.invensense", "lumbo_fw.imu.lsm6ds3", "lumbo_fw.imu.lsm6dsox")

import machine  # noqa: E402
from imutest import FRAMES_50HZ, PINS, Rig, fresh  # noqa: E402

from devtest import raises  # noqa: E402
from lumbo_fw import imu as imu_pkg  # noqa: E402
from lumbo_fw.board import board  # noqa: E402


def teardown_function(_function=None):
    fresh()


class _OtherDevice:
    """Something that is not an IMU (an OLED display at 0x3c, say): answers any read with zeros."""

    def read_into(self, register, buf):
        for i in range(len(buf)):
            buf[i] = 0

    def write(self, register, buf):
        pass


def test_an_empty_bus_says_where_it_looked_and_to_check_the_wiring():
    fresh()
    pins = board("esp32-devkit")
    err = raises(imu_pkg.ImuError, imu_pkg.detect, machine.I2C(0), pins)
    text = str(err)
    assert "no device answered" in text and "check the wiring" in text, text
    assert "SDA GPIO21" in text and "SCL GPIO22" in text and "400 kHz" in text, text


def test_other_devices_but_no_imu_are_listed():
    fresh()
    machine.attach(0, 0x3C, _OtherDevice())
    err = raises(imu_pkg.ImuError, imu_pkg.detect, machine.I2C(0), PINS)
    text = str(err)
    assert "0x3c" in text and "none at the IMU addresses" in text and "check the wiring" in text, text


def test_an_unknown_part_at_an_imu_address_is_named_with_its_answer():
    fresh()
    machine.attach(0, 0x68, _OtherDevice())
    err = raises(imu_pkg.ImuError, imu_pkg.detect, machine.I2C(0), PINS)
    text = str(err)
    assert "0x68 answered WHO_AM_I (0x75) with 0x00" in text and "MPU-6050 (0x68)" in text, text


def test_a_hung_bus_finds_nothing_and_says_so():
    rig = Rig("MPU-6050", FRAMES_50HZ, start=False)
    try:
        rig.chip.hang_bus()
        err = raises(imu_pkg.ImuError, imu_pkg.detect, rig.i2c, PINS)
        assert "no device answered" in str(err) and "SDA GPIO5" in str(err), str(err)
    finally:
        rig.close()


def test_the_chip_is_found_at_its_other_address_too():
    fresh()
    from chips import plug
    from chips.clock import ManualClock
    from chips.frames import FrameSource

    source = FrameSource.open(FRAMES_50HZ)
    try:
        plug("MPU-6050", source, ManualClock(), 0, 0x69)
        found = imu_pkg.detect(machine.I2C(0), PINS)
        assert found.NAME == "MPU-6050" and found.address == 0x69
    finally:
        source.close()


def test_every_identity_in_the_table_has_its_driver():
    # The table detect() uses to pick a module must agree with the classes' own WHO_AM_I values.
    for key in imu_pkg.IDENTITIES:
        register, value = key
        cls = imu_pkg.driver_module(imu_pkg.IDENTITIES[key]).chip_for(value)
        assert cls is not None and cls.WHO_AM_I == value and cls.WHO_AM_I_REG == register, key


def test_rotations_are_accepted_and_mirror_images_refused():
    # 48 signed permutations of the three axes: 24 are rotations (determinant +1), 24 mirror images.
    names = "xyz"
    accepted = 0
    refused = 0
    for a in range(3):
        for b in range(3):
            for c in range(3):
                if a == b or b == c or a == c:
                    continue
                for signs in range(8):
                    text = ""
                    k = 0
                    for axis in (a, b, c):
                        text += ("-" if signs >> k & 1 else "+") + names[axis]
                        k += 1
                    try:
                        imu_pkg.parse_axes(text)
                        accepted += 1
                    except imu_pkg.ImuError as exc:
                        assert "mirror" in str(exc), str(exc)
                        refused += 1
    assert accepted == 24 and refused == 24


def test_malformed_axes_are_refused_with_an_example():
    for text in ("+x+y", "xyz+++", "+a+b+c", 5):
        err = raises(imu_pkg.ImuError, imu_pkg.parse_axes, text)
        assert "+x+y+z" in str(err), str(err)
    err = raises(imu_pkg.ImuError, imu_pkg.parse_axes, "+x+x+z")
    assert "twice" in str(err), str(err)


def test_every_board_says_how_its_imu_is_mounted():
    from lumbo_fw import board as board_module

    assert sorted(board_module.IMU_AXES) == sorted(board_module.BOARDS)
    for name in board_module.BOARDS:
        assert len(imu_pkg.parse_axes(board_module.IMU_AXES[name])) == 3


def test_unsupported_settings_are_refused_by_name():
    fresh()
    mpu = imu_pkg.driver_module("invensense").Mpu6050
    err = raises(imu_pkg.ImuError, mpu, machine.I2C(0), 0x68, None, "+x+y+z", 50, 3)
    assert "accel range 3" in str(err), str(err)
