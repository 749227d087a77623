"""Start the emulated radio, a device's bridge and its firmware under `micropython`, as child processes,
and stop them all again.

    async with launch.Emulation(script="tests/device/radio_peripheral.py") as emu:
        link = lumbo.ble.emulated(transport=emu.radio.transport)   # the host side joins the same air
        ...
        await emu.radio.drop()                                     # cut every link now

Every port is chosen free by the OS on 127.0.0.1 (each child binds port 0 and prints the port it got). No
child outlives the run: each is stopped on exit (SIGTERM, then SIGKILL after a grace period), each is told
by the kernel when its parent dies (Linux), and the Python children also exit when their stdin pipe from
the parent closes. Ctrl-C in a terminal reaches the whole process group, and every child exits on it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from lumbo import mpy
from lumbo.ble import RADIO_ENV
from lumbo.emu import process
from lumbo.paths import EMULATED_HARDWARE_DIR

if TYPE_CHECKING:
    from bumble.host import Host

    from lumbo.emu.radio import InProcessRadio

READY_TIMEOUT_S = 20.0
STOP_GRACE_S = 3.0
BRIDGE_ENV = "LUMBO_BLE_BRIDGE"  # read by the emulated bluetooth module
# The emulated bluetooth module is Python in the firmware's own heap (about 18 KB once imported, where the
# board's C module takes little of it): the firmware gets the board's heap plus that much.
EMULATED_DEVICE_HEAP = "128k"


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ChildFailed(RuntimeError):
    """A child process exited or said nothing usable while starting."""


class Child:
    """One child process with its output read line by line (kept, and searchable with `wait_for`)."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name = name
        self.proc = proc
        self.lines: list[str] = []
        self._new_line = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, name: str, args: Sequence[str], env: dict[str, str] | None = None,
                    cwd: Path | str | None = None) -> Child:
        proc = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env=env, cwd=cwd, preexec_fn=_die_with_parent)
        return cls(name, proc)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.decode("utf-8", "replace").rstrip("\n"))
            self._new_line.set()
        self._new_line.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def wait_for(self, pattern: str, timeout_s: float = READY_TIMEOUT_S, start: int = 0) -> re.Match[str]:
        """The first output line from index `start` on that matches `pattern` (a regular expression)."""
        regex = re.compile(pattern)
        index = start
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            while index < len(self.lines):
                found = regex.search(self.lines[index])
                index += 1
                if found:
                    return found
            if self._reader.done():
                raise ChildFailed(f"{self.name} ended (exit {self.proc.returncode}) without printing "
                                  f"/{pattern}/:\n{self.output}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise ChildFailed(f"{self.name} did not print /{pattern}/ within {timeout_s} s:\n{self.output}")
            self._new_line.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_line.wait(), remaining)

    async def stop(self, grace_s: float = STOP_GRACE_S) -> int | None:
        """SIGTERM, then SIGKILL if it is still there after `grace_s`; returns the exit status."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), grace_s)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        return self.proc.returncode

    async def kill(self) -> None:
        """Cut it off at once (a power cut, for the firmware)."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await self.stop(0)


def _python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args, process.LIFELINE_FLAG]


class RadioProcess:
    """`python -m lumbo.emu.radio`: the air, with an H4 port per participant and a control port."""

    def __init__(self, child: Child, hci_port: int, control_port: int) -> None:
        self.child = child
        self.hci_port = hci_port
        self.control_port = control_port

    @classmethod
    async def start(cls, connect_timeout_s: float | None = None) -> RadioProcess:
        args = ["--connect-timeout-s", str(connect_timeout_s)] if connect_timeout_s is not None else []
        child = await Child.start("radio", _python_module("lumbo.emu.radio", *args))
        try:
            ready = await child.wait_for(r"^radio hci=(\d+) control=(\d+)$")
        except ChildFailed:
            await child.stop()
            raise
        return cls(child, int(ready.group(1)), int(ready.group(2)))

    @property
    def transport(self) -> str:
        """The bumble transport name that joins this radio."""
        return f"tcp-client:127.0.0.1:{self.hci_port}"

    async def drop(self) -> int:
        """Cut every live connection now, as if every device walked out of range; returns how many."""
        from lumbo.emu.radio import send_control

        return int((await send_control(self.control_port, "drop")).split()[1])

    async def connection_count(self) -> int:
        from lumbo.emu.radio import send_control

        return int((await send_control(self.control_port, "count")).split()[1])

    async def stop(self) -> None:
        await self.child.stop()


