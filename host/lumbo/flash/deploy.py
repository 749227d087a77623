"""`lumbo flash`: compile firmware/ and shared/ for the board, copy what changed, switch atomically, verify.

mpremote's transport does the talking (raw REPL, file transfer); this module decides what to copy, keeps the
copy atomic (see lumbo/flash/__init__.py for the board's layout) and turns failures into messages that say
what to do.
"""

import hashlib
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import serial
from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

from lumbo.build import BuildError, build
from lumbo.flash import FlashError

LOADER_DIR = Path(__file__).resolve().parent / "board"
LOADER_FILES = ("lumbo_loader.py", "boot.py", "main.py")
MIN_MICROPYTHON = (1, 27, 0)
BLOCK_BYTES = 4096  # littlefs block: the unit in which files take up flash
RESERVE_BYTES = 16 * 1024  # left free for the wearer's log and settings
# sys.implementation._mpy >> 10 & 0x0F indexes this list (MicroPython's py/persistentcode.h MP_NATIVE_ARCH_*).
NATIVE_ARCHES = ("", "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp", "xtensa",
                 "xtensawin", "rv32imc", "rv64imc")
DOWNLOAD_HINT = ("install it with `lumbo flash --micropython FIRMWARE.bin` (images: micropython.org/download, "
                 "ESP32_GENERIC_S3 for a XIAO ESP32-S3, ESP32_GENERIC for a DevKitC)")

_INFO = """
import sys, os, json
r = {"name": sys.implementation.name, "version": list(sys.implementation.version[:3]),
     "mpy": getattr(sys.implementation, "_mpy", 0), "machine": getattr(sys.implementation, "_machine", "")}
try:
    import bluetooth
    r["bluetooth"] = True
except ImportError:
    r["bluetooth"] = False
s = os.statvfs("/")
r["free"] = s[0] * s[3]
r["total"] = s[0] * s[2]
print(json.dumps(r))
"""

_STATE = """
import os, json, hashlib, binascii
def _h(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while True:
            b = f.read(512)
            if not b:
                break
            h.update(b)
    return binascii.hexlify(h.digest()).decode()
def _walk(top, rel, out):
    try:
        entries = list(os.ilistdir(top))
    except OSError:
        return
    for e in entries:
        if e[1] == 0x4000:
            _walk(top + "/" + e[0], rel + e[0] + "/", out)
        else:
            out[rel + e[0]] = _h(top + "/" + e[0])
r = {"active": None, "slots": {}, "loader": {}}
try:
    with open("/lumbo/active") as f:
        r["active"] = f.read().strip()
except OSError:
    pass
for s in ("a", "b"):
    d = {}
    _walk("/lumbo/" + s, "", d)
    r["slots"][s] = d
for n in %r:
    try:
        r["loader"][n] = _h("/" + n)
    except OSError:
        pass
print(json.dumps(r))
"""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _blocks(size: int) -> int:
    return (size + BLOCK_BYTES - 1) // BLOCK_BYTES * BLOCK_BYTES


def open_board(port: str) -> SerialTransport:
    """Open the port and get the board's raw REPL, or say plainly why not."""
    try:
        probe = serial.serial_for_url(port, do_not_open=True, baudrate=115200, timeout=1, exclusive=True)
        probe.open()
        probe.close()
    except (serial.SerialException, OSError) as exc:
        text = str(exc)
        if "busy" in text.lower() or "lock" in text.lower():
            raise FlashError(f"{port} is busy: another program (a serial monitor, mpremote, another lumbo) has "
                             "it open; close it and try again") from None
        raise FlashError(f"no board at {port} ({text}); check the cable, or leave out --port to search") from None
    try:
        transport = SerialTransport(port, baudrate=115200)
    except TransportError as exc:
        raise FlashError(f"cannot open {port}: {exc}") from None
    try:
        transport.enter_raw_repl(soft_reset=True)
    except serial.SerialException as exc:
        transport.close()
        if "disconnected" in str(exc) or "reset by peer" in str(exc):
            raise FlashError(f"{port} closed as soon as it was opened: another program has the board open "
                             "(a serial monitor, mpremote, another lumbo); close it and try again") from None
        raise FlashError(f"lost the board on {port}: {exc}") from None
    except TransportError:
        transport.close()
        raise FlashError(f"the board on {port} does not answer as MicroPython does; if it is new, "
                         + DOWNLOAD_HINT) from None
    return transport


