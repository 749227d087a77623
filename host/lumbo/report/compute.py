"""The numbers of a report, computed from the log for a span of local days.

Definitions (docs/host-app.md has them with examples):
- sitting time: the seconds the minute summaries count as sitting;
- worn time: seconds in any state but unknown and not-worn; transitions per hour are per worn hour;
- a bout runs from a bout_start event to the next bout_end; a bout still open at the end of the log ends
  at its last record. A bout belongs to the day it started on;
- prompted: prompt events; taken: break_taken events (the device saw the break); snoozed and skipped:
  prompts answered so, on the device (a snooze or prompt_skipped event before the next prompt) or in the
  app (the wearer's button), counted once per prompt;
- routines: break_taken events by routine (event field a), with their reps (field b);
- seated tilt distribution: each minute's mean seated tilt, weighted by its sitting seconds.
"""

import itertools
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, tzinfo
from typing import NamedTuple

from lumbo.shared import vocab
from lumbo.store import Store

BOUT_EDGES_MIN = (0, 10, 20, 30, 45, 60, 90)  # last bin is "90 and over"
LONG_BOUT_S = 30 * 60
TILT_EDGES_DEG = tuple(range(-10, 45, 5))  # first bin "under -10", last "40 and over"
_LOOKBACK_S = 24 * 3600  # how far before the span to look for the start of a bout that ends in it


class Bout(NamedTuple):
    start_s: int
    duration_s: int


class DaySummary(NamedTuple):
    day: date
    sitting_s: int
    worn_s: int
    bouts: int
    long_bouts: int
    prompted: int
    taken: int


class Report(NamedTuple):
    first_day: date
    last_day: date
    start_s: float
    end_s: float
    state_s: dict[str, int]
    sitting_s: int
    worn_s: int
    bouts: list[Bout]
    bout_histogram: list[tuple[str, int]]
    long_bouts: int
    long_bout_share: float  # of bouts
    long_bout_time_share: float  # of the time spent in bouts
    prompted: int
    taken: int
    snoozed: int
    skipped: int
    routines: dict[str, tuple[int, int]]  # routine name -> (times, reps)
    tilt_histogram: list[tuple[str, int]]  # label -> seated seconds
    seated_tilt_mean_deg: float | None
    transitions: int
    transitions_per_hour: float
    sitting_by_hour_s: list[int]  # 24 local hours, summed over the span
    days: list[DaySummary]


def day_bounds(day: date, tz: tzinfo | None) -> tuple[float, float]:
    """Start and end of a local day (tz None: the computer's time zone), as Unix seconds."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=tz)
    return start.timestamp(), end.timestamp()


def _label_bins(edges: tuple[int, ...], unit: str, under: bool) -> list[str]:
    labels = [f"under {edges[0]}{unit}"] if under else []
    labels += [f"{a} to {b}{unit}" for a, b in itertools.pairwise(edges)]
    labels.append(f"{edges[-1]}{unit} and over")
    return labels


def _bin(value: float, edges: tuple[int, ...], under: bool) -> int:
    """Index of value's bin: bins are [edge_i, edge_i+1), plus 'under' and 'over' bins at the ends."""
    index = 0
    for edge in edges:
        if value >= edge:
            index += 1
        else:
            break
    return index if under else max(index - 1, 0)


def bouts_in(store: Store, start_s: float, end_s: float) -> list[Bout]:
    events = store.events(start_s - _LOOKBACK_S, end_s, kinds=(vocab.EVENT_BOUT_START, vocab.EVENT_BOUT_END))
    span = store.time_span()
    last_record_s = span[1] if span else end_s
    bouts: list[Bout] = []
    open_start: int | None = None
    for e in events:
        if e.kind == vocab.EVENT_BOUT_START:
            if open_start is None:
                open_start = e.t_s
        elif open_start is not None:
            bouts.append(Bout(open_start, e.t_s - open_start))
            open_start = None
    if open_start is not None:
        bouts.append(Bout(open_start, max(0, min(last_record_s, int(end_s)) - open_start)))
    return [b for b in bouts if start_s <= b.start_s < end_s]


def _prompt_outcomes(store: Store, start_s: float, end_s: float) -> tuple[int, int, int]:
    """(prompted, snoozed, skipped) for the prompt events in the span, each prompt counted once."""
    kinds = (vocab.EVENT_PROMPT, vocab.EVENT_SNOOZE, vocab.EVENT_PROMPT_SKIPPED)
    events = store.events(start_s, end_s, kinds=kinds)
    app_answers = {seq: action for seq, _, _, _, action in store.prompts(start_s - _LOOKBACK_S, end_s)}
    outcome: dict[tuple[int, int], str] = {}
    current: tuple[int, int] | None = None
    prompted = 0
    for e in events:
        if e.kind == vocab.EVENT_PROMPT:
            prompted += 1
            current = (e.t_s, e.seq)
            answer = app_answers.get(e.seq)
            if answer in ("snooze", "skip"):
                outcome[current] = answer
        elif current is not None and current not in outcome:
            outcome[current] = "snooze" if e.kind == vocab.EVENT_SNOOZE else "skip"
    counts = Counter(outcome.values())
    return prompted, counts["snooze"], counts["skip"]


