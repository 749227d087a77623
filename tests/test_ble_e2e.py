"""The firmware's BLE code, unchanged, under the real `micropython` binary against a bleak central over the
emulated radio: discover, bond, subscribe, read status, sync history, change configuration, reject bad
writes; a central without a bond gets nothing; a sync survives the link dropping at random moments.

The device is host/lumbo/emu/lumbo_device.py (the firmware's log, settings, bonds and GATT service wired
together) with the firmware compiled for the unix port; the air and the device's bridge run in this
process (launch.InProcessEmulation), only the firmware is a child process.
The device advertises from a resolvable private address, as on the board.
"""

import asyncio
import random

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError
from bumble import hci

from lumbo import ble, mpcompat
from lumbo.ble.bumble_backend import AttError
from lumbo.emu import launch
from lumbo.paths import EMULATED_HARDWARE_DIR

mpcompat.install(emulated_hardware=True)

from lumbo_fw import FIRMWARE_VERSION  # noqa: E402
from lumbo_fw.devlog import DevLog  # noqa: E402
from lumbo_shared import codec, protocol, vocab  # noqa: E402

DEVICE = EMULATED_HARDWARE_DIR.parent / "lumbo_device.py"
# lumbo_device.py holds the protocol, device log and BLE service (about 54 KB of heap on this port, see
# tests/device/test_heap_budget.py) beside the emulated bluetooth module (about 18 KB, and 4 KB receive
# buffers): the emulation's default 128 KB leaves it no room to spare, so it runs with 16 KB more.
HEAP = "144k"
HOST_ID = 0x5EED0001
FIRMWARE_REVISION = "00002a26-0000-1000-8000-00805f9b34fb"
SOFTWARE_REVISION = "00002a28-0000-1000-8000-00805f9b34fb"
BATTERY_SERVICE = "0000180f-0000-1000-8000-00805f9b34fb"
DEVICE_INFO_SERVICE = "0000180a-0000-1000-8000-00805f9b34fb"

pytestmark = pytest.mark.timeout(120)


def run(scenario, timeout_s=90):
    async def bounded():
        return await asyncio.wait_for(scenario, timeout_s)

    return asyncio.run(bounded())