def _exec_json(transport: SerialTransport, script: str) -> dict:
    try:
        out = transport.exec(script)
    except TransportExecError as exc:
        raise FlashError("the board failed a check: " + exc.error_output.strip().splitlines()[-1]) from None
    lines = [line for line in out.decode(errors="replace").splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def board_info(transport: SerialTransport) -> dict:
    """Version, architecture, bluetooth and free flash; FlashError if this MicroPython cannot run lumbo."""
    info = _exec_json(transport, _INFO)
    version = tuple(info["version"])
    shown = ".".join(map(str, version))
    if info["name"] != "micropython" or version < MIN_MICROPYTHON:
        wanted = ".".join(map(str, MIN_MICROPYTHON))
        raise FlashError(f"the board runs MicroPython {shown}; lumbo needs {wanted} or newer: " + DOWNLOAD_HINT)
    if not info["bluetooth"]:
        raise FlashError(f"the board's MicroPython {shown} has no `bluetooth` module: use a build with Bluetooth "
                         "(the ESP32 and ESP32-S3 images from micropython.org have it); " + DOWNLOAD_HINT)
    arch_index = (info["mpy"] >> 10) & 0x0F
    if not 0 < arch_index < len(NATIVE_ARCHES):
        raise FlashError(f"the board reports no native code architecture (_mpy={info['mpy']}); cannot compile for it")
    info["arch"] = NATIVE_ARCHES[arch_index]
    return info


def build_files(arch: str, cache_dir: Path | None = None,
                sources: list[tuple[Path, str]] | None = None) -> tuple[dict[str, bytes], str]:
    """{board path: bytes} of the compiled firmware for `arch`, and its version string."""
    from lumbo_fw import FIRMWARE_VERSION

    if cache_dir is None:
        import platformdirs

        cache_dir = Path(platformdirs.user_cache_dir("lumbo")) / f"build-{arch}"
    try:
        names = build(cache_dir, arch, sources)
    except BuildError as exc:
        raise FlashError(f"the firmware does not compile for this board:\n{exc}") from None
    files = {name: (cache_dir / name).read_bytes() for name in names}
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + _sha256(files[name]).encode())
    return files, f"{FIRMWARE_VERSION}+{digest.hexdigest()[:10]}"


class Plan:
    """What to do on the board: which folder to stage, what to keep, copy on the board, send or delete."""

    def __init__(self, files: dict[str, bytes], version: str, arch: str, state: dict) -> None:
        self.files = files
        self.version = version
        self.active = state["active"] if state["active"] in ("a", "b") else None
        self.staging = "b" if self.active == "a" else "a"
        hashes = {name: _sha256(data) for name, data in files.items()}
        self.manifest = json.dumps({"version": version, "arch": arch, "files": hashes,
                                    "sizes": {name: len(data) for name, data in files.items()}}, sort_keys=True)
        running = state["slots"].get(self.active, {}) if self.active else {}
        staged = state["slots"].get(self.staging, {})
        self.loader = {name: (LOADER_DIR / name).read_bytes() for name in LOADER_FILES}
        self.loader_to_send = [n for n, data in self.loader.items() if state["loader"].get(n) != _sha256(data)]
        self.up_to_date = (running.get("manifest.json") == _sha256(self.manifest.encode())
                           and all(running.get(n) == h for n, h in hashes.items()))
        self.keep = [n for n, h in hashes.items() if staged.get(n) == h]
        self.copy_on_board = [n for n, h in hashes.items() if n not in self.keep and running.get(n) == h]
        self.send = [n for n in sorted(hashes) if n not in self.keep and n not in self.copy_on_board]
        self.delete = [n for n in staged if n not in hashes]
        self.old_version = None

    def bytes_to_send(self) -> int:
        return sum(len(self.files[n]) for n in self.send) + sum(len(self.loader[n]) for n in self.loader_to_send)

    def flash_needed(self) -> int:
        new = [n for n in self.send + self.copy_on_board]
        return (sum(_blocks(len(self.files[n])) for n in new) + _blocks(len(self.manifest))
                + sum(_blocks(len(self.loader[n])) for n in self.loader_to_send))


def _board_path(slot: str, name: str) -> str:
    return f"/lumbo/{slot}/{name}"


def _prepare_script(plan: Plan) -> str:
    """Board-side: forget the staged manifest first, delete stale files, make folders, copy kept files."""
    folders = sorted({str(Path(_board_path(plan.staging, n)).parent) for n in plan.files}
                     | {"/lumbo", f"/lumbo/{plan.staging}", "/data"})
    return f"""
import os
def _rm(p):
    try:
        os.remove(p)
    except OSError:
        pass
_rm({_board_path(plan.staging, "manifest.json")!r})
for p in {[_board_path(plan.staging, n) for n in plan.delete]!r}:
    _rm(p)
for d in {folders!r}:
    try:
        os.mkdir(d)
    except OSError:
        pass
for src, dst in {[(_board_path(plan.active or "a", n), _board_path(plan.staging, n)) for n in plan.copy_on_board]!r}:
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        while True:
            b = fi.read(1024)
            if not b:
                break
            fo.write(b)
"""


def _write_atomic(transport: SerialTransport, path: str, data: bytes) -> None:
    transport.fs_writefile(path + ".tmp", data)
    transport.exec(f"import os\nos.rename({path + '.tmp'!r}, {path!r})")


ProgressHook = Callable[[int, int], None]


