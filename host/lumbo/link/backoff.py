"""How long to wait before trying the device again, by what went wrong. Every wait is bounded."""

from typing import NamedTuple

# Kinds of failure the link tells apart.
NOT_FOUND = "not_found"  # not advertising: out of range, asleep because not worn, or off
CONNECT_FAILED = "connect_failed"  # seen, but the connection or its set-up failed
DROPPED = "dropped"  # was connected and the link went away
ADAPTER = "adapter"  # this computer's Bluetooth is off, missing or not permitted
AUTH = "auth"  # the bond is gone (device reset or unpaired): pairing again is the only fix


class Policy(NamedTuple):
    first_s: float
    factor: float
    max_s: float
    why: str


POLICIES = {
    # The pause between scan windows while the device is away (out of range, or radio off between syncs).
    # Scanning is how the host waits: the device may wake for a prompt and advertise for only a short
    # while, so the pauses stay a few seconds, just enough that a failing adapter is not driven flat out.
    NOT_FOUND: Policy(1.0, 2.0, 5.0, "the device is out of range or has its radio off"),
    # Usually a radio collision or the device busy; a quick retry mostly works, then back off.
    CONNECT_FAILED: Policy(1.0, 2.0, 30.0, "the connection failed"),
    # A drop at the edge of range tends to repeat: start fast, settle at half a minute.
    DROPPED: Policy(0.5, 2.0, 30.0, "the connection dropped"),
    # Bluetooth switched off or the adapter unplugged: check every so often, it comes back when the
    # wearer turns it on.
    ADAPTER: Policy(10.0, 1.5, 60.0, "Bluetooth on this computer is off or unavailable"),
    # Retrying cannot fix a lost bond; check rarely in case the wearer pairs again from another shell.
    AUTH: Policy(60.0, 1.0, 60.0, "the device no longer knows this computer: run `lumbo pair` again"),
}


class Backoff:
    """Per-kind exponential backoff; a success resets every kind."""

    def __init__(self, policies: dict[str, Policy] | None = None) -> None:
        self.policies = policies or POLICIES
        self._attempts: dict[str, int] = {}

    def next_delay_s(self, kind: str) -> float:
        policy = self.policies[kind]
        n = self._attempts.get(kind, 0)
        self._attempts[kind] = n + 1
        return min(policy.first_s * policy.factor**n, policy.max_s)

    def why(self, kind: str) -> str:
        return self.policies[kind].why

    def reset(self) -> None:
        self._attempts.clear()