def compute(store: Store, first_day: date, last_day: date, tz: tzinfo | None) -> Report:
    """The report for local days first_day..last_day inclusive, in time zone tz (None: the computer's)."""
    start_s = day_bounds(first_day, tz)[0]
    end_s = day_bounds(last_day, tz)[1]
    minutes = store.minutes(start_s, end_s)
    state_totals = [0] * len(vocab.STATES)
    tilt_bins = [0] * (len(TILT_EDGES_DEG) + 1)
    by_hour = [0] * 24
    per_day_sitting: dict[date, int] = defaultdict(int)
    per_day_worn: dict[date, int] = defaultdict(int)
    transitions = 0
    tilt_weighted = 0
    for m in minutes:
        for i, seconds in enumerate(m.seconds_per_state):
            state_totals[i] += seconds
        sitting = m.seconds_per_state[vocab.STATE_SITTING]
        worn = sum(m.seconds_per_state) - m.seconds_per_state[vocab.STATE_UNKNOWN] - m.seconds_per_state[
            vocab.STATE_NOT_WORN]
        local = datetime.fromtimestamp(m.t_s, tz)
        per_day_sitting[local.date()] += sitting
        per_day_worn[local.date()] += worn
        transitions += m.transitions
        if sitting:
            by_hour[local.hour] += sitting
            tilt_bins[_bin(m.tilt_mean_cdeg / 100, TILT_EDGES_DEG, under=True)] += sitting
            tilt_weighted += m.tilt_mean_cdeg * sitting
    sitting_s = state_totals[vocab.STATE_SITTING]
    worn_s = sum(state_totals) - state_totals[vocab.STATE_UNKNOWN] - state_totals[vocab.STATE_NOT_WORN]

    bouts = bouts_in(store, start_s, end_s)
    bout_bins = [0] * len(BOUT_EDGES_MIN)
    for b in bouts:
        bout_bins[_bin(b.duration_s / 60, BOUT_EDGES_MIN, under=False)] += 1
    long_bouts = [b for b in bouts if b.duration_s > LONG_BOUT_S]
    bout_time = sum(b.duration_s for b in bouts)

    taken_events = store.events(start_s, end_s, kinds=(vocab.EVENT_BREAK_TAKEN,))
    routine_stats: dict[str, list[int]] = {}
    for e in taken_events:
        name = vocab.routine_name(e.a)
        stats = routine_stats.setdefault(name, [0, 0])
        stats[0] += 1
        stats[1] += e.b
    prompted, snoozed, skipped = _prompt_outcomes(store, start_s, end_s)

    prompts_by_day: Counter[date] = Counter()
    taken_by_day: Counter[date] = Counter()
    for e in store.events(start_s, end_s, kinds=(vocab.EVENT_PROMPT,)):
        prompts_by_day[datetime.fromtimestamp(e.t_s, tz).date()] += 1
    for e in taken_events:
        taken_by_day[datetime.fromtimestamp(e.t_s, tz).date()] += 1
    bouts_by_day: Counter[date] = Counter()
    long_by_day: Counter[date] = Counter()
    for b in bouts:
        d = datetime.fromtimestamp(b.start_s, tz).date()
        bouts_by_day[d] += 1
        if b.duration_s > LONG_BOUT_S:
            long_by_day[d] += 1
    days = []
    d = first_day
    while d <= last_day:
        days.append(DaySummary(d, per_day_sitting[d], per_day_worn[d], bouts_by_day[d], long_by_day[d],
                               prompts_by_day[d], taken_by_day[d]))
        d += timedelta(days=1)

    return Report(
        first_day=first_day,
        last_day=last_day,
        start_s=start_s,
        end_s=end_s,
        state_s={name: state_totals[i] for i, name in enumerate(vocab.STATES)},
        sitting_s=sitting_s,
        worn_s=worn_s,
        bouts=bouts,
        bout_histogram=list(zip(_label_bins(BOUT_EDGES_MIN, " min", under=False), bout_bins, strict=True)),
        long_bouts=len(long_bouts),
        long_bout_share=len(long_bouts) / len(bouts) if bouts else 0.0,
        long_bout_time_share=sum(b.duration_s for b in long_bouts) / bout_time if bout_time else 0.0,
        prompted=prompted,
        taken=len(taken_events),
        snoozed=snoozed,
        skipped=skipped,
        routines={name: (v[0], v[1]) for name, v in sorted(routine_stats.items())},
        tilt_histogram=list(zip(_label_bins(TILT_EDGES_DEG, "°", under=True), tilt_bins, strict=True)),
        seated_tilt_mean_deg=tilt_weighted / sitting_s / 100 if sitting_s else None,
        transitions=transitions,
        transitions_per_hour=transitions / (worn_s / 3600) if worn_s else 0.0,
        sitting_by_hour_s=by_hour,
        days=days,
    )


def day(store: Store, when: date, tz: tzinfo | None) -> Report:
    return compute(store, when, when, tz)


def week(store: Store, last_day: date, tz: tzinfo | None) -> Report:
    """The seven days ending with last_day."""
    return compute(store, last_day - timedelta(days=6), last_day, tz)
