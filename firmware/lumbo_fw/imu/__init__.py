"""IMU drivers: find the chip on the I2C bus and read its FIFO into Bursts.

    imu = lumbo_fw.imu.detect(i2c, board.board(name), clock=time)
    imu.configure()
    burst = lumbo_fw.imu.new_burst(imu)
    n = imu.read(burst)          # a few times a second

Supported: InvenSense MPU-6050, MPU-6500, MPU-9250 (at 0x68/0x69, WHO_AM_I 0x75) and ST LSM6DS3,
LSM6DS3TR-C, LSM6DSO/LSM6DSOX (at 0x6A/0x6B, WHO_AM_I 0x0F). docs/imu-drivers.md has the registers,
axes and datasheet references; base.py the fault handling.

A family's module is imported only when a chip of that family answers, to keep RAM free on the board.
"""

from lumbo_fw.imu.base import (  # noqa: F401  (the package's interface)
    FAULT_BUS,
    FAULT_IDENTITY,
    FAULT_NAMES,
    FAULT_NONE,
    FAULT_RESET,
    FAULT_STALL,
    MODE_MEASURE,
    MODE_OFF,
    MODE_WAKE_ON_MOTION,
    Imu,
    ImuError,
    new_burst,
    parse_axes,
)

# (I2C address, WHO_AM_I register). MPU parts answer at 0x68 (AD0 low) or 0x69; LSM6 parts at 0x6A (SA0
# low) or 0x6B.
CANDIDATES = ((0x68, 0x75), (0x69, 0x75), (0x6A, 0x0F), (0x6B, 0x0F))
# (WHO_AM_I register, value) -> the module with the driver; the module's chip_for() picks the class.
IDENTITIES = {
    (0x75, 0x68): "invensense",
    (0x75, 0x70): "invensense",
    (0x75, 0x71): "invensense",
    (0x0F, 0x69): "lsm6ds3",
    (0x0F, 0x6A): "lsm6ds3",
    (0x0F, 0x6C): "lsm6dsox",
}
SUPPORTED = (
    "MPU-6050 (0x68), MPU-6500 (0x70), MPU-9250 (0x71), LSM6DS3 (0x69), LSM6DS3TR-C (0x6a), "
    "LSM6DSO/LSM6DSOX (0x6c)"
)


def driver_module(name):
    """Import a driver module by name (only the one a board needs is ever loaded)."""
    if name == "invensense":
        from lumbo_fw.imu import invensense

        return invensense
    if name == "lsm6ds3":
        from lumbo_fw.imu import lsm6ds3

        return lsm6ds3
    if name == "lsm6dsox":
        from lumbo_fw.imu import lsm6dsox

        return lsm6dsox
    raise ImuError("no IMU driver module called %r" % (name,))


def _where(pins):
    return "I2C bus %s (SDA GPIO%s, SCL GPIO%s, %d kHz)" % (
        pins.get("i2c_id", "?"), pins.get("sda_pin", "?"), pins.get("scl_pin", "?"),
        pins.get("i2c_freq_hz", 0) // 1000,
    )


def detect(i2c, pins, clock=None, axes="+x+y+z", **settings):
    """The driver for the first supported IMU found on the bus, not yet configured.

    pins: the board's pin map (lumbo_fw.board.board()), used to say where was looked. settings go to
    the driver (rate_hz, accel_range_g, gyro_range_dps, max_samples). Raises ImuError saying what was
    found where, and which pins were used, when there is no supported IMU."""
    try:
        present = i2c.scan()
    except OSError as exc:
        raise ImuError(
            "the I2C bus failed while scanning (%s) on %s: check the wiring (SDA and SCL not swapped or "
            "shorted, pull-ups fitted, the IMU powered from 3.3 V)" % (exc, _where(pins))
        ) from exc
    if not present:
        raise ImuError(
            "no device answered on %s: check the wiring (3.3 V and GND to the IMU, SDA and SCL to the "
            "pins named, not swapped, pull-ups fitted)" % _where(pins)
        )
    answers = []
    for address, register in CANDIDATES:
        if address not in present:
            continue
        buf = bytearray(1)
        try:
            i2c.readfrom_mem_into(address, register, buf)
        except OSError as exc:
            answers.append("0x%02x did not answer a read of register 0x%02x (%s)" % (address, register, exc))
            continue
        module = IDENTITIES.get((register, buf[0]))
        if module is not None:
            cls = driver_module(module).chip_for(buf[0])
            if cls is not None:
                return cls(i2c, address, clock, axes, **settings)
        answers.append("0x%02x answered WHO_AM_I (0x%02x) with 0x%02x" % (address, register, buf[0]))
    found = ", ".join("0x%02x" % a for a in present)
    if not answers:
        raise ImuError(
            "found I2C devices at %s on %s, but none at the IMU addresses 0x68, 0x69, 0x6a or 0x6b: "
            "check the wiring and that the IMU board is one of: %s" % (found, _where(pins), SUPPORTED)
        )
    raise ImuError(
        "no supported IMU on %s: %s (devices present at %s); supported parts and their WHO_AM_I: %s. "
        "Check the wiring and the part fitted" % (_where(pins), "; ".join(answers), found, SUPPORTED)
    )
