"""More of MicroPython's bluetooth API over the emulated radio: passkey pairing, indications, updates to
subscribers, disconnects and pairing started by the firmware, notifications longer than the MTU allows,
and the same firmware under CPython. These use the in-process air and bridge (only the firmware is a
child process), which is the fast way to run the host side against the real firmware."""

import asyncio

import pytest
from bleak import BleakClient, BleakScanner
from bumble import pairing

from conftest import DEVICE_TESTS
from lumbo import ble
from lumbo.ble.bumble_backend import AttError
from lumbo.emu import launch

PERIPHERAL = DEVICE_TESTS / "radio_peripheral.py"
SERVICE = "6c756d62-6f00-4000-8000-000000000001"
OPEN = "6c756d62-6f00-4000-8000-000000000002"
SECURE = "6c756d62-6f00-4000-8000-000000000003"
ECHO = "6c756d62-6f00-4000-8000-000000000004"
LONG = "6c756d62-6f00-4000-8000-000000000005"
IND = "6c756d62-6f00-4000-8000-000000000006"
AUTH = "6c756d62-6f00-4000-8000-000000000007"
PASSKEY = 123456  # what the peripheral shows in --io display

pytestmark = pytest.mark.timeout(60)


def run(scenario, timeout_s=40):
    async def bounded():
        return await asyncio.wait_for(scenario, timeout_s)

    return asyncio.run(bounded())


class Typist(pairing.PairingDelegate):
    """A host user who reads the passkey off the device and types it."""

    def __init__(self, passkey):
        super().__init__(io_capability=pairing.PairingDelegate.IoCapability.DISPLAY_OUTPUT_AND_KEYBOARD_INPUT)
        self.passkey = passkey

    async def get_number(self):
        return self.passkey


async def connected(emu, delegate=None, **client_args):
    link = ble.emulated(host=emu.host(), delegate=delegate)
    device = await BleakScanner.find_device_by_filter(
        lambda _d, adv: SERVICE in adv.service_uuids, timeout=5, backend=link.scanner)
    assert device is not None
    return link, BleakClient(device, backend=link.client, **client_args)


@pytest.mark.parametrize(("io", "delegate", "action"), [
    ("compare", None, 4),  # both sides show a number and say yes
    ("display", Typist(PASSKEY), 3),  # the device shows 123456, the host types it
])
def test_passkey_pairing_goes_through_the_firmware_and_authenticates(io, delegate, action):
    async def scenario():
        async with launch.InProcessEmulation(PERIPHERAL, ["--io", io]) as emu:
            await emu.firmware.wait_for("^ready")
            link, client = await connected(emu, delegate, pair=True)
            try:
                async with client:
                    assert await client.read_gatt_char(SECURE) == b"secret"
                    assert await client.read_gatt_char(AUTH) == b"for your eyes only"
                await emu.firmware.wait_for(f"^irq passkey 1 {action} ", 5)
                # MITM-protected (authenticated = 1) this time.
                await emu.firmware.wait_for("^irq encryption 1 1 1 1 16$", 5)
            finally:
                await link.close()

    run(scenario())


def test_just_works_is_not_enough_for_an_authenticated_attribute_and_a_handler_can_refuse_a_read():
    async def scenario():
        async with launch.InProcessEmulation(PERIPHERAL) as emu:
            await emu.firmware.wait_for("^ready")
            link, client = await connected(emu, pair=True)
            try:
                async with client:
                    assert await client.read_gatt_char(SECURE) == b"secret"  # encrypted is enough here
                    with pytest.raises(AttError) as unauthenticated:
                        await client.read_gatt_char(AUTH)
                    assert unauthenticated.value.att_error == 0x05
                    # The read-request handler's non-zero return is the ATT error the host gets.
                    await client.write_gatt_char(LONG, b"deny", response=True)
                    with pytest.raises(AttError) as refused:
                        await client.read_gatt_char(LONG)
                    assert refused.value.att_error == 0x08
                    await client.write_gatt_char(LONG, b"allow", response=True)
                    assert await client.read_gatt_char(LONG) == b"allow"
            finally:
                await link.close()

    run(scenario())


