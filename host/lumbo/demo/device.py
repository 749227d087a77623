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
from lumbo.demo.world import Day
from lumbo.emu import launch

# The firmware's heap under the emulation. On the board the application shares about 100 KB with the
# Bluetooth stack, whose C code and buffers live outside the MicroPython heap; here the emulated bluetooth
# module (Python, about 18 KB) and the emulated chip's registers take from the same heap. `lumbo bench
# heap` measures the peak; docs/demo.md has the figures.
DEMO_HEAP = "256k"
HEARTBEAT = re.compile(r"^lumbo t=(\d+) state=(\w+) bout_s=(\d+) records=(\d+) heap_free=(\d+) radio=(\w+)")
READY = r"^lumbo ready"
ADV_INTERVAL_US = 20000  # advertise every 20 ms: the host finds the device within one real moment


def build_dir() -> Path:
    """The firmware compiled for the unix port, in the user's cache (rebuilt only where sources changed)."""
    import platformdirs

    out = Path(platformdirs.user_cache_dir("lumbo", appauthor=False)) / "demo-build-x64"
    build(out, "x64")
    return out


class Heartbeat:
    def __init__(self, match: re.Match[str]) -> None:
        self.t_s = int(match.group(1))
        self.state = match.group(2)
        self.bout_s = int(match.group(3))
        self.records = int(match.group(4))
        self.heap_free = int(match.group(5))
        self.radio_on = match.group(6) == "on"


class DemoDevice:
    def __init__(self, day: Day, state_dir: Path, speed: float, firmware_dir: Path | None = None,
                 radio: str = "schedule", heapsize: str = DEMO_HEAP, interpreter: str = "micropython") -> None:
        self.day = day
        self.state_dir = state_dir
        self.data_dir = state_dir / "device-data"
        self.speed = speed
        self.firmware_dir = firmware_dir
        self.radio = radio
        self.heapsize = heapsize
        self.interpreter = interpreter
        # A static random address has its two top bits set; the IRK makes the private addresses it advertises.
        top = 0xC0 | secrets.randbelow(64)
        self.address = ":".join([f"{top:02X}"] + [f"{secrets.randbelow(256):02X}" for _ in range(5)])
        self.irk = secrets.token_bytes(16)
        self.emulation: launch.Emulation | None = None
        self.heartbeats: list[Heartbeat] = []
        self.restarts = 0
        self.heap_min_free: int | None = None
        self._seen = 0
        self._start_us = 0

    def _env(self) -> dict[str, str]:
        return {
            "LUMBO_EMU_FRAMES": str(self.day.frames),
            "LUMBO_EMU_IMU": self.day.chip,
            "LUMBO_EMU_SPEED": str(int(self.speed)),
            "LUMBO_EMU_START_US": str(self._start_us),
            "LUMBO_EMU_EPOCH_S": str(self.day.epoch0_s),
            "LUMBO_EMU_DATA": str(self.data_dir),
            "LUMBO_EMU_ADV_US": str(ADV_INTERVAL_US),
            "LUMBO_EMU_RADIO": self.radio,
        }

    async def start(self) -> None:
        firmware = self.firmware_dir if self.firmware_dir is not None else build_dir()
        self.emulation = launch.Emulation(firmware / "main.py", path=[firmware], address=self.address, irk=self.irk,
                                          heapsize=self.heapsize, interpreter=self.interpreter, env=self._env())
        await self.emulation.start()
        await self.wait_ready()

    async def wait_ready(self) -> None:
        assert self.emulation is not None and self.emulation.firmware is not None
        await self.emulation.firmware.wait_for(READY)

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
                if self.heap_min_free is None or beat.heap_free < self.heap_min_free:
                    self.heap_min_free = beat.heap_free
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

    async def power_cut_and_restart(self, downtime_s: float) -> None:
        """Kill the firmware where it is, leave it off for downtime_s of the wearer's time, start it again.

        The wearer's day goes on meanwhile: the new run starts a minute past the last heartbeat (the device
        can be at most that far on) plus the downtime."""
        assert self.emulation is not None
        self.poll()
        last = self.t_s if self.t_s is not None else self.day.epoch0_s
        await self.emulation.stop_firmware(power_cut=True)
        self.poll()
        self._start_us = int((last - self.day.epoch0_s + 60 + downtime_s) * 1_000_000)
        self.emulation.env = self._env()
        self._seen = 0
        await self.emulation.start_firmware()
        self.restarts += 1
        await self.wait_ready()

    async def stop(self) -> None:
        if self.emulation is not None:
            self.poll()
            await self.emulation.stop()

    @property
    def log_dir(self) -> str:
        """The device log's folder (the board's flash), readable with lumbo_fw.devlog.DevLog."""
        return os.fspath(self.data_dir / "log")
