"""`bluetooth` on an emulated board built with Bluetooth, for when lumbo/emu/upy/ has no emulated radio.

lumbo/emu/upy/ comes first on the board's path, so its emulated radio, where it exists, replaces this.
Importing works, as on a board whose MicroPython has Bluetooth; turning the radio on says what is missing.
"""


class BLE:
    def __init__(self):
        raise OSError("this emulated board has no radio attached: lumbo/emu/upy/bluetooth.py is not installed")
