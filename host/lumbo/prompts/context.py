"""What the sensor saw before a prompt, read back from the log: the bout, its tilt, today's sitting."""

from datetime import datetime, tzinfo

from lumbo.prompts.choose import Context
from lumbo.shared import vocab
from lumbo.store import Store


def local_midnight_s(t_s: float, tz: tzinfo | None) -> float:
    """The start of t_s's day in tz (None: the computer's own time zone)."""
    return datetime.fromtimestamp(t_s, tz).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def bout_start_s(store: Store, t_s: int, lookback_s: int = 12 * 3600) -> int | None:
    """Start of the sitting bout open at t_s: the last bout_start with no bout_end after it."""
    events = store.events(t_s - lookback_s, t_s + 1, kinds=(vocab.EVENT_BOUT_START, vocab.EVENT_BOUT_END))
    start = None
    for e in events:
        start = e.t_s if e.kind == vocab.EVENT_BOUT_START else None
    return start


def context_at(store: Store, t_s: int, tz: tzinfo | None, bout_s_hint: int = 0) -> Context:
    """The routine-choice context at t_s. bout_s_hint: the bout length the device sent, if any."""
    start = bout_start_s(store, t_s)
    bout_s = t_s - start if start is not None else bout_s_hint
    minutes = store.minutes(local_midnight_s(t_s, tz), t_s + 1)
    sitting_today_s = sum(m.seconds_per_state[vocab.STATE_SITTING] for m in minutes)
    weight = 0
    tilt_sum = 0
    for m in minutes:
        sitting_s = m.seconds_per_state[vocab.STATE_SITTING]
        if m.t_s >= t_s - bout_s and sitting_s > 0:
            weight += sitting_s
            tilt_sum += m.tilt_mean_cdeg * sitting_s
    tilt = round(tilt_sum / weight) if weight else None
    return Context(int(bout_s), tilt, int(sitting_today_s))
