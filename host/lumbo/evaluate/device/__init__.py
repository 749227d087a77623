"""Scripts that run the firmware over recordings, under MicroPython or CPython alike."""
