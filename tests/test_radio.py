"""The emulated radio end to end: a GATT peripheral written against MicroPython's `bluetooth` API, running
under the real `micropython` binary, and a bleak central on the bumble backend, joined by the radio
process. The peripheral is tests/device/radio_peripheral.py; it prints one line per IRQ."""

import asyncio
import errno

import pytest
from bleak import BleakClient, BleakScanner

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

ATT_INSUFFICIENT_AUTHENTICATION = 0x05
ATT_INSUFFICIENT_ENCRYPTION = 0x0F

pytestmark = pytest.mark.timeout(90)


def run(scenario, timeout_s=60):
    async def bounded():
        return await asyncio.wait_for(scenario, timeout_s)

    return asyncio.run(bounded())


async def find_peripheral(link, timeout_s=5.0):
    device = await BleakScanner.find_device_by_filter(
        lambda _device, adv: SERVICE in adv.service_uuids, timeout=timeout_s, backend=link.scanner)
    assert device is not None, "the peripheral's advertisement (with its service UUID) was never seen"
    return device


def address_hex(link):
    """The central's address as the firmware's IRQ data shows it: most significant byte first."""
    return bytes(reversed(bytes(link.central.address))).hex()


def test_peripheral_is_discovered_read_notified_paired_and_written(tmp_path):
    async def scenario():
        async with launch.Emulation(PERIPHERAL, ["--bonds", str(tmp_path / "bonds.json")]) as emu:
            await emu.firmware.wait_for("^ready")
            link = ble.emulated(transport=emu.radio.transport)
            try:
                device = await find_peripheral(link)
                assert device.name == "lumbo-t"
                async with BleakClient(device, backend=link.client) as client:
                    await emu.firmware.wait_for(f"^irq connect 1 1 {address_hex(link)}$", 5)
                    # The firmware asked for 247 (config mtu=247) and so did the central.
                    await emu.firmware.wait_for("^irq mtu 1 247$", 5)
                    assert client.mtu_size == 247
                    service = client.services.get_service(SERVICE)
                    assert {c.uuid for c in service.characteristics} == {OPEN, SECURE, ECHO, LONG, IND, AUTH}
                    assert set(client.services.get_characteristic(SECURE).properties) == {"read", "write", "notify"}

                    # Each read raises _IRQ_GATTS_READ_REQUEST first, whose handler writes a fresh count.
                    assert await client.read_gatt_char(OPEN) == b"count:1"
                    assert await client.read_gatt_char(OPEN) == b"count:2"

                    notified = asyncio.Queue()
                    await client.start_notify(OPEN, lambda _c, data: notified.put_nowait(bytes(data)))
                    await client.write_gatt_char(ECHO, b"ping", response=True)
                    assert await asyncio.wait_for(notified.get(), 2) == b"ping"
                    await client.write_gatt_char(ECHO, b"pong", response=False)
                    assert await asyncio.wait_for(notified.get(), 2) == b"pong"

                    await client.pair()
                    # Just Works on LE Secure Connections with bonding: encrypted, not MITM-authenticated,
                    # bonded, 16-byte key; the keys went to the firmware first.
                    await emu.firmware.wait_for(f"^irq set_secret 2 01{bytes(link.central.address).hex()} store$", 5)
                    await emu.firmware.wait_for("^irq encryption 1 1 0 1 16$", 5)
                    assert await client.read_gatt_char(SECURE) == b"secret"
                    await client.write_gatt_char(SECURE, b"new secret", response=True)
                    await emu.firmware.wait_for(f"^irq write 1 \\d+ {b'new secret'.hex()}$", 5)
                    assert await client.read_gatt_char(SECURE) == b"new secret"
                await emu.firmware.wait_for("^irq disconnect 1$", 5)
            finally:
                await link.close()

    run(scenario())


