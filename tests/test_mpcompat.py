"""The CPython stand-ins behave as MicroPython's own do."""

import time
from array import array

import micropython

from lumbo import mpcompat


def test_ticks_diff_handles_wraparound_like_micropython():
    period = 1 << 30
    assert time.ticks_diff(5, period - 5) == 10
    assert time.ticks_diff(period - 5, 5) == -10
    assert time.ticks_add(period - 1, 2) == 1


def test_viper_ptr16_loads_are_zero_extended_and_stores_truncate():
    samples = array("h", [-1, 2, -32768])
    p = ptr16(samples)  # noqa: F821  (a builtin under viper, installed by mpcompat)
    assert p[0] == 0xFFFF and p[1] == 2 and p[2] == 0x8000
    p[1] = 0x12345
    assert samples[1] == 0x2345
    q = ptr8(bytearray(2))  # noqa: F821
    q[0] = 0x1FF
    assert q[0] == 0xFF


def test_micropython_module_is_the_shim_with_const_and_decorators():
    assert micropython.const(7) == 7
    assert micropython.viper(len) is len and micropython.native(len) is len


def test_install_is_idempotent():
    mpcompat.install(emulated_hardware=True)
    mpcompat.install(emulated_hardware=True)
    import sys

    assert sys.path.count(str(mpcompat.MPCOMPAT_SHIM_DIR)) == 1
