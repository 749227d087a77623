"""Board configuration: the one place that says which pin does what on each supported build.

hardware/ draws its wiring tables and schematic from these values, so the two cannot disagree.
"""

# name: one value per entry of FIELDS (GPIO numbers; the I2C clock in Hz).
# -1 means "not fitted on this build".
BOARDS = {
    # (a) no soldering: Seeed XIAO ESP32-S3 with an IMU breakout on its Qwiic/STEMMA QT cable.
    "xiao-esp32s3": (0, 5, 6, 400000, 4, 2, 3, 1),
    # (b) cheapest: a generic ESP32 DevKit with a GY-521 (MPU-6050) on the usual I2C pins.
    "esp32-devkit": (0, 21, 22, 400000, 27, 0, 23, 34),
}
DEFAULT_BOARD = "xiao-esp32s3"
# How the IMU breakout sits in each build: which of its printed axes (the chip's own on the supported
# breakouts) point along the device's x, y and z. "+x+y+z": the device's frame is the breakout's.
# lumbo_fw.imu.parse_axes checks a value; docs/imu-drivers.md shows how to write one.
IMU_AXES = {
    "xiao-esp32s3": "+x+y+z",
    "esp32-devkit": "+x+y+z",
}
FIELDS = (
    "i2c_id", "sda_pin", "scl_pin", "i2c_freq_hz", "imu_int_pin", "button_pin", "haptic_pin", "battery_adc_pin",
)
NOT_FITTED = -1


def board(name=DEFAULT_BOARD):
    """The pin map of a build as a dict of FIELDS; a clear error for an unknown name."""
    row = BOARDS.get(name)
    if row is None:
        raise ValueError("unknown board '%s'; known boards: %s" % (name, ", ".join(sorted(BOARDS))))
    return dict(zip(FIELDS, row))
