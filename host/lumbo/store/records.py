"""The device's records as the store takes them: already decoded from the wire, one tuple per record.

Both kinds share the device log's sequence numbers, so (device, seq) names one record whatever its kind.
"""

from typing import NamedTuple

from lumbo.shared import vocab

STATE_COUNT = len(vocab.STATES)


class Event(NamedTuple):
    seq: int
    t_s: int  # wall-clock time, seconds since 1970-01-01 UTC, as the device logged it
    kind: int  # vocab.EVENT_*
    a: int  # meaning depends on kind (e.g. routine for break_taken)
    b: int  # meaning depends on kind (e.g. reps for break_taken)


class Minute(NamedTuple):
    seq: int
    t_s: int  # start of the minute, seconds since 1970-01-01 UTC
    seconds_per_state: tuple[int, ...]  # indexed by vocab.STATE_*, STATE_COUNT entries
    tilt_mean_cdeg: int  # sagittal pelvic tilt while seated, relative to upright; positive = backwards
    tilt_min_cdeg: int
    tilt_max_cdeg: int
    transitions: int


class RecordError(ValueError):
    """A record that cannot be stored as it is; the message names the record and the field."""


def check_event(event: Event) -> Event:
    for name in ("seq", "t_s", "kind", "a", "b"):
        value = getattr(event, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecordError(f"event {event!r}: {name} must be an integer, not {value!r}")
    if event.seq < 0:
        raise RecordError(f"event {event!r}: seq must not be negative")
    return event


def check_minute(minute: Minute) -> Minute:
    for name in ("seq", "t_s", "tilt_mean_cdeg", "tilt_min_cdeg", "tilt_max_cdeg", "transitions"):
        value = getattr(minute, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecordError(f"minute {minute!r}: {name} must be an integer, not {value!r}")
    if minute.seq < 0:
        raise RecordError(f"minute {minute!r}: seq must not be negative")
    if len(minute.seconds_per_state) != STATE_COUNT:
        raise RecordError(
            f"minute {minute!r}: seconds_per_state needs {STATE_COUNT} entries ({', '.join(vocab.STATES)})"
        )
    return minute
