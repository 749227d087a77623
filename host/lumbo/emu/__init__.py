"""Emulated hardware: what stands in for the I2C bus, the IMU chips and the radio when there is no board."""
