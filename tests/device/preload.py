"""Imports modules in an order that suits a board-sized heap, collecting garbage after each.

Under MicroPython the emulated chips and the shared test code are compiled from source inside the same heap the
firmware under test uses; compiling needs large free blocks while it runs and leaves fragments behind.
Compiling them first, one at a time with a collection in between, and loading the compiled firmware
afterwards keeps the heap whole enough for the tests' own buffers."""

import gc


def load(*names):
    for name in names:
        __import__(name)
        gc.collect()
