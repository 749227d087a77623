"""Synthetic desk-work days as device records, for benchmarks and the demo of a long log.

Deterministic for a seed: 08:00-17:00 local worn, sitting bouts of 10-75 minutes between breaks of 2-10
minutes standing or walking; a prompt when a bout passes 30 minutes, a routine after most breaks.
"""

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta, tzinfo

from lumbo.shared import vocab
from lumbo.store import Event, Minute


def days(first_day: date, count: int, tz: tzinfo | None = None, seed: int = 1,
         first_seq: int = 0) -> Iterator[tuple[list[Event], list[Minute]]]:
    """(events, minutes) for each day; sequence numbers run on from one day to the next."""
    rng = random.Random(seed)
    seq = first_seq
    for n in range(count):
        d = first_day + timedelta(days=n)
        day_start = int(datetime(d.year, d.month, d.day, tzinfo=tz).timestamp())
        states = [vocab.STATE_NOT_WORN] * 1440
        events: list[Event] = []
        minute = 8 * 60
        while minute < 17 * 60:
            bout = rng.randint(10, 75)
            end = min(minute + bout, 17 * 60)
            for m in range(minute, end):
                states[m] = vocab.STATE_SITTING
            events.append(Event(0, day_start + minute * 60, vocab.EVENT_BOUT_START, 0, 0))
            if end - minute > 30:
                events.append(Event(0, day_start + (minute + 30) * 60, vocab.EVENT_PROMPT, 1800, 0))
            events.append(Event(0, day_start + end * 60, vocab.EVENT_BOUT_END, 0, 0))
            brk = rng.randint(2, 10)
            for m in range(end, min(end + brk, 1440)):
                states[m] = vocab.STATE_WALKING if rng.random() < 0.3 else vocab.STATE_STANDING
            if rng.random() < 0.7:
                routine = rng.choice((vocab.ROUTINE_EXTENSION, vocab.ROUTINE_PELVIC_TILTS,
                                      vocab.ROUTINE_HIP_FLEXOR_STRETCH))
                events.append(Event(0, day_start + end * 60 + 60, vocab.EVENT_BREAK_TAKEN, routine, rng.randint(5, 12)))
            minute = end + brk
        minutes: list[Minute] = []
        for m, state in enumerate(states):
            seconds = [0] * len(vocab.STATES)
            seconds[state] = 60
            seated = state == vocab.STATE_SITTING
            tilt = rng.randint(800, 2600) if seated else 0
            changed = m > 0 and states[m - 1] != state
            minutes.append(Minute(0, day_start + m * 60, tuple(seconds), tilt, tilt - 300 if seated else 0,
                                  tilt + 300 if seated else 0, 1 if changed else 0))
        # Records get sequence numbers in time order, as the device's log would give them.
        merged: list[tuple[int, int, Event | Minute]] = [(e.t_s, 1, e) for e in events]
        merged += [(mm.t_s, 0, mm) for mm in minutes]
        merged.sort(key=lambda item: (item[0], item[1]))
        out_events: list[Event] = []
        out_minutes: list[Minute] = []
        for _, _, record in merged:
            if isinstance(record, Event):
                out_events.append(record._replace(seq=seq))
            else:
                out_minutes.append(record._replace(seq=seq))
            seq += 1
        yield out_events, out_minutes
