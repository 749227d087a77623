"""The emulated air itself, with two plain bumble devices (no firmware): what lumbo's controller adds to
bumble's, in one process and across TCP."""

import asyncio

import pytest
from bumble import core, hci
from bumble.device import Device, DeviceConfiguration
from bumble.host import Host
from bumble.transport import open_transport

from lumbo.emu import radio

CONNECTION_TIMEOUT = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR
ADVERTISING_INTERVAL_MS = 20

pytestmark = pytest.mark.timeout(30)


def run(scenario, timeout_s=20):
    async def bounded():
        return await asyncio.wait_for(scenario, timeout_s)

    return asyncio.run(bounded())


async def powered(host, address):
    device = Device(config=DeviceConfiguration(name=address, address=hci.Address(address)), host=host)
    await device.power_on()
    return device


async def connect(central, peripheral):
    """Peripheral advertises every 20 ms, central connects; returns (central side, peripheral side)."""
    accepted = asyncio.get_running_loop().create_future()
    peripheral.once(peripheral.EVENT_CONNECTION, accepted.set_result)
    await peripheral.start_advertising(advertising_interval_min=ADVERTISING_INTERVAL_MS,
                                       advertising_interval_max=ADVERTISING_INTERVAL_MS)
    initiated = await central.connect(peripheral.random_address, timeout=5)
    return initiated, await asyncio.wait_for(accepted, 5)


def disconnection(connection):
    reason = asyncio.get_running_loop().create_future()
    connection.once(connection.EVENT_DISCONNECTION, reason.set_result)
    return reason


def test_dropping_the_air_disconnects_both_ends_with_a_supervision_timeout():
    async def scenario():
        air = radio.InProcessRadio()
        central = await powered(air.attach(), "C0:00:00:00:00:01")
        peripheral = await powered(air.attach(), "C0:00:00:00:00:02")
        for _ in range(3):
            initiated, accepted = await connect(central, peripheral)
            ends = disconnection(initiated), disconnection(accepted)
            assert air.connection_count() == 1
            assert air.drop_all() == 1
            assert await asyncio.wait_for(asyncio.gather(*ends), 5) == [CONNECTION_TIMEOUT, CONNECTION_TIMEOUT]
            assert air.connection_count() == 0
            assert not central.connections and not peripheral.connections

    run(scenario())


def test_a_connection_attempt_to_nobody_is_cancelled_or_times_out():
    async def scenario():
        # Cancelled by the host: bumble's own connect timeout sends LE Create Connection Cancel.
        air = radio.InProcessRadio()
        central = await powered(air.attach(), "C0:00:00:00:00:01")
        with pytest.raises(core.TimeoutError):
            await central.connect(hci.Address("C0:00:00:00:00:09"), timeout=0.2)
        # Given up by the controller, the host being willing to wait.
        air = radio.InProcessRadio(connect_timeout_s=0.2)
        central = await powered(air.attach(), "C0:00:00:00:00:01")
        with pytest.raises(core.ConnectionError) as failure:
            await central.connect(hci.Address("C0:00:00:00:00:09"), timeout=None)
        assert failure.value.error_code == hci.HCI_ErrorCode.CONNECTION_ACCEPT_TIMEOUT_ERROR
        # And the controller still connects to a device that is there afterwards.
        peripheral = await powered(air.attach(), "C0:00:00:00:00:02")
        initiated, _ = await connect(central, peripheral)
        assert initiated.peer_address == peripheral.random_address

    run(scenario())


def test_a_participant_whose_socket_closes_leaves_the_air_and_its_peer_is_told():
    async def scenario():
        server = radio.RadioServer()
        await server.start()
        transports = [await open_transport(server.hci_transport()) for _ in range(2)]
        try:
            central = await powered(Host(transports[0].source, transports[0].sink), "C0:00:00:00:00:01")
            peripheral = await powered(Host(transports[1].source, transports[1].sink), "C0:00:00:00:00:02")
            initiated, _ = await connect(central, peripheral)
            lost = disconnection(initiated)
            await transports[1].close()  # the peripheral's process is gone
            assert await asyncio.wait_for(lost, 5) == CONNECTION_TIMEOUT
            assert len(server.link.controllers) == 1
            assert await radio.send_control(server.control_port, "count") == "ok 0"
            with pytest.raises(RuntimeError, match="unknown command"):
                await radio.send_control(server.control_port, "explode")
        finally:
            await transports[0].close()
            await server.close()

    run(scenario())


def test_the_host_picks_the_emulated_radio_from_the_environment(monkeypatch):
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.scanner import BaseBleakScanner

    from lumbo import ble

    monkeypatch.setenv(ble.RADIO_ENV, "tcp-client:127.0.0.1:9")
    link = ble.from_environment()
    assert issubclass(link.scanner, BaseBleakScanner) and issubclass(link.client, BaseBleakClient)
    assert link.central.transport_name == "tcp-client:127.0.0.1:9"
    assert link.scanner.central is link.central and link.client.central is link.central
    monkeypatch.delenv(ble.RADIO_ENV)
    assert ble.from_environment() == ble.system() == (None, None, None)