class BridgeProcess:
    """`python -m lumbo.emu.bridge`: one emulated device's BLE stack, waiting for its firmware."""

    def __init__(self, child: Child, firmware_port: int, address: str) -> None:
        self.child = child
        self.firmware_port = firmware_port
        self.address = address

    @classmethod
    async def start(cls, radio_transport: str, address: str | None = None, irk: bytes | None = None,
                    log_level: str = "WARNING") -> BridgeProcess:
        args = ["--radio", radio_transport, "--log-level", log_level]
        if address:
            args += ["--address", address]
        if irk:
            args += ["--irk", irk.hex()]
        child = await Child.start("bridge", _python_module("lumbo.emu.bridge", *args))
        try:
            ready = await child.wait_for(r"^bridge firmware=(\d+) address=(\S+)$")
        except ChildFailed:
            await child.stop()
            raise
        return cls(child, int(ready.group(1)), ready.group(2))

    @property
    def endpoint(self) -> str:
        """The value of LUMBO_BLE_BRIDGE for the firmware."""
        return f"127.0.0.1:{self.firmware_port}"

    async def stop(self) -> None:
        await self.child.stop()


# Runs a firmware script under CPython the way tests import firmware there (lumbo.mpcompat).
_CPYTHON_BOOT = (
    "import runpy, sys; from lumbo import mpcompat; mpcompat.install(emulated_hardware=True); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


async def start_firmware(bridge_endpoint: str, args: Sequence[str], path: Sequence[Path | str] = (),
                         heapsize: str | None = None, cwd: Path | str | None = None,
                         name: str = "firmware", interpreter: str = "micropython",
                         env: dict[str, str] | None = None) -> Child:
    """Run a firmware script joined to a bridge: `micropython ARGS` with MICROPYPATH = path + the emulated
    hardware (interpreter "micropython"), or the same script under CPython with lumbo.mpcompat ("cpython").
    The default heap is the board's plus what the emulated bluetooth module itself takes. `env` adds to
    this process's environment (the emulated board's settings, say)."""
    if interpreter == "micropython":
        child_env = mpy.micropython_env([*path, EMULATED_HARDWARE_DIR])
        command = mpy.micropython_command(list(args), heapsize or EMULATED_DEVICE_HEAP)
    elif interpreter == "cpython":
        child_env = dict(os.environ)
        child_env["PYTHONPATH"] = os.pathsep.join([*(str(p) for p in path), child_env.get("PYTHONPATH", "")])
        command = [sys.executable, "-c", _CPYTHON_BOOT, *args]
    else:
        raise ValueError(f"unknown interpreter {interpreter!r}: use micropython or cpython")
    child_env.update(env or {})
    child_env[BRIDGE_ENV] = bridge_endpoint
    return await Child.start(name, command, env=child_env, cwd=cwd)


class Emulation:
    """Radio + one device's bridge + (optionally) its firmware, started together and stopped together.
    `address` and `irk` fix the device's identity, so bonds stay valid when the firmware restarts."""

    def __init__(self, script: Path | str | None = None, script_args: Sequence[str] = (),
                 path: Sequence[Path | str] = (), address: str | None = None, irk: bytes | None = None,
                 connect_timeout_s: float | None = None, heapsize: str | None = None,
                 bridge_log_level: str = "WARNING", interpreter: str = "micropython",
                 env: dict[str, str] | None = None) -> None:
        self.interpreter = interpreter
        self.env = dict(env or {})  # added to the firmware's environment at each start
        self.script = script
        self.script_args = list(script_args)
        self.path = list(path)
        self.address = address
        self.irk = irk
        self.connect_timeout_s = connect_timeout_s
        self.heapsize = heapsize
        self.bridge_log_level = bridge_log_level
        self.radio: RadioProcess | None = None
        self.bridge: BridgeProcess | None = None
        self.firmware: Child | None = None

    async def start(self) -> Emulation:
        try:
            self.radio = await RadioProcess.start(self.connect_timeout_s)
            self.bridge = await BridgeProcess.start(self.radio.transport, self.address, self.irk,
                                                    self.bridge_log_level)
            if self.script is not None:
                await self.start_firmware()
        except BaseException:
            await self.stop()
            raise
        return self

    async def start_firmware(self) -> Child:
        """Start (or restart, after `stop_firmware`) the firmware script."""
        assert self.bridge is not None and self.script is not None
        self.firmware = await start_firmware(self.bridge.endpoint, [str(self.script), *self.script_args],
                                             self.path, self.heapsize, interpreter=self.interpreter, env=self.env)
        return self.firmware

    async def stop_firmware(self, power_cut: bool = False) -> None:
        if self.firmware is not None:
            await (self.firmware.kill() if power_cut else self.firmware.stop())

    async def stop(self) -> None:
        """Stop every child, the firmware first; safe to call more than once."""
        for part in (self.firmware, self.bridge, self.radio):
            if part is not None:
                await part.stop()

    async def __aenter__(self) -> Emulation:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()


class InProcessEmulation:
    """The fast variant: the air and the device's bridge run in this event loop (no radio or bridge
    process), only the firmware is a child. `host()` gives a bumble Host on the same air for the central
    (`lumbo.ble.emulated(host=emu.host())`)."""

    def __init__(self, script: Path | str | None = None, script_args: Sequence[str] = (),
                 path: Sequence[Path | str] = (), address: str | None = None, irk: bytes | None = None,
                 connect_timeout_s: float | None = None, heapsize: str | None = None,
                 interpreter: str = "micropython", env: dict[str, str] | None = None) -> None:
        from bumble import hci

        from lumbo.emu.bridge import Bridge

        self.script = script
        self.script_args = list(script_args)
        self.path = list(path)
        self.heapsize = heapsize
        self.interpreter = interpreter
        self.connect_timeout_s = connect_timeout_s
        self.env = dict(env or {})  # added to the firmware's environment at each start
        self.bridge = Bridge(hci.Address(address) if address else hci.Address.generate_static_address(), irk)
        self.air: InProcessRadio | None = None
        self.firmware: Child | None = None

    async def start(self) -> InProcessEmulation:
        from lumbo.emu.radio import DEFAULT_CONNECT_TIMEOUT_S, InProcessRadio

        self.air = InProcessRadio(self.connect_timeout_s or DEFAULT_CONNECT_TIMEOUT_S)
        try:
            await self.bridge.attach(self.air.attach())
            await self.bridge.listen()
            if self.script is not None:
                await self.start_firmware()
        except BaseException:
            await self.stop()
            raise
        return self

    def host(self) -> Host:
        assert self.air is not None, "start() the emulation first"
        return self.air.attach()

    async def drop(self) -> int:
        """Cut every live connection now; returns how many."""
        assert self.air is not None
        return self.air.drop_all()

    async def start_firmware(self) -> Child:
        assert self.script is not None
        self.firmware = await start_firmware(f"127.0.0.1:{self.bridge.port}",
                                             [str(self.script), *self.script_args], self.path, self.heapsize,
                                             interpreter=self.interpreter, env=self.env)
        return self.firmware

    async def stop_firmware(self, power_cut: bool = False) -> None:
        if self.firmware is not None:
            await (self.firmware.kill() if power_cut else self.firmware.stop())

    async def stop(self) -> None:
        if self.firmware is not None:
            await self.firmware.stop()
        await self.bridge.close()

    async def __aenter__(self) -> InProcessEmulation:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()


def child_pids(parent: int | None = None) -> list[int]:
    """Process ids of the living children of `parent` (default: this process), read from /proc (Linux),
    for checks that no child is left behind."""
    parent = os.getpid() if parent is None else parent
    pids: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == parent and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def _firmware_path(args: argparse.Namespace) -> list[Path]:
    """--path folders, after the firmware and shared code compiled for the unix port with --build."""
    path = [Path(p) for p in args.path]
    if args.build:
        import platformdirs

        from lumbo.build import build

        out = Path(platformdirs.user_cache_dir("lumbo", appauthor=False)) / "x64-build"
        build(out, "x64")
        path.insert(0, out)
    return path


async def _run(args: argparse.Namespace) -> None:
    emulation = Emulation(args.script, args.script_args, path=_firmware_path(args), address=args.address,
                          irk=bytes.fromhex(args.irk) if args.irk else None, interpreter=args.interpreter,
                          heapsize=args.heapsize, bridge_log_level=args.log_level)
    async with emulation:
        assert emulation.radio is not None and emulation.bridge is not None and emulation.firmware is not None
        print(f"{RADIO_ENV}={emulation.radio.transport}", flush=True)
        print(f"radio pid={emulation.radio.child.proc.pid} control={emulation.radio.control_port}", flush=True)
        print(f"bridge pid={emulation.bridge.child.proc.pid} address={emulation.bridge.address}", flush=True)
        print(f"firmware pid={emulation.firmware.proc.pid}", flush=True)
        firmware, shown = emulation.firmware, 0
        while True:
            while shown < len(firmware.lines):
                print(f"firmware: {firmware.lines[shown]}", flush=True)
                shown += 1
            if firmware.proc.returncode is not None and shown == len(firmware.lines):
                print(f"firmware exited with status {firmware.proc.returncode}", flush=True)
                return
            with contextlib.suppress(ChildFailed):
                await firmware.wait_for("", timeout_s=0.5, start=shown)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lumbo.emu.launch",
        description="Run a firmware script on an emulated device: radio, bridge and firmware, until it exits "
                    "or Ctrl-C. The host side joins with the printed LUMBO_BLE_RADIO.")
    parser.add_argument("script", help="the firmware's entry script (run with micropython)")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
    parser.add_argument("--address", help="the device's static random identity address (keeps bonds valid)")
    parser.add_argument("--irk", help="the device's identity resolving key, 32 hex digits")
    parser.add_argument("--interpreter", choices=("micropython", "cpython"), default="micropython")
    parser.add_argument("--build", action="store_true",
                        help="compile firmware/ and shared/ for the unix port (cached) and put them on the path")
    parser.add_argument("--path", action="append", default=[], metavar="DIR",
                        help="a folder of modules for the firmware (repeatable; before the emulated hardware)")
    parser.add_argument("--heapsize", help="the firmware's heap, e.g. 144k (default: the board's plus the "
                                           "emulated bluetooth module's)")
    parser.add_argument("--log-level", default="WARNING", help="the bridge's logging level")
    args = parser.parse_args(argv)
    return process.run_until_stopped(_run(args))


if __name__ == "__main__":
    sys.exit(main())