def test_remote_writes_are_cut_to_the_attribute_buffer_as_on_the_board(tmp_path):
    """MicroPython keeps 20 bytes per value unless gatts_set_buffer (LONG: 100) or a longer local write
    made room; a longer remote write is stored cut to that size, without an error."""

    async def scenario():
        async with launch.Emulation(PERIPHERAL) as emu:
            await emu.firmware.wait_for("^ready")
            link = ble.emulated(transport=emu.radio.transport)
            try:
                async with BleakClient(await find_peripheral(link), backend=link.client, pair=True) as client:
                    long_value = bytes(range(150))
                    await client.write_gatt_char(LONG, long_value, response=True)
                    assert await client.read_gatt_char(LONG) == long_value[:100]
                    await client.write_gatt_char(SECURE, b"abcdefghijklmnopqrstuvwxyz", response=True)
                    assert await client.read_gatt_char(SECURE) == b"abcdefghijklmnopqrst"
            finally:
                await link.close()

    run(scenario())


def test_advertising_payload_over_31_bytes_is_refused_with_eio():
    async def scenario():
        async with launch.Emulation(PERIPHERAL) as emu:
            refused = await emu.firmware.wait_for(r"^advertise_too_long (\S+)$")
            assert refused.group(1) == str(errno.EIO)
            # The 30-byte payload that follows is accepted and seen, name and UUID included.
            await emu.firmware.wait_for("^ready")
            link = ble.emulated(transport=emu.radio.transport)
            try:
                device = await find_peripheral(link)
                assert device.name == "lumbo-t"
            finally:
                await link.close()

    run(scenario())


def test_link_dropped_by_the_radio_twenty_times_is_seen_by_both_sides_each_time():
    drops = 20

    async def scenario():
        async with launch.Emulation(PERIPHERAL) as emu:
            await emu.firmware.wait_for("^ready")
            link = ble.emulated(transport=emu.radio.transport)
            try:
                device = await find_peripheral(link)
                for cycle in range(drops):
                    lost = asyncio.Event()
                    async with BleakClient(device, backend=link.client,
                                           disconnected_callback=lambda _client, lost=lost: lost.set()) as client:
                        mark = len(emu.firmware.lines)
                        assert await client.read_gatt_char(OPEN) == b"count:%d" % (cycle + 1)
                        assert await emu.radio.connection_count() == 1
                        assert await emu.radio.drop() == 1
                        await asyncio.wait_for(lost.wait(), 5)
                        assert not client.is_connected
                        await emu.firmware.wait_for("^irq disconnect", 5, start=mark)
                        assert await emu.radio.connection_count() == 0
                # The firmware restarted advertising after every drop, so every reconnection found it.
                assert sum(line.startswith("irq connect") for line in emu.firmware.lines) == drops
            finally:
                await link.close()

    run(scenario(), timeout_s=80)


def test_connecting_to_an_absent_device_fails_instead_of_hanging():
    absent = "C0:11:22:33:44:55"

    async def scenario():
        # The host gives up first: the controller must still end the attempt when asked to cancel.
        radio = await launch.RadioProcess.start()
        link = ble.emulated(transport=radio.transport)
        try:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(BleakClient(absent, backend=link.client, timeout=0.5).connect(), 5)
        finally:
            await link.close()
            await radio.stop()
        # The controller gives up first (after its own connect timeout), with the host willing to wait.
        radio = await launch.RadioProcess.start(connect_timeout_s=0.5)
        link = ble.emulated(transport=radio.transport)
        try:
            with pytest.raises(Exception, match="could not connect") as failure:
                await asyncio.wait_for(BleakClient(absent, backend=link.client, timeout=30).connect(), 5)
            assert not isinstance(failure.value, TimeoutError)
        finally:
            await link.close()
            await radio.stop()

    run(scenario())


