"""Lets firmware modules run unchanged under CPython (for fast tests and for scoring them on recordings).

`install()` puts a `micropython` module on the import path (const, native, viper and friends as no-ops),
adds MicroPython's `time.ticks_*` functions to CPython's `time`, and defines viper's pointer casts as
builtins that behave like viper's: loads are zero-extended, stores are truncated to the width.
Optionally it also puts the emulated `machine` and `bluetooth` modules on the path.
"""

import builtins
import sys
import time

from lumbo.paths import EMULATED_HARDWARE_DIR, MPCOMPAT_SHIM_DIR

_TICKS_PERIOD = 1 << 30
_TICKS_HALF = _TICKS_PERIOD // 2


def ticks_ms() -> int:
    return time.monotonic_ns() // 1_000_000 % _TICKS_PERIOD


def ticks_us() -> int:
    return time.monotonic_ns() // 1_000 % _TICKS_PERIOD


def ticks_cpu() -> int:
    return time.perf_counter_ns() % _TICKS_PERIOD


def ticks_add(ticks: int, delta: int) -> int:
    return (ticks + delta) % _TICKS_PERIOD


def ticks_diff(end: int, start: int) -> int:
    return (end - start + _TICKS_HALF) % _TICKS_PERIOD - _TICKS_HALF


def sleep_ms(ms: int) -> None:
    time.sleep(ms / 1000)


def sleep_us(us: int) -> None:
    time.sleep(us / 1_000_000)


class _Pointer:
    """A viper pointer over a buffer: unsigned loads, stores truncated to the element width."""

    __slots__ = ("_mask", "_view")

    def __init__(self, buf: object, code: str, mask: int) -> None:
        view = memoryview(buf)  # type: ignore[arg-type]
        self._view = view.cast("B").cast(code) if view.format != code else view
        self._mask = mask

    def __getitem__(self, index: int) -> int:
        return self._view[index]

    def __setitem__(self, index: int, value: int) -> None:
        self._view[index] = int(value) & self._mask


def ptr8(buf: object) -> _Pointer:
    return _Pointer(buf, "B", 0xFF)


def ptr16(buf: object) -> _Pointer:
    return _Pointer(buf, "H", 0xFFFF)


def ptr32(buf: object) -> _Pointer:
    return _Pointer(buf, "I", 0xFFFFFFFF)


def uint(value: int) -> int:
    return int(value) & 0xFFFFFFFF


_VIPER_BUILTINS = {"ptr8": ptr8, "ptr16": ptr16, "ptr32": ptr32, "uint": uint}
_TIME_FUNCTIONS = {
    "ticks_ms": ticks_ms,
    "ticks_us": ticks_us,
    "ticks_cpu": ticks_cpu,
    "ticks_add": ticks_add,
    "ticks_diff": ticks_diff,
    "sleep_ms": sleep_ms,
    "sleep_us": sleep_us,
}


def install(emulated_hardware: bool = False) -> None:
    """Make firmware modules importable under CPython. Safe to call more than once."""
    if sys.implementation.name == "micropython":
        return
    dirs = [str(MPCOMPAT_SHIM_DIR)]
    if emulated_hardware:
        dirs.append(str(EMULATED_HARDWARE_DIR))
    for entry in reversed(dirs):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    for name, func in _TIME_FUNCTIONS.items():
        if not hasattr(time, name):
            setattr(time, name, func)
    for name, func in _VIPER_BUILTINS.items():
        if not hasattr(builtins, name):
            setattr(builtins, name, func)
