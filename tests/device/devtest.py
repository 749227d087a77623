"""Small helpers for device-side tests; they run under MicroPython and CPython alike."""

import gc
import sys

ON_MICROPYTHON = sys.implementation.name == "micropython"


def raises(exc_type, func, *args):
    """Call func(*args); return the exception it raised, failing if it raised none or another type."""
    try:
        func(*args)
    except exc_type as exc:
        return exc
    raise AssertionError("%s did not raise %s" % (getattr(func, "__name__", func), exc_type.__name__))


def heap_bytes_per_call(call, repeat=200):
    """Heap bytes that `call()` allocates per call, measured with gc.mem_alloc() (MicroPython only).

    `call` takes no arguments: a bound method or a closure made before the measurement, so that making
    it is not counted.
    """
    if not ON_MICROPYTHON:
        raise RuntimeError("heap use is only measured under MicroPython")
    call()  # the first call may create lazily made objects
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        i = 0
        while i < repeat:
            call()
            i += 1
        after = gc.mem_alloc()
    finally:
        gc.enable()
    return (after - before) // repeat


def assert_allocation_free(call, repeat=200):
    used = heap_bytes_per_call(call, repeat)
    assert used == 0, "expected no heap allocation per call, measured %d bytes per call" % used