def fill_log(state, minutes, events):
    """A device log as the posture code leaves it: minute summaries with an event now and then."""
    log = DevLog(str(state / "log"))
    t_s = 1700000000
    every = max(1, minutes // max(1, events))
    for i in range(minutes):
        log.minute(t_s + 60 * i, (0, 40, 15, 5, 0, 0), 1500, 800, 2100, 2)
        if events and i % every == 0:
            log.event(t_s + 60 * i + 30, vocab.EVENT_PROMPT, 1800, 0)
    return log.next_seq - 1


async def find_device(link, timeout_s=5.0):
    device = await BleakScanner.find_device_by_filter(
        lambda _device, adv: protocol.SERVICE_UUID in adv.service_uuids, timeout=timeout_s, backend=link.scanner)
    assert device is not None, "the device's advertisement (with the lumbo service UUID) was never seen"
    return device


class Host:
    """The host side of the protocol as the app speaks it: notifications into queues, results awaited."""

    def __init__(self, client, disconnected=None):
        self.client = client
        self.queues = {}
        self.disconnected = disconnected or asyncio.Event()

    async def subscribe(self, *uuids):
        for uuid in uuids:
            queue = asyncio.Queue()
            self.queues[uuid] = queue
            await self.client.start_notify(uuid, lambda _c, data, q=queue: q.put_nowait(bytes(data)))

    async def next(self, uuid, timeout_s=5.0):
        """The next notification on uuid, decoded; BleakError as soon as the link is lost."""
        getting = asyncio.ensure_future(self.queues[uuid].get())
        lost = asyncio.ensure_future(self.disconnected.wait())
        done, _ = await asyncio.wait((getting, lost), timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        lost.cancel()
        if getting in done:
            return codec.decode(getting.result())
        getting.cancel()
        if lost in done:
            raise BleakError("the link was lost")
        raise TimeoutError(f"no notification on {uuid} within {timeout_s} s")

    async def write(self, uuid, items):
        await self.client.write_gatt_char(uuid, codec.encode(items), response=True)

    async def result(self, uuid):
        return (await self.next(uuid)).first("result").fields

    async def sync(self, from_seq, stored, duplicates, after_each=None):
        """Ask for records from from_seq; store each by its sequence number until sync_end.
        `after_each(n)` is called after the n-th notification."""
        await self.write(protocol.HISTORY_UUID, [("sync_start", {"host_id": HOST_ID, "from_seq": from_seq})])
        count = 0
        while True:
            message = await self.next(protocol.HISTORY_UUID)
            count += 1
            if after_each is not None:
                after_each(count)
            for item in message.items:
                if item.name in ("minute", "event"):
                    if item["seq"] in stored:
                        duplicates.append(item["seq"])
                    stored[item["seq"]] = item
                elif item.name == "sync_end":
                    return item


def test_discover_bond_subscribe_read_sync_configure_and_reject_bad_writes(x64_build, tmp_path):
    last = fill_log(tmp_path, 40, 10)

    async def scenario():
        args = ["--state", str(tmp_path)]
        async with launch.InProcessEmulation(DEVICE, args, path=[x64_build], heapsize=HEAP) as emu:
            await emu.firmware.wait_for(f"^ready {last} {last + 1}$")
            link = ble.emulated(host=emu.host())
            try:
                device = await find_device(link)
                assert device.name == protocol.DEVICE_NAME
                async with BleakClient(device, backend=link.client, pair=True) as client:
                    assert client.mtu_size == protocol.REQUESTED_MTU
                    service = client.services.get_service(protocol.SERVICE_UUID)
                    assert {c.uuid for c in service.characteristics} == {
                        protocol.STATUS_UUID, protocol.EVENTS_UUID, protocol.HISTORY_UUID, protocol.CONFIG_UUID,
                        protocol.CONTROL_UUID, protocol.RAW_UUID}
                    assert client.services.get_service(BATTERY_SERVICE) is not None
                    assert client.services.get_service(DEVICE_INFO_SERVICE) is not None
                    assert (await client.read_gatt_char(FIRMWARE_REVISION)).decode() == FIRMWARE_VERSION
                    assert (await client.read_gatt_char(SOFTWARE_REVISION)).decode() == protocol.PROTOCOL_VERSION

                    host = Host(client)
                    await host.subscribe(protocol.STATUS_UUID, protocol.EVENTS_UUID, protocol.HISTORY_UUID,
                                         protocol.CONFIG_UUID, protocol.CONTROL_UUID)
                    status = codec.decode(await client.read_gatt_char(protocol.STATUS_UUID)).first("status")
                    assert status["state"] == vocab.STATE_SITTING and status["head_seq"] == last + 1
                    assert status["flags"] & protocol.STATUS_FLAG_PAIRING_OPEN
                    assert (await host.next(protocol.STATUS_UUID, 3)).first("status")["tilt_cdeg"] == 1250

                    stored, duplicates = {}, []
                    end = await host.sync(1, stored, duplicates)
                    assert sorted(stored) == list(range(1, last + 1)) and duplicates == []
                    assert [stored[s].name for s in (1, 2, 3)] == ["minute", "event", "minute"]
                    assert stored[1]["seconds_per_state"] == (0, 40, 15, 5, 0, 0)
                    assert end["next_seq"] == last + 1 and end["lost"] == 0
                    await host.write(protocol.HISTORY_UUID, [("sync_ack", {"host_id": HOST_ID, "acked_seq": last})])
                    again = await host.sync(protocol.SYNC_FROM_CURSOR, stored, duplicates)
                    assert again["next_seq"] == last + 1 and duplicates == []

                    sit = protocol.setting_id("sit_limit_s")
                    await host.write(protocol.CONFIG_UUID, [("setting", {"setting_id": sit, "value": 2400})])
                    assert await host.result(protocol.CONFIG_UUID) == {"request": 0x30, "status": 0, "detail": 0}
                    await emu.firmware.wait_for("^action settings sit_limit_s=2400$", 5)
                    # A bad value: answered "out of range" for that setting; the configuration stays as it was.
                    await host.write(protocol.CONFIG_UUID, [("setting", {"setting_id": sit, "value": 10})])
                    assert await host.result(protocol.CONFIG_UUID) == {
                        "request": 0x30, "status": protocol.RESULT_OUT_OF_RANGE, "detail": sit}
                    config = codec.decode(await client.read_gatt_char(protocol.CONFIG_UUID))
                    values = {protocol.setting_name(i["setting_id"]): i["value"] for i in config.items}
                    assert values["sit_limit_s"] == 2400 and len(values) == 9
                    await host.write(protocol.CONFIG_UUID, [("setting", {"setting_id": 77, "value": 1})])
                    assert (await host.result(protocol.CONFIG_UUID))["status"] == protocol.RESULT_UNKNOWN_REQUEST
                    await client.write_gatt_char(protocol.CONFIG_UUID, b"\x30\x30\x05", response=True)
                    assert (await host.result(protocol.CONFIG_UUID))["status"] == protocol.RESULT_UNSUPPORTED_VERSION

                    # A command that makes the device log an event: the event arrives live, in 20 bytes.
                    await host.write(protocol.CONTROL_UUID, [("calibrate", {})])
                    assert await host.result(protocol.CONTROL_UUID) == {"request": 0x40, "status": 0, "detail": 0}
                    live = None
                    while live is None or live["kind"] != vocab.EVENT_CALIBRATED:
                        live = (await host.next(protocol.EVENTS_UUID)).first("event")
                    assert live["seq"] > last
            finally:
                await link.close()

    run(scenario())


def test_a_central_without_a_bond_reads_and_writes_nothing(x64_build, tmp_path):
    fill_log(tmp_path, 5, 1)

    async def scenario():
        # No bond yet, and no pairing window (as after the window of the first start has closed).
        args = ["--state", str(tmp_path), "--first-window-s", "0"]
        async with launch.InProcessEmulation(DEVICE, args, path=[x64_build], heapsize=HEAP) as emu:
            await emu.firmware.wait_for("^ready")
            link = ble.emulated(host=emu.host())
            try:
                device = await find_device(link)
                async with BleakClient(device, backend=link.client) as client:
                    for uuid in (protocol.STATUS_UUID, protocol.CONFIG_UUID, FIRMWARE_REVISION):
                        with pytest.raises(AttError) as refused:
                            await client.read_gatt_char(uuid)
                        assert refused.value.att_error == 0x05, uuid  # insufficient authentication
                    for uuid, items in (
                            (protocol.CONFIG_UUID, [("setting", {"setting_id": 1, "value": 900})]),
                            (protocol.CONTROL_UUID, [("factory_reset", {"confirm": protocol.FACTORY_RESET_CONFIRM})]),
                            (protocol.HISTORY_UUID, [("sync_start", {"host_id": 1, "from_seq": 1})])):
                        with pytest.raises(AttError):
                            await client.write_gatt_char(uuid, codec.encode(items), response=True)
                    received = []
                    for uuid in (protocol.STATUS_UUID, protocol.EVENTS_UUID, protocol.HISTORY_UUID):
                        try:
                            await client.start_notify(uuid, lambda _c, data: received.append(bytes(data)))
                        except AttError:
                            continue  # refused outright: just as good
                    # Pairing now gives an encrypted link but no bond: the device drops it.
                    with pytest.raises(BleakError):
                        await client.pair()
                        await client.read_gatt_char(protocol.STATUS_UUID)
                    await asyncio.sleep(1.5)  # the device refreshes its status every second
                    assert received == []
                assert "action" not in emu.firmware.output
                await emu.stop_firmware()
            finally:
                await link.close()
        assert not (tmp_path / "settings").exists(), "a setting was stored for an unbonded central"
        assert not (tmp_path / "bonds").exists(), "a bond was stored outside the pairing window"

    run(scenario())


@pytest.mark.slow
def test_a_sync_cut_at_random_moments_leaves_the_host_with_every_record_once(x64_build, tmp_path):
    # Enough history that 25 cuts come before the end: notifications already on their way when the link
    # is cut still arrive, so a host gets a few hundred records per attempt.
    total = fill_log(tmp_path, 8000, 800)
    rng = random.Random(7)

    async def scenario():
        async with launch.InProcessEmulation(DEVICE, ["--state", str(tmp_path)], path=[x64_build],
                                         heapsize=HEAP) as emu:
            await emu.firmware.wait_for("^ready")
            link = ble.emulated(host=emu.host())
            stored, duplicates = {}, []
            cuts = 0
            try:
                device = await find_device(link)
                done = False
                attempts = 0
                while not done:
                    attempts += 1
                    assert attempts < 100, "the sync never finished"
                    # Cut the link (both ends) right after a random number of history notifications, each
                    # about ten records, 25 times; then let the sync finish.
                    cut_at = rng.randint(1, 6) if cuts < 25 else None

                    def after_each(count, cut_at=cut_at):
                        if count == cut_at:
                            emu.air.drop_all()

                    lost = asyncio.Event()
                    if attempts > 1:
                        # Its address changed when it advertised again (a new resolvable private address):
                        # find it again, as a host does (a bonded device is reported by its identity).
                        device = await find_device(link)
                    try:
                        async with BleakClient(device, backend=link.client, pair=True,
                                               disconnected_callback=lambda _c, lost=lost: lost.set()) as client:
                            host = Host(client, lost)
                            await host.subscribe(protocol.HISTORY_UUID)
                            end = await host.sync(max(stored, default=0) + 1, stored, duplicates, after_each)
                            await host.write(protocol.HISTORY_UUID, [
                                ("sync_ack", {"host_id": HOST_ID, "acked_seq": end["next_seq"] - 1})])
                            done = end["next_seq"] == total + 1
                    except BleakError:
                        assert cut_at is not None, "the link was lost without a cut"
                        cuts += 1  # the link went mid-sync: connect again, go on from the last stored record
                assert cuts >= 20, f"only {cuts} syncs were cut"
                assert duplicates == []
                assert sorted(stored) == list(range(1, total + 1))
            finally:
                await link.close()

    run(scenario(), timeout_s=110)


def test_the_device_advertises_a_resolvable_private_address(x64_build, tmp_path):
    irk = bytes(range(16))

    async def scenario():
        async with launch.InProcessEmulation(DEVICE, ["--state", str(tmp_path)], path=[x64_build], irk=irk,
                                         heapsize=HEAP) as emu:
            await emu.firmware.wait_for("^ready")
            link = ble.emulated(host=emu.host())
            try:
                device = await find_device(link)
                address = hci.Address(device.address, hci.Address.RANDOM_DEVICE_ADDRESS)
                assert address.is_resolvable, device.address
                # It resolves with the device's identity resolving key: hash = ah(irk, prand).
                from bumble.crypto import ah

                raw = bytes(address)  # little-endian: hash (3 bytes), then prand (3 bytes)
                assert ah(irk, raw[3:6]) == raw[0:3]
            finally:
                await link.close()

    run(scenario())
