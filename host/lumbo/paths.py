"""Where the device-side sources live, for the tools that build, run or deploy them."""

from pathlib import Path

import lumbo_fw
import lumbo_shared

FIRMWARE_PACKAGE_DIR = Path(lumbo_fw.__file__).resolve().parent
SHARED_PACKAGE_DIR = Path(lumbo_shared.__file__).resolve().parent
FIRMWARE_DIR = FIRMWARE_PACKAGE_DIR.parent
SHARED_DIR = SHARED_PACKAGE_DIR.parent
EMULATED_HARDWARE_DIR = Path(__file__).resolve().parent / "emu" / "upy"
MPCOMPAT_SHIM_DIR = Path(__file__).resolve().parent / "mpcompat" / "shim"


def device_sources() -> list[tuple[Path, str]]:
    """Every file that goes onto the board, as (source path, path on the board)."""
    files: list[tuple[Path, str]] = []
    for top in (FIRMWARE_DIR, SHARED_DIR):
        for path in sorted(top.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            files.append((path, path.relative_to(top).as_posix()))
    return files
