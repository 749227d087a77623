"""Which routine a prompt suggests, from what the sensor saw and what the wearer prefers.

The rules, in order of precedence:
1. a long bout spent slumped (pelvis tilted well back) -> standing back extension, which undoes it;
2. a lot of sitting today -> hip flexor stretch, for hips shortened by hours in the chair;
3. otherwise pelvic tilts.
A rule's routine is not repeated twice in a row. When no rule applies, the routines take turns: pelvic
tilts, the wearer's preferred routines, the rest of the core three, and nerve flossing only for a wearer
who reported leg symptoms; the one shown longest ago comes next. Avoided routines never appear.
"""

from typing import NamedTuple

from lumbo import routines
from lumbo.shared import vocab

# A bout counts as long once it has gone half again past the 30-minute advice: the wearer has already
# let one prompt pass.
LONG_BOUT_S = 45 * 60
# Sitting tilts the pelvis back by about 13-18 degrees; more than 20 on average is a slump.
SLUMP_TILT_CDEG = 2000
# Four hours in the chair today: about half a working day, where the hip flexors shorten most.
HEAVY_SITTING_S = 4 * 3600


class Context(NamedTuple):
    bout_s: int  # length of the current sitting bout
    bout_tilt_cdeg: int | None  # mean seated sagittal tilt over the bout (positive = back), None if unknown
    sitting_today_s: int  # sitting since local midnight


class Preferences(NamedTuple):
    prefer: tuple[int, ...] = ()
    avoid: tuple[int, ...] = ()
    leg_symptoms: bool = False


def _allowed(code: int, prefs: Preferences) -> bool:
    r = routines.BY_CODE.get(code)
    if r is None or code in prefs.avoid:
        return False
    return prefs.leg_symptoms or not r.nerve


def _unique(codes: list[int], prefs: Preferences) -> list[int]:
    out: list[int] = []
    for code in codes:
        if code not in out and _allowed(code, prefs):
            out.append(code)
    return out


def sensor_choices(context: Context, prefs: Preferences) -> list[int]:
    """What the sensor's rules ask for now, most pressing first (may be empty)."""
    ranked: list[int] = []
    slumped = context.bout_tilt_cdeg is not None and context.bout_tilt_cdeg >= SLUMP_TILT_CDEG
    if context.bout_s >= LONG_BOUT_S and slumped:
        ranked.append(vocab.ROUTINE_EXTENSION)
    if context.sitting_today_s >= HEAVY_SITTING_S:
        ranked.append(vocab.ROUTINE_HIP_FLEXOR_STRETCH)
    return _unique(ranked, prefs)


def rotation(prefs: Preferences) -> list[int]:
    """The routines taken in turn when no rule asks for one: pelvic tilts first."""
    pool = [vocab.ROUTINE_PELVIC_TILTS, *prefs.prefer, *routines.CORE]
    if prefs.leg_symptoms:
        pool.append(vocab.ROUTINE_NERVE_FLOSSING)
    return _unique(pool, prefs)


def candidates(context: Context, prefs: Preferences) -> list[int]:
    """Every routine that may be suggested now: the sensor's first, then the rotation."""
    return _unique(sensor_choices(context, prefs) + rotation(prefs), prefs)


def choose(context: Context, prefs: Preferences, recent: list[int]) -> int:
    """The routine to suggest; `recent` lists the latest suggestions shown, newest first.

    A rule's routine wins unless it was the one shown last. Otherwise the rotation offers the routine
    shown longest ago (never shown counts as longest; ties go to the earlier one in the rotation).
    """
    last = recent[0] if recent else None
    for code in sensor_choices(context, prefs):
        if code != last:
            return code
    pool = rotation(prefs)
    if not pool:
        # The wearer avoided every routine: a short walk needs no card they refused.
        return vocab.ROUTINE_WALK
    if len(pool) > 1:
        pool = [c for c in pool if c != last]

    def staleness(item: tuple[int, int]) -> tuple[int, int]:
        index, code = item
        age = recent.index(code) if code in recent else len(recent) + 1
        return (age, -index)

    return max(enumerate(pool), key=staleness)[1]


def preferences_from(prefer: list[str], avoid: list[str], leg_symptoms: bool) -> Preferences:
    return Preferences(
        tuple(routines.by_name(n).code for n in prefer),
        tuple(routines.by_name(n).code for n in avoid),
        bool(leg_symptoms),
    )
