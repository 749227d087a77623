"""Installing MicroPython itself on a bare board with esptool, from an image the user downloaded.

Images come from micropython.org/download: ESP32_GENERIC_S3 for the XIAO ESP32-S3, ESP32_GENERIC for an
ESP32-DevKitC. The image's own header says which chip it is for, and so where it goes in flash.
"""

from pathlib import Path

from lumbo.flash import FlashError

IMAGE_MAGIC = 0xE9
# esptool's image format: byte 12-13 of the extended header is the chip id.
CHIP_IDS = {0x0000: "esp32", 0x0009: "esp32s3", 0x0005: "esp32c3", 0x0002: "esp32s2"}
# Where the bootloader, and so a whole MicroPython image, starts: 0x1000 on the ESP32 and ESP32-S2, 0x0 after.
IMAGE_OFFSET = {"esp32": 0x1000, "esp32s2": 0x1000, "esp32s3": 0x0, "esp32c3": 0x0}


def image_chip(image: Path) -> str:
    try:
        head = image.read_bytes()[:16]
    except OSError as exc:
        raise FlashError(f"cannot read {image}: {exc.strerror}") from None
    if len(head) < 16 or head[0] != IMAGE_MAGIC:
        raise FlashError(f"{image} is not an ESP32 firmware image (it should start with byte 0xE9); download the "
                         ".bin for your board from micropython.org/download")
    chip_id = head[12] | head[13] << 8
    chip = CHIP_IDS.get(chip_id)
    if chip is None:
        raise FlashError(f"{image} is for a chip lumbo does not know (chip id {chip_id}); lumbo runs on the "
                         "ESP32 and ESP32-S3")
    return chip


def esptool_commands(port: str, image: Path) -> list[list[str]]:
    """The esptool runs that install `image`: erase the flash, then write the image at its chip's offset."""
    chip = image_chip(image)
    base = ["--chip", chip, "--port", port]
    return [[*base, "erase-flash"], [*base, "write-flash", hex(IMAGE_OFFSET[chip]), str(image)]]


def install(port: str, image: Path) -> None:
    import esptool

    for args in esptool_commands(port, image):
        try:
            esptool.main(args)
        except (esptool.FatalError, OSError) as exc:
            raise FlashError(f"esptool failed ({exc}); hold the BOOT button while plugging the board in, then "
                             "try again") from None
        except SystemExit as exc:
            if exc.code:
                raise FlashError(f"esptool stopped with status {exc.code}; see its message above") from None
