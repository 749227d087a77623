"""Emulated IMU chips, modelled at their register maps, for tests and the demo (both interpreters)."""

#     from chips import plug
#     from chips.clock import ManualClock
#     from chips.frames import FrameSource
#
#     clock = ManualClock()
#     chip = plug("LSM6DSOX", FrameSource.open("day.frames"), clock, bus_id=0, int_pin=4)
#
# `plug` attaches the chip to the emulated `machine.I2C` bus at its usual address; the firmware's driver
# then finds and runs it unchanged. The chip's motion comes from a frame source (chips.frames), its time
# from the clock; see chips.regchip for the faults a test can inject.

import machine

# Chip name -> family module; a family is imported only when one of its chips is made, because under
# MicroPython the emulator shares the (board-sized) heap with the firmware under test.
FAMILIES = {
    "MPU-6050": "invensense",
    "MPU-6500": "invensense",
    "MPU-9250": "invensense",
    "LSM6DS3": "st_ds3",
    "LSM6DS3TR-C": "st_ds3",
    "LSM6DSOX": "st_dsox",
    "LSM6DSO": "st_dsox",
}
NAMES = tuple(sorted(FAMILIES))


def chip_class(name):
    family = FAMILIES.get(name)
    if family is None:
        raise ValueError("no emulated chip called %r; emulated: %s" % (name, ", ".join(NAMES)))
    if family == "invensense":
        from chips import invensense as module
    elif family == "st_ds3":
        from chips import st_ds3 as module
    else:
        from chips import st_dsox as module
    for cls in module.CHIPS:
        if cls.NAME == name:
            return cls
    raise ValueError("the %s family module has no chip called %r" % (family, name))


def plug(name, source, clock, bus_id=0, address=None, int_pin=None, temperature_cdeg=2500, clock_ppm=0):
    """Make an emulated chip and attach it to an emulated I2C bus (at its usual address unless given)."""
    cls = chip_class(name)
    chip = cls(source, clock, int_pin, temperature_cdeg, clock_ppm)
    machine.attach(bus_id, cls.ADDRESS if address is None else address, chip)
    return chip
