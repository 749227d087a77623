"""The emulated radio: one shared air, and one Bluetooth controller per device that joins it.

A real BLE stack (bumble's host) runs on each side of the emulated link; what is emulated is the part that
is hardware on a laptop or a board: the controller and the air between controllers. This module owns a
`bumble.link.LocalLink` (the air) and gives each participant a fresh `bumble.controller.Controller`.

Two ways to join:

* across processes, `RadioServer` listens on 127.0.0.1 and serves one controller per TCP client over H4,
  so a bumble host in another process joins with the transport `tcp-client:127.0.0.1:PORT`. A second port
  takes control commands (one per line): `drop` cuts every live connection at once, as when the wearer
  walks out of range (both sides see a supervision timeout); `count` prints how many connections are up.
* in one process, `InProcessRadio.attach()` gives a host its controller on the same kind of link, for fast
  tests that run both devices in one event loop.

`EmulatedController` corrects three things the stock controller does not do and a real one does: it tells
the peers when a participant leaves the air (its process died or its socket closed), it answers an LE Create
Connection Cancel with the Connection Complete event the host waits for, and it gives up on a connection
attempt to a device that never advertises after `connect_timeout_s`, so connecting to an absent device
fails instead of hanging.

Run it on its own with `python -m lumbo.emu.radio` (it prints `radio hci=PORT control=PORT` when ready).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

from bumble import core, hci, ll
from bumble.controller import Controller
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport import open_transport
from bumble.transport.common import AsyncPipeSink, StreamPacketSink, StreamPacketSource

from lumbo.emu import process

# What a peer's controller reports when the other side vanishes: in the air this is a supervision timeout.
LINK_LOST_REASON = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR
# A connection attempt to an address nobody advertises gives up after this long (a real host would cancel
# it; this keeps a forgotten attempt from hanging forever).
DEFAULT_CONNECT_TIMEOUT_S = 10.0


class EmulatedLink(LocalLink):
    """bumble's LocalLink, sending LE data from the address the connection was made with. (The stock link
    uses the controller's own random address, which is wrong for a device that advertised from a
    resolvable private address: its peer then finds no connection for the data.)"""

    def send_acl_data(self, sender_controller: Controller, destination_address: hci.Address,
                      transport: core.PhysicalTransport, data: bytes) -> None:
        if transport != core.PhysicalTransport.LE:
            super().send_acl_data(sender_controller, destination_address, transport, data)
            return
        connection = sender_controller.le_connections.get(destination_address)
        source = connection.self_address if connection is not None else sender_controller.random_address
        destination = self.find_le_controller(destination_address)
        if destination is not None:
            asyncio.get_running_loop().call_soon(destination.on_link_acl_data, source, transport, data)


class EmulatedController(Controller):
    """bumble's Controller, plus leaving the air cleanly and a bounded connection attempt."""

    def __init__(self, name: str, link: LocalLink, connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
                 **kwargs: object) -> None:
        super().__init__(name, link=link, **kwargs)  # type: ignore[arg-type]
        self.connect_timeout_s = connect_timeout_s
        self._connect_timer: asyncio.TimerHandle | None = None

    # Connection attempts ---------------------------------------------------------------------------------

    def on_hci_le_create_connection_command(self, command: hci.HCI_LE_Create_Connection_Command) -> None:
        already_pending = self.pending_le_connection is not None
        super().on_hci_le_create_connection_command(command)
        if not already_pending and self.pending_le_connection is command:
            self._arm_connect_timer()

    def on_hci_le_extended_create_connection_command(
        self, command: hci.HCI_LE_Extended_Create_Connection_Command
    ) -> None:
        already_pending = self.pending_le_connection is not None
        super().on_hci_le_extended_create_connection_command(command)
        if not already_pending and self.pending_le_connection is command:
            self._arm_connect_timer()

    def on_hci_le_create_connection_cancel_command(
        self, _command: hci.HCI_LE_Create_Connection_Cancel_Command
    ) -> hci.HCI_StatusReturnParameters:
        if self.pending_le_connection is None:
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        # The spec: the command completes, then the attempt ends with status "unknown connection identifier".
        asyncio.get_running_loop().call_soon(
            self._fail_pending_connection, hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    def create_le_connection(self, peer_address: hci.Address) -> None:
        self._disarm_connect_timer()
        super().create_le_connection(peer_address)

    def _arm_connect_timer(self) -> None:
        self._disarm_connect_timer()
        self._connect_timer = asyncio.get_running_loop().call_later(
            self.connect_timeout_s, self._fail_pending_connection, hci.HCI_ErrorCode.CONNECTION_ACCEPT_TIMEOUT_ERROR)

    def _disarm_connect_timer(self) -> None:
        if self._connect_timer is not None:
            self._connect_timer.cancel()
            self._connect_timer = None

    def _fail_pending_connection(self, status: int) -> None:
        self._disarm_connect_timer()
        pending = self.pending_le_connection
        if pending is None:
            return
        self.pending_le_connection = None
        self.send_hci_packet(
            hci.HCI_LE_Connection_Complete_Event(
                status=status,
                connection_handle=0,
                role=hci.Role.CENTRAL,
                peer_address_type=pending.peer_address_type,
                peer_address=pending.peer_address,
                connection_interval=0,
                peripheral_latency=0,
                supervision_timeout=0,
                central_clock_accuracy=0,
            )
        )

    # Links going away -----------------------------------------------------------------------------------

    def drop_connections(self, reason: int = LINK_LOST_REASON) -> int:
        """End every LE connection of this controller on this side only; returns how many there were."""
        connections = list(self.le_connections.values())
        for connection in connections:
            self.on_le_disconnected(connection, reason)
        return len(connections)

    def leave(self) -> None:
        """This participant is gone (its host closed the socket or died): stop advertising, tell every peer
        the link is lost, and step off the air."""
        self._disarm_connect_timer()
        self.pending_le_connection = None
        self.le_legacy_advertiser.stop()
        for advertising_set in self.advertising_sets.values():
            advertising_set.stop()
        for connection in list(self.le_connections.values()):
            with contextlib.suppress(Exception):  # the peer may have left in the same instant
                connection.send_ll_control_pdu(ll.TerminateInd(LINK_LOST_REASON))
        self.le_connections.clear()
        self.host = None
        if self in self.link.controllers:
            self.link.remove_controller(self)


class _Air:
    """The link and the controllers on it, shared by both ways of joining."""

    def __init__(self, connect_timeout_s: float) -> None:
        self.link = EmulatedLink()
        self.connect_timeout_s = connect_timeout_s
        self._names = itertools.count(1)

    def new_controller(self) -> EmulatedController:
        return EmulatedController(f"C{next(self._names)}", self.link, self.connect_timeout_s)

    def drop_all(self, reason: int = LINK_LOST_REASON) -> int:
        """Cut every live connection now (both ends see the loss); returns the number of links cut."""
        ends = sum(c.drop_connections(reason) for c in list(self.link.controllers)
                   if isinstance(c, EmulatedController))
        return ends // 2

    def connection_count(self) -> int:
        ends = sum(len(c.le_connections) for c in self.link.controllers)
        return ends // 2


class InProcessRadio(_Air):
    """The emulated air inside one event loop: `attach()` returns a bumble Host wired to a fresh controller.
    Create it inside a running event loop (bumble's controllers need one)."""

    def __init__(self, connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S) -> None:
        asyncio.get_running_loop()  # fail early, with Python's own message, outside a loop
        super().__init__(connect_timeout_s)

    def attach(self) -> Host:
        controller = self.new_controller()
        return Host(controller, AsyncPipeSink(controller))


class _HciClient(asyncio.Protocol):
    """One TCP client speaking H4: its controller lives exactly as long as its socket."""

    def __init__(self, air: _Air, on_close: Callable[[_HciClient], None]) -> None:
        self.air = air
        self.on_close = on_close
        self.controller: EmulatedController | None = None
        self.source = StreamPacketSource()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.controller = self.air.new_controller()
        self.controller.host = StreamPacketSink(transport)
        self.source.set_packet_sink(self.controller)

    def data_received(self, data: bytes) -> None:
        self.source.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.controller is not None:
            self.controller.leave()
            self.controller = None
        self.on_close(self)


class _ControlClient(asyncio.Protocol):
    def __init__(self, air: _Air) -> None:
        self.air = air
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            reply = self.command(line.decode("ascii", "replace").strip())
            assert self.transport is not None
            self.transport.write(reply.encode() + b"\n")

    def command(self, line: str) -> str:
        if line == "drop":
            return f"ok {self.air.drop_all()}"
        if line == "count":
            return f"ok {self.air.connection_count()}"
        return f"error unknown command {line!r}: use drop or count"


class RadioServer(_Air):
    """The air as a server on 127.0.0.1: an H4 port (one controller per client) and a control port."""

    def __init__(self, connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S) -> None:
        super().__init__(connect_timeout_s)
        self.clients: set[_HciClient] = set()
        self._servers: list[asyncio.Server] = []
        self.hci_port = 0
        self.control_port = 0

    async def start(self, hci_port: int = 0, control_port: int = 0, host: str = "127.0.0.1") -> None:
        loop = asyncio.get_running_loop()
        hci_server = await loop.create_server(
            lambda: _HciClient(self, self.clients.discard), host, hci_port)
        control_server = await loop.create_server(lambda: _ControlClient(self), host, control_port)
        self._servers = [hci_server, control_server]
        self.hci_port = hci_server.sockets[0].getsockname()[1]
        self.control_port = control_server.sockets[0].getsockname()[1]

    def hci_transport(self) -> str:
        """The bumble transport name a host uses to join this radio."""
        return f"tcp-client:127.0.0.1:{self.hci_port}"

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()


async def open_hci_transport(name: str) -> Any:
    """bumble's open_transport, with Nagle's algorithm off on a TCP link: HCI packets are small, and each
    waits on the one before (without this, every exchange waits for the peer's delayed ACK)."""
    transport = await open_transport(name)
    stream = getattr(getattr(transport, "sink", None), "transport", None)
    sock = stream.get_extra_info("socket") if isinstance(stream, asyncio.BaseTransport) else None
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return transport


async def send_control(port: int, command: str, timeout_s: float = 5.0) -> str:
    """Send one control command to a radio process on 127.0.0.1 and return its one-line answer."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout_s)
    try:
        writer.write(command.encode("ascii") + b"\n")
        await writer.drain()
        answer = (await asyncio.wait_for(reader.readline(), timeout_s)).decode().strip()
    finally:
        writer.close()
    if not answer.startswith("ok"):
        raise RuntimeError(f"the radio refused {command!r}: {answer}")
    return answer


async def _serve(args: argparse.Namespace) -> None:
    radio = RadioServer(connect_timeout_s=args.connect_timeout_s)
    await radio.start(args.hci_port, args.control_port)
    print(f"radio hci={radio.hci_port} control={radio.control_port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await radio.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lumbo.emu.radio", description=__doc__.split("\n\n")[0])
    parser.add_argument("--hci-port", type=int, default=0, help="TCP port for H4 clients (0: any free port)")
    parser.add_argument("--control-port", type=int, default=0, help="TCP port for control commands (0: any)")
    parser.add_argument("--connect-timeout-s", type=float, default=DEFAULT_CONNECT_TIMEOUT_S,
                        help="give up on a connection attempt to a device that does not advertise after this")
    parser.add_argument(process.LIFELINE_FLAG, action="store_true", help="exit when stdin closes")
    parser.add_argument("--log-level", default="WARNING", help="logging level for the stack (e.g. DEBUG)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(name)s: %(levelname)s: %(message)s")
    return process.run_until_stopped(_serve(args), lifeline=args.lifeline_stdin)


if __name__ == "__main__":
    sys.exit(main())
