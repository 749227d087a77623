"""A desktop-notification server for machines without a desktop, on a private D-Bus session bus.

`private_session_bus()` starts the system's own `dbus-daemon` with a session configuration in a temporary
folder and yields its address. `NotificationServer` implements org.freedesktop.Notifications (version 1.2
of the freedesktop.org specification: Notify, CloseNotification, GetCapabilities, GetServerInformation and
the NotificationClosed and ActionInvoked signals) on dbus-fast. It keeps what it was sent and can invoke
an action as if the user had clicked a button, which is what a headless test or demo needs; a real
desktop's daemon takes its place on a real desktop, with the same traffic on the bus.
"""

import asyncio
import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from dbus_fast.aio import MessageBus
from dbus_fast.constants import RequestNameReply
from dbus_fast.service import ServiceInterface, method, signal

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
CLOSED_EXPIRED = 1
CLOSED_DISMISSED = 2
CLOSED_BY_CALL = 3

_SESSION_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class BusError(RuntimeError):
    pass


@contextlib.contextmanager
def private_session_bus(dbus_daemon: str | None = None) -> Iterator[str]:
    """Run a dbus-daemon of our own; yield its address (for DBUS_SESSION_BUS_ADDRESS); stop it after."""
    exe = dbus_daemon or shutil.which("dbus-daemon") or "/usr/bin/dbus-daemon"
    if not Path(exe).exists():
        raise BusError("dbus-daemon is not installed; on Debian or Ubuntu: apt-get install dbus-daemon")
    with tempfile.TemporaryDirectory(prefix="lumbo-dbus-") as folder:
        config = Path(folder) / "session.conf"
        config.write_text(_SESSION_CONFIG.format(folder=folder))
        proc = subprocess.Popen(
            [exe, f"--config-file={config}", "--nofork", "--nopidfile", "--print-address"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            address = proc.stdout.readline().strip()
            if not address:
                err = proc.stderr.read() if proc.stderr else ""
                raise BusError(f"dbus-daemon did not start: {err.strip()}")
            yield address
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Received(NamedTuple):
    id: int
    app_name: str
    summary: str
    body: str
    actions: dict[str, str]  # action key -> button label, in the order sent
    hints: dict[str, Any]
    expire_timeout_ms: int


class NotificationInterface(ServiceInterface):
    def __init__(self, server: "NotificationServer") -> None:
        super().__init__(BUS_NAME)
        self._server = server

    @method()
    def Notify(  # D-Bus names are CamelCase by the specification
        self,
        app_name: "s",  # noqa: F821
        replaces_id: "u",  # noqa: F821
        app_icon: "s",  # noqa: F821
        summary: "s",  # noqa: F821
        body: "s",  # noqa: F821
        actions: "as",  # noqa: F722
        hints: "a{sv}",  # noqa: F722
        expire_timeout: "i",  # noqa: F821
    ) -> "u":  # noqa: F821
        return self._server._notify(app_name, replaces_id, summary, body, actions, hints, expire_timeout)

    @method()
    def CloseNotification(self, id: "u") -> None:  # noqa: F821
        if self._server.open.pop(id, None) is not None:
            self.NotificationClosed(id, CLOSED_BY_CALL)

    @method()
    def GetCapabilities(self) -> "as":  # noqa: F722
        return list(self._server.capabilities)

    @method()
    def GetServerInformation(self) -> "ssss":  # noqa: F821
        return ["lumbo-notifyd", "lumbo", "1.0", "1.2"]

    @signal()
    def NotificationClosed(self, id: int, reason: int) -> "uu":  # noqa: F821
        return [id, reason]

    @signal()
    def ActionInvoked(self, id: int, action_key: str) -> "us":  # noqa: F821
        return [id, action_key]


class NotificationServer:
    """The server side of org.freedesktop.Notifications on the bus at `address`."""

    def __init__(self, address: str, capabilities: tuple[str, ...] = ("actions", "body")) -> None:
        self.address = address
        self.capabilities = capabilities
        self.received: list[Received] = []
        self.open: dict[int, Received] = {}
        self.arrived = asyncio.Event()
        self._next_id = 1
        self._bus: MessageBus | None = None
        self._interface = NotificationInterface(self)

    async def start(self) -> "NotificationServer":
        self._bus = await MessageBus(bus_address=self.address).connect()
        self._bus.export(OBJECT_PATH, self._interface)
        reply = await self._bus.request_name(BUS_NAME)
        if reply != RequestNameReply.PRIMARY_OWNER:
            raise BusError(f"another notification server owns {BUS_NAME} on this bus")
        return self

    async def stop(self) -> None:
        if self._bus is not None:
            self._bus.disconnect()
            await self._bus.wait_for_disconnect()
            self._bus = None

    def _notify(self, app_name: str, replaces_id: int, summary: str, body: str, actions: list[str],
                hints: dict[str, Any], expire_timeout: int) -> int:
        nid = replaces_id if replaces_id in self.open else self._next_id
        if nid == self._next_id:
            self._next_id += 1
        pairs = dict(zip(actions[0::2], actions[1::2], strict=False))
        item = Received(nid, app_name, summary, body, pairs,
                        {k: getattr(v, "value", v) for k, v in hints.items()}, expire_timeout)
        self.received.append(item)
        self.open[nid] = item
        self.arrived.set()
        return nid

    async def wait_for(self, count: int, timeout_s: float = 5.0) -> list[Received]:
        """Wait until at least `count` notifications have arrived; return them all."""
        async def enough() -> None:
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout_s)
        return list(self.received)

    def invoke(self, nid: int, action_key: str) -> None:
        """Act as the user clicking a button: emit ActionInvoked, then close the notification."""
        item = self.open.get(nid)
        if item is None or action_key not in item.actions:
            raise KeyError(f"notification {nid} is not open or has no action {action_key!r}")
        self._interface.ActionInvoked(nid, action_key)
        del self.open[nid]
        self._interface.NotificationClosed(nid, CLOSED_DISMISSED)
