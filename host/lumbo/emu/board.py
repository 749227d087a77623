"""An emulated board: the MicroPython unix port behind a TCP socket, behaving at the serial port like an ESP32.

Tools reach it as `socket://127.0.0.1:PORT` (pyserial opens such URLs, so mpremote and `lumbo flash` talk
to it exactly as to a USB serial port). What it does as a board does:

- The interpreter runs on a pseudo-terminal with output post-processing off (no ONLCR), so bytes reach
  the host as MicroPython wrote them. Ctrl-C interrupts running code, as the board's UART does.
- Its filesystem is a temporary folder, remounted at `/`; `/lib` is on the import path; HOME is set to a
  private folder next to it (the REPL keeps a history file there), so nothing outside is touched.
- At start it runs `/boot.py`, then `/main.py` unless it was reset from the raw REPL, then the REPL.
- A soft reset (Ctrl-D at an empty REPL, `sys.exit()`) ends the unix port's process; the emulator prints
  `MPY: soft reboot` and starts it again, back in the raw REPL if that is where the reset came from.
- Only one client at a time, as a serial port opened exclusively: a second connection is closed at once.

Options model other boards: an older MicroPython (`version`), a build without `bluetooth`, and a small
flash (`flash_kb`, seen through `os.statvfs`). The emulated `machine` (and, where it exists, `bluetooth`)
modules from `lumbo/emu/upy/` stand in for the chip's built-in ones, mounted read-only where a board keeps
its frozen modules.
"""

import fcntl
import os
import pty
import select
import socket
import subprocess
import tempfile
import termios
import threading
import time
import tty
from pathlib import Path

from lumbo import mpy
from lumbo.paths import EMULATED_HARDWARE_DIR

BOARD_ROM_DIR = Path(__file__).resolve().parent / "board_rom"
SOFT_REBOOT = b"MPY: soft reboot\r\n"
# Printed by the start-up code once the board's filesystem is in place; the emulator holds the host's input
# until then (a Ctrl-C must interrupt boot.py, not the making of the board) and removes it from the output.
_READY = b"\x00lumbo-board-ready\x00"
_CTRL_A = 0x01
_CTRL_B = 0x02

# Runs first in every start of the interpreter: makes the unix port look like the board it emulates.
_STARTUP = r'''
import sys, os, vfs
_opts = {opts}
if _opts["version"] is not None or _opts["flash_bytes"] is not None:
    class _Impl:
        pass
    _impl = _Impl()
    for _k in ("name", "version", "_mpy", "_machine", "_build"):
        if hasattr(sys.implementation, _k):
            setattr(_impl, _k, getattr(sys.implementation, _k))
    if _opts["version"] is not None:
        _impl.version = tuple(_opts["version"]) + ("",)
    _impl._machine = "lumbo emulated board with ESP32 pins"
    class _Sys:
        pass
    _fake_sys = _Sys()
    for _k in dir(sys):
        try:
            setattr(_fake_sys, _k, getattr(sys, _k))
        except (AttributeError, TypeError):
            pass
    _fake_sys.implementation = _impl
    sys.modules["sys"] = _fake_sys
vfs.umount("/")
vfs.mount(vfs.VfsPosix(_opts["root"]), "/")
for _i, _rom in enumerate(_opts["rom"]):
    vfs.mount(vfs.VfsPosix(_rom), "/.rom%d" % _i, readonly=True)
os.chdir("/")
# As on a board: the frozen modules (asyncio among them), then /lib, then the emulated ROM.
sys.path[:] = ["", ".frozen", "/lib"] + ["/.rom%d" % _i for _i in range(len(_opts["rom"]))]
class _Os:
    pass
_fake_os = _Os()
for _k in dir(os):
    setattr(_fake_os, _k, getattr(os, _k))
# The unix port's VfsPosix, mounted at "/", fails to rename between absolute paths (ENOENT) while relative
# paths work; a board's littlefs takes either, so absolute paths are made relative to the root here.
# (The REPL runs in this module's globals, where `import os` rebinds `os`: keep the real functions here.)
def _rename(old, new, _real=os.rename, _getcwd=os.getcwd):
    if _getcwd() == "/":
        old = old.lstrip("/")
        new = new.lstrip("/")
    _real(old, new)
_fake_os.rename = _rename
if _opts["flash_bytes"] is not None:
    def _used(path, _ilistdir=os.ilistdir, _stat=os.stat):
        total = 0
        for _entry in _ilistdir(path):
            _name, _kind = _entry[0], _entry[1]
            _full = path.rstrip("/") + "/" + _name
            if _full.startswith("/.rom"):
                continue
            if _kind == 0x4000:
                total += _used(_full)
            else:
                total += (_stat(_full)[6] + 4095) // 4096 * 4096
        return total
    def _statvfs(path, _size=_opts["flash_bytes"]):
        _free = max(0, _size - _used("/")) // 4096
        return (4096, 4096, _size // 4096, _free, _free, 0, 0, 0, 0, 255)
    _fake_os.statvfs = _statvfs
sys.modules["os"] = _fake_os
del _opts
sys.stdout.write("\x00lumbo-board-ready\x00")
def _run(_path):
    try:
        open(_path).close()
    except OSError:
        return
    try:
        exec(open(_path).read(), {"__name__": "__main__"})
    except KeyboardInterrupt:
        pass
    except Exception as _exc:
        sys.print_exception(_exc)
_run("/boot.py")
if os.getenv("LUMBO_BOARD_MODE") != "raw":
    _run("/main.py")
'''


