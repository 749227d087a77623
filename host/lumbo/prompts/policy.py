"""Whether a prompt may be shown now: quiet hours, do-not-disturb, and a snooze the wearer asked for."""

from datetime import datetime


def in_quiet_hours(local: datetime, quiet_start_min: int, quiet_end_min: int) -> bool:
    """Quiet hours run from start to end in minutes after local midnight, across midnight if end < start.

    Equal start and end means there are none (the device settings' convention).
    """
    if quiet_start_min == quiet_end_min:
        return False
    now_min = local.hour * 60 + local.minute
    if quiet_start_min < quiet_end_min:
        return quiet_start_min <= now_min < quiet_end_min
    return now_min >= quiet_start_min or now_min < quiet_end_min


def hold_reason(
    local: datetime,
    *,
    quiet_start_min: int,
    quiet_end_min: int,
    dnd_until_s: float | None,
    snoozed_until_s: float | None,
) -> str | None:
    """Why a prompt must not be shown at `local` (an aware datetime), or None if it may be."""
    now_s = local.timestamp()
    if dnd_until_s is not None and now_s < dnd_until_s:
        return "do-not-disturb"
    if in_quiet_hours(local, quiet_start_min, quiet_end_min):
        return "quiet hours"
    if snoozed_until_s is not None and now_s < snoozed_until_s:
        return "snoozed"
    return None