def test_bond_is_kept_by_the_firmware_across_reconnects_and_a_firmware_restart(tmp_path):
    bonds = tmp_path / "bonds.json"

    async def scenario():
        async with launch.Emulation(PERIPHERAL, ["--bonds", str(bonds)], address="C4:00:00:00:00:01") as emu:
            await emu.firmware.wait_for("^ready")
            link = ble.emulated(transport=emu.radio.transport)
            try:
                device = await find_peripheral(link)
                async with BleakClient(device, backend=link.client, pair=True) as client:
                    assert await client.read_gatt_char(SECURE) == b"secret"
                await emu.firmware.wait_for("^irq disconnect", 5)
                assert bonds.exists()

                # Reconnect: the central encrypts with its stored key, the device finds its bond.
                mark = len(emu.firmware.lines)
                async with BleakClient(device, backend=link.client) as client:
                    assert await client.read_gatt_char(SECURE) == b"secret"
                await emu.firmware.wait_for("^irq encryption 1 1 0 1 16$", 5, start=mark)
                assert not any("set_secret" in line for line in emu.firmware.lines[mark:])

                # Restart the firmware: the bond comes back from its file through _IRQ_GET_SECRET.
                await emu.stop_firmware()
                firmware = await emu.start_firmware()
                await firmware.wait_for("^ready")
                async with BleakClient(await find_peripheral(link), backend=link.client) as client:
                    assert await client.read_gatt_char(SECURE) == b"secret"
                await firmware.wait_for(f"^irq get_secret 2 0 01{bytes(link.central.address).hex()} found$", 5)
                await firmware.wait_for("^irq encryption 1 1 0 1 16$", 5)
            finally:
                await link.close()

    run(scenario())


def test_a_central_without_a_bond_reads_and_writes_nothing_secured(tmp_path):
    async def scenario():
        async with launch.Emulation(PERIPHERAL, ["--bonds", str(tmp_path / "bonds.json")]) as emu:
            await emu.firmware.wait_for("^ready")
            bonded = ble.emulated(transport=emu.radio.transport)
            stranger = ble.emulated(transport=emu.radio.transport)
            try:
                device = await find_peripheral(bonded)
                async with BleakClient(device, backend=bonded.client, pair=True) as client:
                    assert await client.read_gatt_char(SECURE) == b"secret"

                secure_handle = (await emu.firmware.wait_for(r"^handles \d+ (\d+)")).group(1)
                mark = len(emu.firmware.lines)
                async with BleakClient(device, backend=stranger.client) as client:
                    assert await client.read_gatt_char(OPEN) == b"count:1"  # open data stays open
                    with pytest.raises(AttError) as read_error:
                        await client.read_gatt_char(SECURE)
                    assert read_error.value.att_error == ATT_INSUFFICIENT_AUTHENTICATION
                    with pytest.raises(AttError) as write_error:
                        await client.write_gatt_char(SECURE, b"mine now", response=True)
                    assert write_error.value.att_error == ATT_INSUFFICIENT_AUTHENTICATION
                await emu.firmware.wait_for("^irq disconnect", 5, start=mark)
                # The stack refused both before the firmware saw them: no IRQ for the secured handle.
                touched = [line for line in emu.firmware.lines[mark:]
                           if line.startswith(("irq read", "irq write")) and line.split()[3] == secure_handle]
                assert touched == []
                assert any(line.startswith("irq read") for line in emu.firmware.lines[mark:])

                # A host that forgot its keys while the device kept the bond: "insufficient encryption",
                # the code that tells a host to encrypt (NimBLE's choice when it holds a key for the peer).
                async with BleakClient(device, backend=bonded.client) as client:
                    await client.unpair()
                async with BleakClient(device, backend=bonded.client) as client:
                    with pytest.raises(AttError) as forgotten:
                        await client.read_gatt_char(SECURE)
                    assert forgotten.value.att_error == ATT_INSUFFICIENT_ENCRYPTION
            finally:
                await bonded.close()
                await stranger.close()

    run(scenario())
