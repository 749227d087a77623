"""Finding the board: serial ports whose USB IDs are the bridges ESP32 boards use."""

from serial.tools import list_ports

from lumbo.flash import FlashError

# (vendor id, product id): the USB-serial bridges on ESP32 boards.
ESP32_USB_IDS = {
    (0x303A, 0x1001): "Espressif USB-Serial/JTAG (ESP32-S3, ESP32-C3 native USB, as on the XIAO)",
    (0x303A, 0x4001): "Espressif native USB (TinyUSB)",
    (0x10C4, 0xEA60): "Silicon Labs CP210x (ESP32-DevKitC)",
    (0x1A86, 0x7523): "WCH CH340",
    (0x1A86, 0x55D4): "WCH CH9102",
    (0x0403, 0x6001): "FTDI FT232R",
    (0x0403, 0x6015): "FTDI FT231X",
}


def candidates() -> list[tuple[str, str]]:
    """(device, description) of every port that looks like an ESP32 board."""
    found = []
    for port in list_ports.comports():
        kind = ESP32_USB_IDS.get((port.vid, port.pid)) if port.vid is not None else None
        if kind:
            found.append((port.device, kind))
    return sorted(found)


def find_board(port: str | None) -> str:
    """The port to use: the one given, or the only ESP32-looking port; a clear error otherwise."""
    if port:
        return port
    found = candidates()
    if not found:
        raise FlashError("no board found: plug it in with a data USB cable (a charge-only cable shows nothing); "
                         "on Linux, add yourself to the dialout group; or give --port")
    if len(found) > 1:
        listing = ", ".join(f"{dev} ({kind})" for dev, kind in found)
        raise FlashError(f"several boards found: {listing}; choose one with --port")
    return found[0][0]
