"""The whole system against hostile or broken centrals: a stranger without a bond, and a bonded host that
writes malformed and fuzzed payloads to every characteristic. The firmware is the full application
(firmware/main.py) under the MicroPython unix port with its emulated IMU; the wearer's own host runs too.
"""

import asyncio
import random
import struct

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError
from systemtest import assert_host_holds_the_device_log, options, run

from lumbo import ble
from lumbo.ble.bumble_backend import AttError
from lumbo.demo.device import build_dir
from lumbo.demo.run import Demo
from lumbo.shared import codec, protocol

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"
FIRMWARE_REVISION = "00002a26-0000-1000-8000-00805f9b34fb"
ATT_INSUFFICIENT_AUTHENTICATION = 0x05
PAIRING_WINDOW_S = 4


@pytest.fixture(scope="module")
def demo_firmware(tmp_path_factory):
    return build_dir(tmp_path_factory.mktemp("demo-build"))


async def find_lumbo(link, timeout_s=10.0):
    device = await BleakScanner.find_device_by_filter(
        lambda _d, adv: protocol.SERVICE_UUID in adv.service_uuids, timeout=timeout_s, backend=link.scanner)
    assert device is not None, "the device's advertisement was never seen"
    return device


async def settle(demo, device_s):
    await demo.run_until(demo.device.elapsed_s + device_s)


def test_a_stranger_without_a_bond_gets_nothing_while_the_wearer_syncs(demo_firmware, tmp_path):
    o = options(tmp_path, demo_firmware, hours=0.5, seed=6, radio="always", first_window_s=PAIRING_WINDOW_S)

    async def scenario():
        demo = Demo(o)
        try:
            await demo.start()
            await asyncio.sleep(PAIRING_WINDOW_S + 1)  # the first start's pairing window has closed
            settings_before = (tmp_path / "device-data" / "settings").read_bytes() if (
                tmp_path / "device-data" / "settings").exists() else None
            stranger = ble.emulated(transport=demo.device.radio_transport, keystore_path=tmp_path / "stranger.json")
            received = []
            refused_reads = 0
            try:
                device = await find_lumbo(stranger)
                async with BleakClient(device, backend=stranger.client) as client:
                    for uuid in (protocol.STATUS_UUID, protocol.CONFIG_UUID, BATTERY_LEVEL, FIRMWARE_REVISION):
                        with pytest.raises(AttError) as refused:
                            await client.read_gatt_char(uuid)
                        assert refused.value.att_error == ATT_INSUFFICIENT_AUTHENTICATION, uuid
                        refused_reads += 1
                    for uuid, items in (
                            (protocol.CONFIG_UUID, [("setting", {"setting_id": 1, "value": 300})]),
                            (protocol.CONTROL_UUID, [("factory_reset", {"confirm": protocol.FACTORY_RESET_CONFIRM})]),
                            (protocol.CONTROL_UUID, [("open_pairing", {"window_s": 600})]),
                            (protocol.HISTORY_UUID, [("sync_start", {"host_id": 7, "from_seq": 1})])):
                        with pytest.raises(AttError):
                            await client.write_gatt_char(uuid, codec.encode(items), response=True)
                    for uuid in (protocol.STATUS_UUID, protocol.EVENTS_UUID, protocol.HISTORY_UUID):
                        try:
                            await client.start_notify(uuid, lambda _c, data: received.append(bytes(data)))
                        except AttError:
                            continue  # refused outright: as good
                    # Pairing outside the window gives no bond: the device drops the link.
                    with pytest.raises(BleakError):
                        await client.pair()
                        await client.read_gatt_char(protocol.STATUS_UUID)
            finally:
                await stranger.close()
            synced_before = demo.host.synced_to()
            await settle(demo, 20 * 60)
            head = await demo.final_sync()
            assert demo.host.synced_to() > synced_before, "the wearer's host went on syncing"
            await demo.host.stop()
            settings_after = (tmp_path / "device-data" / "settings").read_bytes() if (
                tmp_path / "device-data" / "settings").exists() else None
            return demo, received, refused_reads, head, settings_before, settings_after
        finally:
            await demo.close()

    demo, received, refused_reads, head, settings_before, settings_after = run(scenario(), 200)
    assert received == [], "the stranger was sent notifications"
    assert refused_reads == 4
    assert settings_after == settings_before, "the stranger changed a setting"
    bonds = (tmp_path / "device-data" / "bonds").read_bytes()
    assert len(bonds) > 0
    assert_host_holds_the_device_log(demo, head)