def test_a_wrong_passkey_fails_pairing_and_leaves_the_link_unencrypted():
    async def scenario():
        async with launch.InProcessEmulation(PERIPHERAL, ["--io", "display"]) as emu:
            await emu.firmware.wait_for("^ready")
            link, client = await connected(emu, Typist(PASSKEY + 1))
            try:
                async with client:
                    with pytest.raises(Exception, match="pairing"):
                        await client.pair()
                await emu.firmware.wait_for("^irq encryption 1 0 0 0 0$", 5)
                assert not any("set_secret" in line for line in emu.firmware.lines)
            finally:
                await link.close()

    run(scenario())


def test_indications_updates_and_long_notifications():
    async def scenario():
        async with launch.InProcessEmulation(PERIPHERAL, ["--mtu", "100"]) as emu:
            await emu.firmware.wait_for("^ready")
            link, client = await connected(emu)
            try:
                async with client:
                    # The MTU is the smaller of the device's (config mtu=100) and the host's (247).
                    await emu.firmware.wait_for("^irq mtu 1 100$", 5)
                    assert client.mtu_size == 100
                    indicated, notified = asyncio.Queue(), asyncio.Queue()
                    await client.start_notify(IND, lambda _c, data: indicated.put_nowait(bytes(data)))
                    await client.write_gatt_char(ECHO, b"indicate:hello", response=True)
                    assert await asyncio.wait_for(indicated.get(), 2) == b"hello"
                    ind_handle = client.services.get_characteristic(IND).handle
                    await emu.firmware.wait_for(f"^irq indicate_done 1 {ind_handle} 0$", 5)

                    # gatts_write(..., send_update=True) reaches a subscribed central, not another one.
                    await client.write_gatt_char(ECHO, b"update:fresh", response=True)
                    await client.start_notify(OPEN, lambda _c, data: notified.put_nowait(bytes(data)))
                    await client.write_gatt_char(ECHO, b"update:fresher", response=True)
                    assert await asyncio.wait_for(notified.get(), 2) == b"fresher"
                    assert notified.empty()

                    # A notification is cut to MTU - 3 bytes, silently.
                    await client.write_gatt_char(ECHO, b"big:150", response=True)
                    assert await asyncio.wait_for(notified.get(), 2) == bytes(range(97))
            finally:
                await link.close()

    run(scenario())


def test_firmware_disconnects_and_asks_for_pairing():
    async def scenario():
        async with launch.InProcessEmulation(PERIPHERAL) as emu:
            await emu.firmware.wait_for("^ready")
            gone = asyncio.Event()
            link, client = await connected(emu, disconnected_callback=lambda _c: gone.set())
            try:
                async with client:
                    # gap_pair from the peripheral is a security request; the host answers by pairing.
                    await client.write_gatt_char(ECHO, b"pair", response=True)
                    await emu.firmware.wait_for("^irq encryption 1 1 0 1 16$", 5)
                    assert await client.read_gatt_char(SECURE) == b"secret"
                    await client.write_gatt_char(ECHO, b"bye", response=False)
                    await asyncio.wait_for(gone.wait(), 5)
                    assert not client.is_connected
                await emu.firmware.wait_for("^gap_disconnect True$", 5)
                await emu.firmware.wait_for("^irq disconnect 1$", 5)
            finally:
                await link.close()

    run(scenario())


def test_the_same_peripheral_runs_under_cpython_against_the_bridge():
    async def scenario():
        async with launch.InProcessEmulation(PERIPHERAL, interpreter="cpython") as emu:
            await emu.firmware.wait_for("^ready", 20)
            link, client = await connected(emu, pair=True)
            try:
                async with client:
                    assert await client.read_gatt_char(OPEN) == b"count:1"
                    assert await client.read_gatt_char(SECURE) == b"secret"
                    notified = asyncio.Queue()
                    await client.start_notify(OPEN, lambda _c, data: notified.put_nowait(bytes(data)))
                    await client.write_gatt_char(ECHO, b"ping", response=True)
                    assert await asyncio.wait_for(notified.get(), 2) == b"ping"
                await emu.firmware.wait_for("^irq encryption 1 1 0 1 16$", 5)
            finally:
                await link.close()

    run(scenario())


