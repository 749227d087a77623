"""Cost of reading the IMU's FIFO into a Burst: microseconds and heap bytes, the driver's own.

Runs under MicroPython (lumbo bench device). The chips are emulated at their registers, and the emulator
costs several times what the driver does, so it is kept out of the figure altogether:
  1. a driver is set up on an emulated chip and reads it every 500 ms of emulated time while every
     transfer and every byte the chip answered is recorded;
  2. a new driver is set up and timed while the bus it talks to plays those answers back (a viper copy
     per transfer, no emulator), and its heap use per read is measured;
  3. the play-back alone, the same transfers without a driver, is timed and taken away.
The reference, in the same process, is the usual way small drivers decode a FIFO: struct.unpack_from per
sample into a new tuple, over the same number of samples.

Prints one JSON object as its last line: driver_us_per_sample and driver_bytes_per_burst for the path
most chips use, whole untagged samples (the MPU-6050's here; the LSM6DS3 family decodes the same way),
driver_mpu6050_* with the play-back's own share, and the reference's figures. driver_lsm6dsox.py
measures the tagged path the same way.
"""

import json

from _driverbench import load, measure, record, reference

load("chips", "chips.clock", "chips.regchip", "chips.invensense", "lumbo_fw.imu", "lumbo_fw.board",
     "lumbo_fw.imu.invensense")


def main():
    # The untagged decode path: whole samples, as the MPU-6050 and the LSM6DS3 family give them. The
    # LSM6DSOX's tagged path is measured by driver_lsm6dsox.py (its emulator would not fit beside this one
    # in a board-sized heap).
    figures = {}
    us, playback_us, nbytes = measure(*record("MPU-6050"))
    figures["driver_mpu6050_us_per_sample"] = round(us, 3)
    figures["driver_mpu6050_playback_us_per_sample"] = round(playback_us, 3)
    figures["driver_mpu6050_bytes_per_burst"] = nbytes
    figures["driver_us_per_sample"] = round(us, 3)
    figures["driver_bytes_per_burst"] = nbytes
    ref_us, ref_bytes = reference()
    figures["driver_reference_us_per_sample"] = round(ref_us, 3)
    figures["driver_reference_bytes_per_burst"] = ref_bytes
    print(json.dumps(figures))


main()
