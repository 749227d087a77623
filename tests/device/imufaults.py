"""Fault scenarios for the IMU driver tests (each chip family's fault tests call these): a refused
transfer, a chip that stops answering, a hung bus, a chip that resets itself, a wrong identity."""

import machine
from imutest import PINS, Rig, StreamCheck

from lumbo_fw import imu as imu_pkg


def transient_nack(chip_name, frames_path):
    rig = Rig(chip_name, frames_path)
    try:
        rig.clock.advance_ms(300)
        rig.chip.fail_transfers(2)
        n = rig.imu.read(rig.burst)
        assert n > 0, "two refused transfers are retried within one read"
        assert rig.imu.bus_errors == 2 and rig.imu.fault == imu_pkg.FAULT_NONE
        assert rig.imu.take_event() == 0
    finally:
        rig.close()


def lasting_fault(chip_name, frames_path, kind):
    """kind "nack" or "hang": reads return nothing, one fault event, the device keeps going; once the
    fault clears the driver sets the chip up again and samples flow, still matching the source."""
    from lumbo_shared.vocab import EVENT_SENSOR_FAULT

    rig = Rig(chip_name, frames_path)
    try:
        check = StreamCheck(rig.source, rig.imu)
        rig.read_for(1000, 250, check)
        if kind == "nack":
            rig.chip.fail_transfers()
        else:
            rig.chip.hang_bus()
        assert rig.read_for(10000, 250) == 0
        imu = rig.imu
        assert imu.fault == imu_pkg.FAULT_BUS
        assert imu.last_errno == (machine.ENODEV if kind == "nack" else machine.ETIMEDOUT)
        assert imu.faults == 1 and imu.take_event() == EVENT_SENSOR_FAULT and imu.take_event() == 0
        transfers_while_down = rig.chip.transfers
        rig.chip.clear_faults()
        check = StreamCheck(rig.source, imu, None, check.next_index, 1200)
        got = rig.read_for(8000, 250, check)
        assert got > 100 and imu.fault == imu_pkg.FAULT_NONE and imu.recoveries == 1
        assert imu.faults == 1 and imu.take_event() == 0
        assert rig.chip.resets >= 1 and rig.chip.transfers > transfers_while_down
    finally:
        rig.close()


def back_off(chip_name, frames_path):
    """While the bus is down the driver tries again less and less often (0.1 s doubling to 5 s)."""
    rig = Rig(chip_name, frames_path)
    try:
        rig.chip.fail_transfers()
        before = rig.chip.transfers
        rig.read_for(60000, 100)
        attempts = rig.chip.transfers - before
        # 600 reads; with back-off about 20 set-up attempts of 3 tries each, not 600 x 3.
        assert attempts < 150, attempts
        assert rig.imu.faults == 1
    finally:
        rig.close()


def spontaneous_reset(chip_name, frames_path):
    from lumbo_shared.vocab import EVENT_SENSOR_FAULT

    rig = Rig(chip_name, frames_path)
    try:
        check = StreamCheck(rig.source, rig.imu)
        rig.read_for(2000, 200, check)
        rig.chip.reset_spontaneously()
        rig.read_for(1000, 100)
        imu = rig.imu
        assert imu.faults == 1 and imu.take_event() == EVENT_SENSOR_FAULT
        assert imu.recoveries == 1 and imu.fault == imu_pkg.FAULT_NONE
        check = StreamCheck(rig.source, imu, None, check.next_index, 400)
        assert rig.read_for(3000, 200, check) > 100
    finally:
        rig.close()


def identity_lost(chip_name, frames_path, right_id):
    """The chip resets and then answers with another identity: a fault that lasts until it is right."""
    rig = Rig(chip_name, frames_path)
    try:
        rig.read_for(1000, 200)
        rig.chip.set_identity(0x12)
        rig.chip.reset_spontaneously()
        assert rig.read_for(3000, 100) == 0
        assert rig.imu.fault == imu_pkg.FAULT_IDENTITY and rig.imu.faults == 1
        rig.chip.set_identity(right_id)
        assert rig.read_for(6000, 200) > 100 and rig.imu.fault == imu_pkg.FAULT_NONE
    finally:
        rig.close()


def wrong_identity_at_start(chip_name, frames_path, address, register):
    rig = Rig(chip_name, frames_path, who_am_i=0x98, start=False)
    try:
        err = _raises_imu_error(lambda: imu_pkg.detect(rig.i2c, PINS, rig.clock))
        text = str(err)
        want = "0x%02x answered WHO_AM_I (0x%02x) with 0x98" % (address, register)
        assert want in text and "SDA GPIO%d" % PINS["sda_pin"] in text and "check the wiring" in text.lower(), text
    finally:
        rig.close()


def _raises_imu_error(func):
    try:
        func()
    except imu_pkg.ImuError as exc:
        return exc
    raise AssertionError("expected ImuError")
