"""lumbo firmware: runs on the ESP32 under MicroPython, and unchanged under the unix port and CPython."""

FIRMWARE_VERSION = "0.1.0"
