"""The emulated device: the firmware's own main.py under the MicroPython unix port, with an emulated IMU
replaying the day and the emulated radio (radio and bridge processes), on an accelerated clock.

The firmware prints a line each device minute (`lumbo t=... state=... records=...`); this reads them to
know the device's time and how many records it has logged. The firmware's identity (address and identity
resolving key) is fixed for the run, so bonds hold when it restarts.
"""

import os
import re
import secrets
from pathlib import Path

from lumbo.build import build
from lumbo.demo.world import Day, DemoError
from lumbo.emu import launch
from lumbo.paths import EMULATED_HARDWARE_DIR, device_sources

# The firmware's heap under the emulation. On the board the application shares about 100 KB with the
# Bluetooth stack, whose C code and buffers live outside the MicroPython heap; here the emulated bluetooth
# module (Python, about 18 KB) and the emulated chip's registers take from the same heap. `lumbo bench
# heap` measures the peak; docs/demo.md has the figures.
DEMO_HEAP = "384k"
HEARTBEAT = re.compile(r"^lumbo t=(\d+) state=(\w+) bout_s=(\d+) records=(\d+) heap_used=(\d+) radio=(\w+)")
READY = r"^lumbo ready"
# Device seconds that pass between a heartbeat and a kill that follows it at once (a few real milliseconds).
KILL_LAG_S = 2
ADV_INTERVAL_US = 20000  # advertise every 20 ms: the host finds the device within one real moment


def emulated_hardware_sources() -> list[tuple[Path, str]]:
    """The emulated board's modules (host/lumbo/emu/upy), as (source, path on the module path)."""
    return [(path, path.relative_to(EMULATED_HARDWARE_DIR).as_posix())
            for path in sorted(EMULATED_HARDWARE_DIR.rglob("*.py")) if "__pycache__" not in path.parts]


def build_dir(out: Path | None = None) -> Path:
    """The firmware and the emulated board's modules compiled for the unix port (in the user's cache unless
    `out` is given; rebuilt only where sources changed). Compiled, the emulated modules cost the firmware's
    heap only their objects, not the compiler's working memory."""
    import platformdirs

    if out is None:
        out = Path(platformdirs.user_cache_dir("lumbo", appauthor=False)) / "demo-build-x64"
    build(out, "x64", device_sources() + emulated_hardware_sources())
    return out


class Heartbeat:
    def __init__(self, match: re.Match[str]) -> None:
        self.t_s = int(match.group(1))
        self.state = match.group(2)
        self.bout_s = int(match.group(3))
        self.records = int(match.group(4))
        self.heap_used = int(match.group(5))
        self.radio_on = match.group(6) == "on"