class EmulatedBoard:
    """One emulated board. Use as a context manager; `url` is what to pass as the port."""

    def __init__(self, root: Path | None = None, version: tuple[int, int, int] | None = None,
                 bluetooth: bool = True, flash_kb: int | None = None, hardware: bool = True,
                 heapsize: str = "2m", env: dict[str, str] | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="lumbo-board-")
        base = Path(self._tmp.name)
        self.root = Path(root) if root is not None else base / "flash"
        self.root.mkdir(parents=True, exist_ok=True)
        self.home = base / "home"
        self.home.mkdir()
        rom = [] if bluetooth else [str(BOARD_ROM_DIR / "without_ble")]
        if hardware:
            rom.append(str(EMULATED_HARDWARE_DIR))
        if bluetooth:
            rom.append(str(BOARD_ROM_DIR / "with_ble"))
        opts = {"root": str(self.root), "rom": rom, "version": list(version) if version else None,
                "flash_bytes": flash_kb * 1024 if flash_kb else None}
        self._startup = base / "startup.py"
        self._startup.write_text(_STARTUP.replace("{opts}", repr(opts)))
        self._heapsize = heapsize
        # Added to the interpreter's (otherwise bare) environment: the emulated parts' settings, such as the
        # radio bridge (LUMBO_BLE_BRIDGE) and the IMU's recording (LUMBO_EMU_FRAMES, a path on the board).
        self._env = dict(env or {})
        self.boots = 0
        self._raw_mode = False
        self._proc: subprocess.Popen | None = None
        self._master = -1
        self._client: socket.socket | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self._threads: list[threading.Thread] = []

    # -- the interpreter ---------------------------------------------------------------------------------
    def _start_interpreter(self) -> None:
        master, slave = pty.openpty()
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.ONLCR  # no "\n" -> "\r\n": the bytes arrive as MicroPython wrote them
        attrs[3] |= termios.ISIG  # Ctrl-C interrupts running code, as on the board
        termios.tcsetattr(slave, termios.TCSANOW, attrs)

        def controlling_terminal() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        env = {**self._env, "PATH": os.environ.get("PATH", ""), "HOME": str(self.home), "MICROPYPATH": ".frozen",
               "LUMBO_BOARD_MODE": "raw" if self._raw_mode else "friendly"}
        self._proc = subprocess.Popen(
            mpy.micropython_command(["-i", str(self._startup)], self._heapsize),
            stdin=slave, stdout=slave, stderr=slave, cwd=str(self.home), env=env,
            preexec_fn=controlling_terminal, close_fds=True)
        os.close(slave)
        self._ready.clear()
        self._master = master
        self.boots += 1
        if self._raw_mode:
            os.write(master, bytes([_CTRL_A]))

    def _send_to_client(self, data: bytes) -> None:
        with self._lock:
            client = self._client
        if client is None:
            return  # nobody listening: a UART with nothing attached drops its output
        try:
            client.sendall(data)
        except OSError:
            self._drop_client(client)

    def _pump_output(self) -> None:
        while not self._stopping.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                data = os.read(self._master, 4096) if ready else b""
            except OSError:
                data = None  # EIO: the interpreter has exited
            if data:
                if _READY in data:
                    data = data.replace(_READY, b"")
                    self._ready.set()
                self._send_to_client(data)
                continue
            if data is None or (self._proc is not None and self._proc.poll() is not None):
                self._drain_and_close()
                if self._stopping.is_set():
                    return
                self._send_to_client(SOFT_REBOOT)
                self._start_interpreter()

    def _drain_and_close(self) -> None:
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        while True:
            try:
                data = os.read(self._master, 4096)
            except OSError:
                break
            if not data:
                break
            self._send_to_client(data)
        os.close(self._master)

    # -- the serial line ---------------------------------------------------------------------------------
    def _drop_client(self, client: socket.socket) -> None:
        with self._lock:
            if self._client is client:
                self._client = None
        try:
            client.close()
        except OSError:
            pass

    def _serve(self) -> None:
        self._server.settimeout(0.1)
        while not self._stopping.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                busy = self._client is not None
                if not busy:
                    self._client = conn
            if busy:
                conn.close()  # the port is already open: exclusive, as a serial port
                continue
            reader = threading.Thread(target=self._read_client, args=(conn,), daemon=True)
            reader.start()

    def _read_client(self, conn: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                data = conn.recv(4096)
            except OSError:
                break
            if not data:
                break
            for byte in data:
                if byte == _CTRL_A:
                    self._raw_mode = True
                elif byte == _CTRL_B:
                    self._raw_mode = False
            self._ready.wait(timeout=10)
            try:
                os.write(self._master, data)
            except OSError:
                time.sleep(0.05)  # rebooting: input written during a reset is lost, as on the board
        self._drop_client(conn)

    # -- life cycle --------------------------------------------------------------------------------------
    def start(self) -> "EmulatedBoard":
        self._start_interpreter()
        for target in (self._pump_output, self._serve):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.close()
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        for thread in self._threads:
            thread.join(timeout=2)
        self._tmp.cleanup()

    def power_cycle(self) -> None:
        """Cut the power: the interpreter dies wherever it was, and the board boots again from its files."""
        if self._proc is not None and self._proc.poll() is None:
            self._raw_mode = False
            self._proc.kill()

    def __enter__(self) -> "EmulatedBoard":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

