"""`lumbo bench cpu`: the share of one core each process of the emulated system takes at real-time speed.

The whole demo runs at speed 1 (the device's time is the wall clock) on a simulated desk-work day for a
while; CPU time (user + system) is read from /proc for the firmware (the unix port), the device's BLE bridge
and the radio, and from this process for the host app (store, prompts and link with its bumble stack). The
host's figure is the one with a target: the app must run all day unnoticed, under 1 % of a core.

Reference, in the same process and for the same time: an asyncio loop that only waits (what any idle
Python program costs), so the host's figure can be read against the floor of its runtime.

Caveats, printed with the figures: the host runs the BLE stack itself here (bumble); on a computer with
Bluetooth the operating system's stack does that work. The firmware's figure is the unix port on this
computer, with the emulated IMU chip's register model in the same process; the board's own cost per
sample comes from `lumbo bench device`.
"""

import asyncio
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from lumbo.demo.run import Demo, Options

SETTLE_S = 10.0  # after pairing and the first sync, before measuring
HOST_TARGET_PCT = 1.0


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _idle_reference(seconds: float) -> float:
    start_cpu, start = _self_cpu_s(), time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        await asyncio.sleep(0.1)
    return 100.0 * (_self_cpu_s() - start_cpu) / (time.monotonic() - start)


async def _measure(seconds: float, radio: str, firmware_dir: Path | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="lumbo-bench-cpu-") as tmp:
        demo = Demo(Options(hours=max(1.0, seconds / 3600 + 0.5), speed=1, seed=3, radio=radio, state_dir=Path(tmp),
                            firmware_dir=firmware_dir), say=lambda _m: None)
        try:
            await demo.start()
            assert demo.device is not None and demo.device.emulation is not None
            emulation = demo.device.emulation
            await demo.run_until(SETTLE_S)
            pids = {"firmware": emulation.firmware.proc.pid, "bridge": emulation.bridge.child.proc.pid,
                    "radio": emulation.radio.child.proc.pid}
            before = {name: _proc_cpu_s(pid) for name, pid in pids.items()}
            host_before, start = _self_cpu_s(), time.monotonic()
            await demo.run_until(SETTLE_S + seconds)
            elapsed = time.monotonic() - start
            figures = {f"{name}_pct": 100.0 * (_proc_cpu_s(pid) - before[name]) / elapsed for name, pid in pids.items()}
            figures["host_pct"] = 100.0 * (_self_cpu_s() - host_before) / elapsed
            figures["seconds"] = elapsed
            return figures
        finally:
            await demo.close()
            demo.cleanup()


def run(seconds: float = 120.0, radios: tuple[str, ...] = ("schedule", "always"),
        firmware_dir: Path | None = None) -> dict[str, float]:
    import logging

    logging.getLogger("bumble").setLevel(logging.ERROR)
    figures: dict[str, float] = {}
    for radio in radios:
        for key, value in asyncio.run(_measure(seconds, radio, firmware_dir)).items():
            figures[f"{radio}_{key}"] = round(value, 3)
    figures["reference_idle_loop_pct"] = round(asyncio.run(_idle_reference(min(seconds, 30.0))), 3)
    figures["host_target_pct"] = HOST_TARGET_PCT
    return figures


def describe(figures: dict[str, float]) -> str:
    lines = ["CPU at real-time speed, percent of one core",
             f"{'radio':<10} {'host app':>9} {'firmware':>9} {'bridge':>8} {'radio':>7}"]
    for radio in ("schedule", "always"):
        if f"{radio}_host_pct" in figures:
            lines.append(f"{radio:<10} {figures[radio + '_host_pct']:>9.2f} {figures[radio + '_firmware_pct']:>9.2f} "
                         f"{figures[radio + '_bridge_pct']:>8.2f} {figures[radio + '_radio_pct']:>7.2f}")
    lines.append(f"reference: an idle asyncio loop in this process {figures['reference_idle_loop_pct']:.2f} %; "
                 f"the host's target is under {figures['host_target_pct']:.0f} %")
    lines.append("the host figure includes its own BLE stack (bumble), which an operating system's stack would carry")
    return "\n".join(lines)


def main() -> None:
    figures = run()
    print(describe(figures))
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
