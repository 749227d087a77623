"""Cost of reading a tagged FIFO (the LSM6DSO/LSM6DSOX's) into a Burst: the driver's own microseconds and
heap bytes, measured as driver.py measures the untagged path (recorded answers played back to a fresh
driver, the play-back's share taken away). Prints driver_lsm6dsox_* as one JSON object."""

import json

from _driverbench import load, measure, record

load("chips", "chips.clock", "chips.regchip", "chips.st", "chips.st_dsox", "lumbo_fw.imu", "lumbo_fw.board",
     "lumbo_fw.imu.lsm6dsox")


def main():
    us, playback_us, nbytes = measure(*record("LSM6DSOX"))
    print(json.dumps({
        "driver_lsm6dsox_us_per_sample": round(us, 3),
        "driver_lsm6dsox_playback_us_per_sample": round(playback_us, 3),
        "driver_lsm6dsox_bytes_per_burst": nbytes,
    }))


main()