class DemoDevice:
    def __init__(self, day: Day, state_dir: Path, speed: float, firmware_dir: Path | None = None,
                 radio: str = "schedule", heapsize: str = DEMO_HEAP, interpreter: str = "micropython",
                 first_window_s: int | None = None, speed_changes: tuple[tuple[int, int], ...] = ()) -> None:
        self.day = day
        self.state_dir = state_dir
        self.data_dir = state_dir / "device-data"
        self.speed = speed
        self.firmware_dir = firmware_dir
        self.radio = radio
        self.heapsize = heapsize
        self.interpreter = interpreter
        self.first_window_s = first_window_s
        self.speed_changes = speed_changes
        # A static random address has its two top bits set; the IRK makes the private addresses it advertises.
        top = 0xC0 | secrets.randbelow(64)
        self.address = ":".join([f"{top:02X}"] + [f"{secrets.randbelow(256):02X}" for _ in range(5)])
        self.irk = secrets.token_bytes(16)
        self.emulation: launch.Emulation | None = None
        self.heartbeats: list[Heartbeat] = []
        self.restarts = 0
        self.heap_max_used = 0
        self._seen = 0
        self._start_us = 0

    def _env(self) -> dict[str, str]:
        return {
            "LUMBO_EMU_FRAMES": str(self.day.frames),
            "LUMBO_EMU_IMU": self.day.chip,
            "LUMBO_EMU_SPEED": ",".join([str(int(self.speed))] + [f"{v}@{at}" for at, v in self.speed_changes]),
            "LUMBO_EMU_START_US": str(self._start_us),
            "LUMBO_EMU_EPOCH_S": str(self.day.epoch0_s),
            "LUMBO_EMU_DATA": str(self.data_dir),
            "LUMBO_EMU_ADV_US": str(ADV_INTERVAL_US),
            "LUMBO_EMU_RADIO": self.radio,
            **({} if self.first_window_s is None else {"LUMBO_EMU_FIRST_WINDOW_S": str(self.first_window_s)}),
        }

    async def start(self) -> None:
        firmware = self.firmware_dir if self.firmware_dir is not None else build_dir()
        self.emulation = launch.Emulation(firmware / "main.py", path=[firmware], address=self.address, irk=self.irk,
                                          heapsize=self.heapsize, interpreter=self.interpreter, env=self._env())
        await self.emulation.start()
        await self.wait_ready()

    async def wait_ready(self) -> None:
        assert self.emulation is not None and self.emulation.firmware is not None
        try:
            await self.emulation.firmware.wait_for(READY)
        except launch.ChildFailed as exc:
            raise DemoError(f"the firmware did not start: {exc}") from None

    @property
    def radio_transport(self) -> str:
        assert self.emulation is not None and self.emulation.radio is not None
        return self.emulation.radio.transport

    @property
    def identity_address(self) -> str:
        return self.address

    def poll(self) -> list[str]:
        """New firmware output lines since the last call (heartbeats are taken in as they pass)."""
        if self.emulation is None or self.emulation.firmware is None:
            return []
        lines = self.emulation.firmware.lines[self._seen:]
        self._seen += len(lines)
        for line in lines:
            found = HEARTBEAT.match(line)
            if found:
                beat = Heartbeat(found)
                self.heartbeats.append(beat)
                self.heap_max_used = max(self.heap_max_used, beat.heap_used)
        return lines

    @property
    def t_s(self) -> int | None:
        """The device's time at its last heartbeat (Unix seconds)."""
        self.poll()
        return self.heartbeats[-1].t_s if self.heartbeats else None

    @property
    def elapsed_s(self) -> float:
        t = self.t_s
        return 0.0 if t is None else float(t - self.day.epoch0_s)

    @property
    def records(self) -> int:
        self.poll()
        return self.heartbeats[-1].records if self.heartbeats else 0

    @property
    def running(self) -> bool:
        firmware = self.emulation.firmware if self.emulation is not None else None
        return firmware is not None and firmware.proc.returncode is None

    def failure(self) -> str | None:
        """What the firmware said when it stopped by itself, if it did."""
        if self.running or self.emulation is None or self.emulation.firmware is None:
            return None
        return "\n".join(self.emulation.firmware.lines[-20:])

    async def power_cut_and_restart(self, downtime_s: float) -> int:
        """Cut the firmware off right after its next heartbeat, leave it off for downtime_s of the wearer's
        time, start it again; returns the device time (Unix s) of that heartbeat.

        The wearer's day goes on meanwhile: the new run starts where the old one was cut (the heartbeat's
        time plus the few device seconds that pass before the kill lands) plus the downtime."""
        assert self.emulation is not None and self.emulation.firmware is not None
        firmware = self.emulation.firmware
        beat = await firmware.wait_for(HEARTBEAT.pattern, start=len(firmware.lines))
        await self.emulation.stop_firmware(power_cut=True)
        self.poll()
        t_s = int(beat.group(1))
        self._start_us = int((t_s - self.day.epoch0_s + KILL_LAG_S + downtime_s) * 1_000_000)
        self.emulation.env = self._env()
        self._seen = 0
        await self.emulation.start_firmware()
        self.restarts += 1
        await self.wait_ready()
        return t_s

    async def stop(self) -> None:
        if self.emulation is not None:
            self.poll()
            await self.emulation.stop()

    @property
    def log_dir(self) -> str:
        """The device log's folder (the board's flash), readable with lumbo_fw.devlog.DevLog."""
        return os.fspath(self.data_dir / "log")
