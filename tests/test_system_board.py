"""The firmware as `lumbo flash` deploys it boots on the emulated board (lumbo.emu.board.EmulatedBoard: the
unix port behind a serial-port socket, running /boot.py and /main.py), with the emulated IMU replaying a
scenario and the emulated radio: a bleak central finds it, bonds and reads a live status."""

import asyncio
import time

import pytest
import serial
from bleak import BleakClient, BleakScanner

from lumbo import ble, sim
from lumbo.emu import launch
from lumbo.emu.board import EmulatedBoard
from lumbo.emu.imu_frames import write_frames
from lumbo.flash.deploy import deploy
from lumbo.shared import codec, protocol, vocab

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def start_and_read_console(url, pattern, timeout_s=30.0):
    """Soft-reset the board (`lumbo flash` leaves it at its REPL once it has seen the new firmware start) and
    return what it prints up to a line containing pattern."""
    link = serial.serial_for_url(url, baudrate=115200, timeout=0.1)
    out = b""
    try:
        link.write(b"\x04")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out += link.read(512)
            if pattern.encode() in out:
                return out.decode(errors="replace")
    finally:
        link.close()
    raise AssertionError(f"the board never printed {pattern!r}; it printed:\n{out.decode(errors='replace')}")


def test_the_deployed_firmware_boots_on_the_emulated_board_and_serves_a_bonded_host(tmp_path):
    day = sim.simulate_scenario("calibrate 10s\nwalk 1m\nsit 20m\n", seed=1, imu="lsm6dsox")
    epoch0 = 1_790_000_000

    async def scenario():
        radio = await launch.RadioProcess.start()
        bridge = await launch.BridgeProcess.start(radio.transport)
        try:
            env = {launch.BRIDGE_ENV: bridge.endpoint, "LUMBO_EMU_FRAMES": "/emu/day.frames",
                   "LUMBO_EMU_SPEED": "30", "LUMBO_EMU_EPOCH_S": str(epoch0), "LUMBO_EMU_ADV_US": "20000"}
            with EmulatedBoard(env=env) as board:
                (board.root / "emu").mkdir()
                write_frames(board.root / "emu" / "day.frames", day, rate_hz=52)
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(None, lambda: deploy(board.url, cache_dir=tmp_path / "cache"))
                assert result["verified"] and result["slot"] == "a"
                console = await loop.run_in_executor(None, lambda: start_and_read_console(board.url, "lumbo t="))
                link = ble.emulated(transport=radio.transport, keystore_path=tmp_path / "keys.json")
                try:
                    device = await BleakScanner.find_device_by_filter(
                        lambda _d, adv: protocol.SERVICE_UUID in adv.service_uuids, timeout=15,
                        backend=link.scanner)
                    assert device is not None, "the board never advertised"
                    async with BleakClient(device, backend=link.client, pair=True) as client:
                        status = codec.decode(bytes(await client.read_gatt_char(protocol.STATUS_UUID)))
                        revision = bytes(await client.read_gatt_char("00002a26-0000-1000-8000-00805f9b34fb"))
                finally:
                    await link.close()
                bonds = (board.root / "data" / "bonds").exists()
                return console, status.first("status"), revision.decode(), bonds, result["version"]
        finally:
            await bridge.stop()
            await radio.stop()

    console, status, revision, bonds, version = asyncio.run(asyncio.wait_for(scenario(), 150))
    assert "lumbo ready: LSM6DSO/LSM6DSOX" in console
    assert status["state"] in range(len(vocab.STATES))
    assert epoch0 <= status["t_s"] < epoch0 + 3600, "the status carries the board's clock"
    assert status["flags"] & protocol.STATUS_FLAG_CLOCK_SET
    assert revision == version.split("+")[0] or revision in version
    assert bonds, "the bond is kept in /data on the board"
