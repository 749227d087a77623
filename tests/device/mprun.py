"""Runs device-side test modules under the MicroPython unix port and prints `N passed, N failed`.

    micropython -X heapsize=112k tests/device/mprun.py test_settings [test_other ...]

Functions named test_* run here and under pytest; functions named mpytest_* run only here (checks that
only mean something on MicroPython, such as heap use). A module may define setup_function() and
teardown_function(), run around each of its tests here as pytest runs them.
"""

import gc
import sys


def run_module(name):
    passed = 0
    failed = 0
    try:
        module = __import__(name)
    except Exception as exc:
        print("FAIL %s (import)" % name)
        sys.print_exception(exc)
        return 0, 1
    setup = getattr(module, "setup_function", None)
    teardown = getattr(module, "teardown_function", None)
    for attr in sorted(dir(module)):
        if not (attr.startswith("test_") or attr.startswith("mpytest_")):
            continue
        func = getattr(module, attr)
        if not callable(func):
            continue
        gc.collect()
        try:
            if setup:
                setup(func)
            try:
                func()
            finally:
                if teardown:
                    teardown(func)
        except Exception as exc:
            failed += 1
            print("FAIL %s.%s" % (name, attr))
            sys.print_exception(exc)
        else:
            passed += 1
            print("PASS %s.%s" % (name, attr))
    return passed, failed


def main(names):
    passed = 0
    failed = 0
    for name in names:
        p, f = run_module(name)
        passed += p
        failed += f
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
