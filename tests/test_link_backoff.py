
import pytest
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDeviceNotFoundError,
    BleakError,
)

from lumbo.link import backoff
from lumbo.link.runner import classify
from lumbo.link.session import LinkError


def test_each_kind_backs_off_to_its_own_cap_and_success_resets():
    b = backoff.Backoff()
    dropped = [b.next_delay_s(backoff.DROPPED) for _ in range(8)]
    assert dropped == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    # Another kind keeps its own count.
    assert [b.next_delay_s(backoff.NOT_FOUND) for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert max(b.next_delay_s(backoff.ADAPTER) for _ in range(20)) == 60.0
    b.reset()
    assert b.next_delay_s(backoff.DROPPED) == 0.5
    for kind, policy in backoff.POLICIES.items():
        assert policy.max_s <= 60.0, kind


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (BleakBluetoothNotAvailableError("off", BleakBluetoothNotAvailableReason.POWERED_OFF), backoff.ADAPTER),
        (BleakDeviceNotFoundError("AA", "gone"), backoff.NOT_FOUND),
        (BleakError("Insufficient authentication"), backoff.AUTH),
        (BleakError("adapter hci0 not found"), backoff.ADAPTER),
        (LinkError("the device disconnected"), backoff.DROPPED),
        (TimeoutError(), backoff.CONNECT_FAILED),
        (BleakError("le-connection-abort-by-local"), backoff.CONNECT_FAILED),
    ],
)
def test_failures_are_told_apart(exc, kind):
    assert classify(exc) == kind


def test_a_programming_error_is_not_swallowed():
    with pytest.raises(KeyError):
        classify(KeyError("bug"))


def test_waiting_for_an_absent_device_is_said_once_and_a_wake_from_sleep_looks_again_at_once(monkeypatch):
    import asyncio

    from lumbo.link import runner as runner_module

    scans = []
    wall = [1_000_000.0]

    async def absent(address, timeout_s, link):
        scans.append(timeout_s)
        if len(scans) == 5:
            wall[0] += 3600  # the laptop slept for an hour: the wall clock jumped, the monotonic one did not
        return None if len(scans) < 8 else "the device"

    monkeypatch.setattr(runner_module, "find", absent)
    monkeypatch.setattr(runner_module.time, "time", lambda: wall[0])
    said = []
    fast = {kind: backoff.Policy(0.01, 2.0, 0.02, p.why) for kind, p in backoff.POLICIES.items()}
    r = runner_module.Runner("AA", None, after_connect=None, say=said.append, policies=fast, scan_s=0.01)
    assert asyncio.run(r._find()) == "the device"
    assert len(scans) == 8
    assert sum(s.startswith("waiting for the device") for s in said) == 1
    assert said.count("the computer woke from sleep; looking for the device") == 1
    # Waits between scan windows stay short and bounded, and were reset by the wake-up.
    assert r.backoff._attempts[backoff.NOT_FOUND] == 2
