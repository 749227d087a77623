"""Which BLE stack the host app talks through. The app uses bleak's public API only; this picks the
backend classes it passes as `backend=` to `BleakScanner` and `BleakClient`.

    link = lumbo.ble.from_environment()
    async with BleakScanner(service_uuids=[...], backend=link.scanner) as scanner: ...
    async with BleakClient(device, backend=link.client, pair=True) as client: ...

`link.scanner` and `link.client` are None for the computer's own Bluetooth (bleak picks the platform
backend), or bumble-based classes bound to one `Central` for the emulated radio: `emulated(...)`, or
`from_environment()` when `LUMBO_BLE_RADIO` names a radio (`tcp-client:127.0.0.1:PORT`, as `lumbo.emu`
prints and sets).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.scanner import BaseBleakScanner
    from bumble.host import Host
    from bumble.pairing import PairingDelegate

    from lumbo.ble.bumble_backend import Central

RADIO_ENV = "LUMBO_BLE_RADIO"


class Link(NamedTuple):
    scanner: type[BaseBleakScanner] | None
    client: type[BaseBleakClient] | None
    central: Central | None

    async def close(self) -> None:
        """Release the emulated central, if any (no-op for the system's Bluetooth)."""
        if self.central is not None:
            await self.central.close()


def system() -> Link:
    """The computer's own Bluetooth adapter, through bleak's platform backend."""
    return Link(None, None, None)


def emulated(transport: str | None = None, host: Host | None = None, address: str | None = None,
             keystore_path: Path | str | None = None, delegate: PairingDelegate | None = None) -> Link:
    """bleak on bumble, joined to the emulated radio by `transport` or an in-process `host`. `delegate`
    answers passkey questions when pairing (default: accepts numeric comparison, has no passkey to type)."""
    from lumbo.ble.bumble_backend import Central, backend_classes

    central = Central(transport=transport, host=host, address=address, keystore_path=keystore_path,
                      delegate=delegate)
    scanner, client = backend_classes(central)
    return Link(scanner, client, central)


def from_environment(keystore_path: Path | str | None = None) -> Link:
    """The emulated radio named by LUMBO_BLE_RADIO if set, else the system's Bluetooth."""
    transport = os.environ.get(RADIO_ENV)
    if transport:
        return emulated(transport=transport, keystore_path=keystore_path)
    return system()
