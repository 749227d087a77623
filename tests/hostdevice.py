"""The emulated lumbo device (host/lumbo/emu/lumbo_device.py: the firmware's device log, settings, bonds and
GATT service under the real `micropython`) for the host app's end-to-end tests: its log filled beforehand,
the wearer's posture and events played through its inbox, the air and the bridge in the test's process."""

import asyncio
import os
import zlib
from pathlib import Path

from lumbo import ble, mpcompat
from lumbo.emu import launch
from lumbo.link import backoff
from lumbo.paths import EMULATED_HARDWARE_DIR

mpcompat.install(emulated_hardware=True)

from lumbo_fw.devlog import SLOT_SIZE, DevLog  # noqa: E402
from lumbo_shared import vocab  # noqa: E402

DEVICE = EMULATED_HARDWARE_DIR.parent / "lumbo_device.py"
# The device script's protocol, log and service beside the emulated bluetooth module need 16 KB more
# than the emulation's default heap (see tests/test_ble_e2e.py).
HEAP = "144k"
# The device's identity: fixed, so a bond made in one emulation is valid in the next one.
ADDRESS = "F2:11:22:33:44:55"
IRK = bytes(range(16, 32))


def emulation(state: Path, x64_build: Path, *extra: str) -> launch.InProcessEmulation:
    return launch.InProcessEmulation(DEVICE, ["--state", str(state), *extra], path=[x64_build], heapsize=HEAP,
                                     address=ADDRESS, irk=IRK)


def central(emu: launch.InProcessEmulation, keystore: Path | None) -> ble.Link:
    """A host's Bluetooth on the emulated air; with a keystore its bonds outlive the emulation."""
    return ble.emulated(host=emu.host, keystore_path=keystore)


def minute_fields(t_s: int, sitting_s: int = 60, tilt_cdeg: int = 1500) -> tuple:
    """A minute summary's fields as DevLog.minute takes them: the rest of the minute standing."""
    return (t_s, (0, sitting_s, 60 - sitting_s, 0, 0, 0), tilt_cdeg, tilt_cdeg - 400, tilt_cdeg + 400, 1)


def fill_log(state: Path, records: list[tuple], **log_args) -> DevLog:
    """Append records to the device's log before it starts: ("minute", fields) or ("event", t_s, kind, a, b).
    Returns the log (its next_seq, oldest_seq and log_id are the device's)."""
    state.mkdir(parents=True, exist_ok=True)
    log = DevLog(str(state / "log"), **log_args)
    for record in records:
        if record[0] == "minute":
            log.minute(*record[1])
        else:
            log.event(*record[1:])
    return log


def damage(state: Path, log: DevLog, seq: int) -> None:
    """Flip a byte in record seq's slot on 'flash', so its CRC fails."""
    segments = sorted(name for name in os.listdir(state / "log") if name.startswith("s") and len(name) == 9)
    first = max(int(name[1:], 16) for name in segments if int(name[1:], 16) <= seq)
    path = state / "log" / f"s{first:08x}"
    data = bytearray(path.read_bytes())
    at = (seq - first) * SLOT_SIZE + 10
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    assert zlib.crc32(bytes(data[(seq - first) * SLOT_SIZE:][:24])) != int.from_bytes(
        data[(seq - first) * SLOT_SIZE + 24:(seq - first) * SLOT_SIZE + 28], "little")


async def play(emu: launch.InProcessEmulation, state: Path, *lines: str, timeout_s: float = 5.0) -> None:
    """Have the device's posture code do these things (see lumbo_device.py) and wait until it has."""
    start = len(emu.firmware.lines)
    tmp = state / "inbox.tmp"
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, state / "inbox")
    for line in lines:
        await emu.firmware.wait_for(f"^did {line}$", timeout_s, start=start)


def prompt_line(bout_s: int, count: int = 1) -> str:
    return f"event {vocab.EVENT_PROMPT} {bout_s} {count}"


async def wait_until(predicate, timeout_s: float = 10.0, what: str = "the condition") -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"{what} did not happen within {timeout_s} s") from None


# Short waits for tests: pauses of at most 0.5 s between attempts (the app's own are longer).
FAST = {kind: backoff.Policy(min(p.first_s, 0.2), p.factor, min(p.max_s, 0.5), p.why)
        for kind, p in backoff.POLICIES.items()}


class Updates(list):
    """What a HostApp's listener received."""

    def texts(self, kind=None):
        return [u.text for u in self if kind is None or u.kind == kind]
