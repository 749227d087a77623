
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