def test_firmware_killed_mid_connection_looks_like_a_power_cut_to_the_host():
    async def scenario():
        async with launch.InProcessEmulation(PERIPHERAL) as emu:
            await emu.firmware.wait_for("^ready")
            gone = asyncio.Event()
            link, client = await connected(emu, disconnected_callback=lambda _c: gone.set())
            try:
                await client.connect()
                assert await client.read_gatt_char(OPEN) == b"count:1"
                await emu.stop_firmware(power_cut=True)
                await asyncio.wait_for(gone.wait(), 5)
                # A new run of the firmware advertises again and serves afresh.
                firmware = await emu.start_firmware()
                await firmware.wait_for("^ready")
                link2, client2 = await connected(emu)
                async with client2:
                    assert await client2.read_gatt_char(OPEN) == b"count:1"
                await link2.close()
            finally:
                await link.close()

    run(scenario())


def test_resolvable_private_addresses_are_resolved_once_bonded():
    identity = "C5:00:00:00:00:07"
    irk = bytes(range(16))

    def resolvable(address_hex):
        return int(address_hex[:2], 16) >> 6 == 0b01

    async def scenario():
        async with launch.InProcessEmulation(PERIPHERAL, ["--rpa"], address=identity, irk=irk) as emu:
            first = (await emu.firmware.wait_for(r"^ready 1 ([0-9a-f]{12})$")).group(1)
            assert resolvable(first)
            link, client = await connected(emu, pair=True)
            try:
                # Not bonded yet: the scanner saw the private address itself.
                assert client.address.replace(":", "").lower() == first
                async with client:
                    assert await client.read_gatt_char(SECURE) == b"secret"
                second = (await emu.firmware.wait_for(r"^advertising 1 ([0-9a-f]{12})$")).group(1)
                assert resolvable(second) and second != first
                # Bonded, the host holds the device's IRK: the new private address resolves to the identity,
                # and connecting to the identity finds the device behind its current private address.
                found = await BleakScanner.find_device_by_filter(
                    lambda _d, adv: SERVICE in adv.service_uuids, timeout=5, backend=link.scanner)
                assert found.address == identity
                async with BleakClient(identity, backend=link.client) as again:
                    assert await again.read_gatt_char(SECURE) == b"secret"
            finally:
                await link.close()

    run(scenario())


def test_connection_parameter_updates_reach_the_firmware_in_its_units():
    async def scenario():
        async with launch.InProcessEmulation(PERIPHERAL) as emu:
            await emu.firmware.wait_for("^ready")
            link, client = await connected(emu)
            try:
                async with client:
                    central = await link.central.device()
                    (connection,) = central.connections.values()
                    await central.update_connection_parameters(
                        connection, connection_interval_min=30, connection_interval_max=30, max_latency=4,
                        supervision_timeout=6000)
                    # MicroPython reports the interval in 1.25 ms units and the timeout in 10 ms units.
                    await emu.firmware.wait_for("^irq conn_update 1 24 4 600 0$", 5)
            finally:
                await link.close()

    run(scenario())


def test_the_host_keeps_its_identity_and_bonds_across_runs(tmp_path):
    keys = tmp_path / "host" / "bonds.json"

    async def scenario():
        async with launch.InProcessEmulation(PERIPHERAL, ["--bonds", str(tmp_path / "device.json")]) as emu:
            await emu.firmware.wait_for("^ready")
            first = ble.emulated(host=emu.host(), keystore_path=keys)
            device = await BleakScanner.find_device_by_filter(
                lambda _d, adv: SERVICE in adv.service_uuids, timeout=5, backend=first.scanner)
            async with BleakClient(device, backend=first.client, pair=True) as client:
                assert await client.read_gatt_char(SECURE) == b"secret"
            await first.close()
            # A later run of the app: same identity from beside the keystore, bond from the keystore.
            later = ble.emulated(host=emu.host(), keystore_path=keys)
            assert later.central.address == first.central.address and later.central.irk == first.central.irk
            try:
                async with BleakClient(device.address, backend=later.client) as client:
                    assert await client.read_gatt_char(SECURE) == b"secret"
            finally:
                await later.close()

    run(scenario())