def malformed_payloads(rng, target):
    """Writes the device must refuse on `target` (config, control or history): each (payload, why)."""
    v = protocol.VERSION_BYTE
    out = [
        (b"", "empty"),
        (bytes((0x20,)) + codec.encode([("calibrate", {})])[1:], "major version 2"),
        (bytes((0x00, 0x40, 0x00)), "major version 0"),
        (bytes((v, 0x41, 20, 1, 2)), "an item running past the end"),
        (bytes((v, 0x41, 2, 1, 2)), "set_time shorter than its body"),
        (bytes((v, 0x30, 3, 1, 0, 0)), "a setting shorter than its body"),
        (bytes((v, 0x7E, 2, 9, 9)), "an item code nobody knows"),
        (bytes((v, 0x41)), "an item cut inside its header"),
    ]
    wrong_place = {
        "config": [("calibrate", {}), ("sync_start", {"host_id": 1, "from_seq": 1})],
        "control": [("setting", {"setting_id": 1, "value": 900}), ("sync_ack", {"host_id": 1, "acked_seq": 5})],
        "history": [("calibrate", {}), ("setting", {"setting_id": 1, "value": 900})],
    }[target]
    out += [(codec.encode([item]), f"{item[0]} on the wrong characteristic") for item in wrong_place]
    if target == "config":
        out += [(codec.encode([("setting", {"setting_id": 1, "value": 5})]), "sit_limit_s out of range"),
                (codec.encode([("setting", {"setting_id": 8, "value": 999})]), "imu_rate_hz out of range"),
                (codec.encode([("setting", {"setting_id": 99, "value": 1})]), "a setting nobody knows"),
                (codec.encode([("setting", {"setting_id": 1, "value": 600}),
                               ("setting", {"setting_id": 2, "value": 900})]), "reprompt_s longer than sit_limit_s")]
    if target == "control":
        out += [(codec.encode([("factory_reset", {"confirm": 1})]), "factory reset without its confirmation"),
                (codec.encode([("open_pairing", {"window_s": 0})]), "a pairing window of 0 s"),
                (codec.encode([("open_pairing", {"window_s": 601})]), "a pairing window of 601 s"),
                (codec.encode([("calibrate", {}), ("calibrate", {})]), "two commands in one write")]
    while len(out) < 40:
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        try:
            codec.decode(blob)
        except protocol.ProtocolError:
            out.append((blob, "random bytes"))
    return out


def test_malformed_and_fuzzed_writes_to_every_characteristic_are_refused_and_the_device_runs_on(
        demo_firmware, tmp_path):
    o = options(tmp_path, demo_firmware, hours=0.5, seed=7, radio="always")
    rng = random.Random(77)

    async def scenario():
        demo = Demo(o)
        try:
            await demo.start()
            await settle(demo, 3 * 60)
            await demo.host.stop()  # the wearer's host lets go; the same computer (same bond) now misbehaves
            link = ble.emulated(transport=demo.device.radio_transport, keystore_path=tmp_path / "keystore.json")
            answers = {"config": [], "control": [], "history": []}
            uuids = {"config": protocol.CONFIG_UUID, "control": protocol.CONTROL_UUID,
                     "history": protocol.HISTORY_UUID}
            refused_by_stack = 0
            sent = 0
            try:
                device = await find_lumbo(link)
                async with BleakClient(device, backend=link.client) as client:
                    for name, uuid in uuids.items():
                        await client.start_notify(uuid, lambda _c, data, n=name: answers[n].append(bytes(data)))
                    config_before = bytes(await client.read_gatt_char(protocol.CONFIG_UUID))
                    records_before = demo.device.records
                    for name, uuid in uuids.items():
                        for payload, why in malformed_payloads(rng, name):
                            before = len(answers[name])
                            await client.write_gatt_char(uuid, payload, response=True)
                            sent += 1
                            for _ in range(100):
                                if len(answers[name]) > before:
                                    break
                                await asyncio.sleep(0.02)
                            assert len(answers[name]) > before, f"no answer to {why} on {name}"
                            result = codec.decode(answers[name][-1]).first("result")
                            assert result["status"] != protocol.RESULT_OK, f"{why} on {name} was accepted"
                    for uuid in (protocol.STATUS_UUID, protocol.EVENTS_UUID, protocol.RAW_UUID, BATTERY_LEVEL,
                                 FIRMWARE_REVISION):
                        for _ in range(5):
                            blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 30)))
                            with pytest.raises(BleakError):
                                await client.write_gatt_char(uuid, blob, response=True)
                            refused_by_stack += 1
                    status = codec.decode(bytes(await client.read_gatt_char(protocol.STATUS_UUID))).first("status")
                    config_after = bytes(await client.read_gatt_char(protocol.CONFIG_UUID))
            finally:
                await link.close()
            await settle(demo, 5 * 60)
            assert demo.device.running, "the firmware stopped"
            assert demo.device.records > records_before, "the device went on logging"
            host = await demo.start_host()
            host.start()
            head = await demo.final_sync()
            await host.stop()
            return demo, sent, refused_by_stack, config_before, config_after, status, head
        finally:
            await demo.close()

    demo, sent, refused, config_before, config_after, status, head = run(scenario(), 240)
    assert sent >= 120 and refused == 25
    assert config_after == config_before, "a refused write changed the settings"
    assert status["t_s"] > 0
    assert_host_holds_the_device_log(demo, head)
    assert struct.unpack_from("<B", config_after, 0)[0] == protocol.VERSION_BYTE