def deploy(port: str, on_progress: ProgressHook | None = None, cache_dir: Path | None = None,
           verify: bool = True, sources: list[tuple[Path, str]] | None = None) -> dict:
    """Bring the board at `port` to the current firmware (or to `sources`: (file, board path) pairs).

    Returns what was done, for the report.
    """
    transport = open_board(port)
    try:
        info = board_info(transport)
        files, version = build_files(info["arch"], cache_dir, sources)
        state = _exec_json(transport, _STATE % (LOADER_FILES,))
        plan = Plan(files, version, info["arch"], state)
        result = {"version": version, "arch": info["arch"], "slot": plan.active, "sent_files": 0, "sent_bytes": 0,
                  "copied_on_board": 0, "kept": len(plan.keep), "micropython": ".".join(map(str, info["version"]))}
        if plan.up_to_date and not plan.loader_to_send:
            result["up_to_date"] = True
            return result
        freed = sum(_blocks(len(files[n])) for n in plan.send if n in state["slots"].get(plan.staging, {}))
        if plan.flash_needed() > info["free"] + freed - RESERVE_BYTES:
            raise FlashError(f"flash full: this firmware needs {plan.flash_needed() // 1024} KB more and the board "
                             f"has {info['free'] // 1024} KB free (keeping {RESERVE_BYTES // 1024} KB for the "
                             "wearer's log); remove files you put on the board yourself (`mpremote fs ls`), "
                             "never /data")
        _transfer(transport, plan, result, on_progress)
        result["slot"] = plan.staging
        result["up_to_date"] = False
    finally:
        transport.close()
    if verify:
        running, safe_mode, _ = boot_report(port)
        if running != version:
            raise FlashError(f"the board restarted but runs {running or 'no firmware'} instead of {version}"
                             + (f" ({safe_mode})" if safe_mode else "") + "; run `lumbo flash` again")
        result["verified"] = True
    return result


def _transfer(transport: SerialTransport, plan: Plan, result: dict, on_progress: ProgressHook | None) -> None:
    total = plan.bytes_to_send()
    sent = 0
    try:
        transport.exec(_prepare_script(plan))
        result["copied_on_board"] = len(plan.copy_on_board)
        for name in plan.send:
            data = plan.files[name]
            base = sent

            def progress(done: int, _size: int, base: int = base) -> None:
                if on_progress:
                    on_progress(base + done, total)

            transport.fs_writefile(_board_path(plan.staging, name), data, progress_callback=progress)
            sent += len(data)
            result["sent_files"] += 1
        # Complete: the manifest goes last, so a folder with a manifest has all its files.
        _write_atomic(transport, _board_path(plan.staging, "manifest.json"), plan.manifest.encode())
        for name in plan.loader_to_send:
            _write_atomic(transport, "/" + name, plan.loader[name])
            sent += len(plan.loader[name])
        # The switch: one rename.
        _write_atomic(transport, "/lumbo/active", plan.staging.encode())
        if on_progress:
            on_progress(total, total)
        result["sent_bytes"] = sent
    except (TransportError, serial.SerialException, OSError, KeyboardInterrupt) as exc:
        if isinstance(exc, TransportExecError) and "ENOSPC" in exc.error_output + str(exc):
            raise FlashError("flash full while copying; the board still runs its previous firmware. Remove files "
                             "you put on the board yourself (`mpremote fs ls`), never /data, and try again") from None
        raise FlashError(f"the copy was interrupted after {sent} of {total} bytes ({type(exc).__name__}: {exc}); the "
                         "board still runs its previous firmware; run `lumbo flash` again") from None


_RUNNING = re.compile(r"lumbo firmware (\S+) in ")
_SAFE = re.compile(r"lumbo safe mode: ([^\r\n]+)")


def boot_report(port: str, timeout_s: float = 20.0) -> tuple[str | None, str | None, str]:
    """Soft-reset the board, read what it says as it starts; (running version, safe-mode reason, output)."""
    try:
        link = serial.serial_for_url(port, baudrate=115200, timeout=0.1)
    except (serial.SerialException, OSError) as exc:
        raise FlashError(f"cannot reopen {port} to check the new firmware: {exc}") from None
    out = b""
    try:
        link.write(b"\r\x03\x03\r\x02")  # stop whatever runs; friendly REPL
        time.sleep(0.2)
        link.reset_input_buffer()
        link.write(b"\x04")  # soft reset: boot.py, main.py
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out += link.read(256)
            text = out.decode(errors="replace")
            if _RUNNING.search(text) or ("soft reboot" in text and _SAFE.search(text) and "no complete" in text):
                time.sleep(0.3)
                out += link.read(4096)
                break
        link.write(b"\r\x03\x03")  # stop the application again: the board is left at its REPL
    finally:
        link.close()
    text = out.decode(errors="replace")
    running = _RUNNING.search(text)
    safe = _SAFE.search(text)
    return (running.group(1) if running else None, safe.group(1).strip() if safe else None, text)

