#!/usr/bin/env python3
"""Set up and run lumbo from a fresh clone: the only thing it needs is python3 (3.11 or newer).

    python3 dev.py demo      the main job: the whole system without hardware
    python3 dev.py test      the whole test suite (extra arguments go to pytest)
    python3 dev.py lumbo ... any lumbo command, inside the project's environment

On first use (and whenever requirements.lock changes) it creates .venv/ from the pinned versions in
requirements.lock, installs lumbo into it in editable mode, and installs MicroPython's ESP32 type stubs
into .stubs/ (kept out of the environment: they would shadow the standard library's own stubs).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STUBS = ROOT / ".stubs" / "esp32"
LOCK = ROOT / "requirements.lock"
STUBS_LOCK = ROOT / "requirements-stubs.lock"
SYSTEM_PACKAGES = ROOT / "system-packages.txt"
STAMP = VENV / ".lumbo-installed"
MIN_PYTHON = (3, 11)


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (LOCK, STUBS_LOCK, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _run(cmd: list[str]) -> None:
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"dev.py: this step failed (exit {result.returncode}): {' '.join(cmd)}")


def ensure_environment() -> Path:
    if sys.version_info < MIN_PYTHON:
        wanted = ".".join(map(str, MIN_PYTHON))
        sys.exit(f"dev.py: lumbo needs Python {wanted} or newer; this is {sys.version.split()[0]}")
    python = _venv_python()
    wanted = _fingerprint()
    if python.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return python
    print("dev.py: setting up .venv from requirements.lock (first run only)...", file=sys.stderr, flush=True)
    if not python.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "install", "-r", str(LOCK)])
    _run([*pip, "install", "--no-deps", "--no-build-isolation", "-e", str(ROOT)])
    _run([*pip, "install", "--no-deps", "--upgrade", "--target", str(STUBS), "-r", str(STUBS_LOCK)])
    STAMP.write_text(wanted)
    return python


def ensure_system_packages() -> None:
    """Install the Debian packages the tests need, when they are missing and this user may."""
    missing = []
    for line in SYSTEM_PACKAGES.read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) == 2 and shutil.which(fields[1]) is None:
            missing.append(fields[0])
    if not missing:
        return
    can_install = shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
    if not can_install:
        print(f"dev.py: the tests need these Debian packages: {' '.join(missing)}; "
              f"install them with `sudo apt-get install {' '.join(missing)}`", file=sys.stderr)
        return
    print(f"dev.py: installing {' '.join(missing)} with apt-get...", file=sys.stderr, flush=True)
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], cwd=ROOT, env=quiet, check=False)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                            cwd=ROOT, env=quiet)
    if result.returncode != 0:
        sys.exit(f"dev.py: apt-get could not install {' '.join(missing)}")


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    python = ensure_environment()
    env = dict(os.environ)
    env["LUMBO_STUBS_DIR"] = str(STUBS)
    if command == "test":
        ensure_system_packages()
        # Both cores by default (pytest-xdist); an explicit -n or -p no:xdist in the arguments wins.
        parallel = [] if any(a.startswith("-n") or a == "no:xdist" for a in rest) else ["-n", "auto"]
        args = [str(python), "-m", "pytest", *parallel, *rest]
    elif command == "demo":
        args = [str(python), "-m", "lumbo", "demo", *rest]
    elif command == "lumbo":
        args = [str(python), "-m", "lumbo", *rest]
    else:
        print(f"dev.py: unknown command {command!r}; use demo, test or lumbo", file=sys.stderr)
        return 2
    return subprocess.call(args, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
