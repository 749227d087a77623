"""The scenario text format: one activity a line, read top to bottom.

    # a morning
    wearer sit_tilt_deg=15 compliance=0.3
    09:00 calibrate 10s
    sit 45m slouch=0.6
    stand 2m
    routine extension 10
    walk 3m
    stairs up 30s
    10:00 sit              # lasts until the next timed line
    10:40 off 20m          # sensor taken off and left on the desk
    lie back 5m
    bend 3 hold=2s
    squat 1 hold=5s

A line is `[HH:MM[:SS]] ACTIVITY [VARIANT] [DURATION | COUNT] [key=value ...]`. Durations are written
`45m`, `30s`, `1h30m`, `1.5h`. A line's duration includes the movement into it (sitting down, say). A
line with a time of day starts then; a line without a duration lasts until the next timed line. `#`
starts a comment. `wearer key=value ...` sets the person (see lumbo.sim.wearer).
"""

import re
from dataclasses import dataclass, field


class ScenarioError(ValueError):
    """A scenario that cannot be read; the message names the line and what to write instead."""


@dataclass(frozen=True)
class KindSpec:
    timed: bool  # True: takes a duration; False: takes a count of repetitions
    variants: tuple[str, ...] = ()
    default_variant: str = ""
    default_reps: int = 1
    # key -> (smallest, largest) for numbers, or None for a duration value
    keys: dict[str, tuple[float, float] | None] = field(default_factory=dict)


KINDS = {
    "stand": KindSpec(timed=True),
    "calibrate": KindSpec(timed=True),
    "sit": KindSpec(timed=True, keys={"slouch": (0.0, 1.0), "shifts": (0.0, 60.0), "fidgets": (0.0, 60.0)}),
    "walk": KindSpec(timed=True, keys={"cadence": (1.2, 2.4), "turns": (0.0, 12.0)}),
    "stairs": KindSpec(timed=True, variants=("up", "down"), default_variant="up"),
    "lie": KindSpec(timed=True, variants=("back", "left", "right", "front"), default_variant="back"),
    "bend": KindSpec(timed=False, keys={"hold": None}),
    "squat": KindSpec(timed=False, keys={"hold": None}),
    "routine": KindSpec(timed=False, variants=("extension", "pelvic_tilts", "hip_flexor")),
    "off": KindSpec(timed=True),
}
ALIASES = {
    "standing": "stand", "sitting": "sit", "walking": "walk", "lying": "lie", "not_worn": "off",
    "pelvic-tilts": "pelvic_tilts", "tilts": "pelvic_tilts", "hip-flexor": "hip_flexor",
    "hip_flexor_stretch": "hip_flexor",
}
# Repetitions when a routine line gives no count (ROUTINES.md: build up to about 10 extensions; hip flexor
# stretch 3 x 30 s; pelvic tilts: several slow reps).
ROUTINE_REPS = {"extension": 10, "pelvic_tilts": 8, "hip_flexor": 3}

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass(frozen=True)
class Step:
    kind: str
    variant: str = ""
    duration_s: float | None = None
    reps: int | None = None
    params: dict[str, float | str] = field(default_factory=dict)
    clock_s: float | None = None  # time of day the line starts at, in seconds after midnight
    line: int = 0
    cause: str = ""  # why the step happens, when a generator knows (e.g. "prompt")


@dataclass(frozen=True)
class Scenario:
    steps: tuple[Step, ...]
    wearer: dict[str, float] = field(default_factory=dict)


def parse_duration(text: str) -> float | None:
    """Seconds in a duration like 45m, 30s, 1h30m, 1.5h; None if the text is not a duration."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600.0 + minutes * 60.0 + seconds


def parse_clock(text: str) -> float | None:
    """Seconds after midnight for HH:MM or HH:MM:SS; None if the text is not a time of day."""
    match = _CLOCK.match(text)
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    seconds = int(match.group(3) or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return hours * 3600.0 + minutes * 60.0 + seconds


def format_clock(seconds: float) -> str:
    seconds = round(seconds) % 86400
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def parse(text: str) -> Scenario:
    steps: list[Step] = []
    wearer: dict[str, float] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        tokens = raw.split("#", 1)[0].split()
        if not tokens:
            continue
        if tokens[0] == "wearer":
            wearer.update(_parse_wearer(tokens[1:], number))
            continue
        steps.append(_parse_step(tokens, number))
    if not steps:
        raise ScenarioError("the scenario has no activities; write one a line, e.g. 'sit 45m'")
    return Scenario(steps=tuple(steps), wearer=wearer)


def _parse_wearer(tokens: list[str], number: int) -> dict[str, float]:
    values = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep:
            raise ScenarioError(f"line {number}: write wearer settings as key=value, got {token!r}")
        try:
            values[key] = float(value)
        except ValueError:
            raise ScenarioError(f"line {number}: wearer {key} must be a number, got {value!r}") from None
    return values


def _parse_step(tokens: list[str], number: int) -> Step:
    clock_s = parse_clock(tokens[0])
    if clock_s is not None:
        tokens = tokens[1:]
        if not tokens:
            raise ScenarioError(f"line {number}: a time of day must be followed by an activity")
    word = ALIASES.get(tokens[0], tokens[0])
    spec = KINDS.get(word)
    if spec is None:
        raise ScenarioError(f"line {number}: unknown activity {tokens[0]!r}; known: {', '.join(KINDS)}")
    variant = ""
    duration_s: float | None = None
    reps: int | None = None
    params: dict[str, float | str] = {}
    for token in tokens[1:]:
        if "=" in token:
            key, _, value = token.partition("=")
            params[key] = _parse_param(word, spec, key, value, number)
            continue
        name = ALIASES.get(token, token)
        if name in spec.variants:
            if variant:
                raise ScenarioError(f"line {number}: {word} given two variants ({variant}, {name})")
            variant = name
        elif token.isdigit() and not spec.timed:
            reps = int(token)
            if not 1 <= reps <= 100:
                raise ScenarioError(f"line {number}: {word} count must be 1 to 100, got {reps}")
        elif (seconds := parse_duration(token)) is not None and spec.timed:
            if seconds <= 0:
                raise ScenarioError(f"line {number}: a duration must be longer than zero")
            duration_s = seconds
        else:
            raise ScenarioError(f"line {number}: {token!r} is not understood after {word}; {_usage(word, spec)}")
    if spec.variants and not variant:
        if not spec.default_variant:
            raise ScenarioError(f"line {number}: {word} needs one of {', '.join(spec.variants)}")
        variant = spec.default_variant
    if not spec.timed and reps is None:
        reps = ROUTINE_REPS.get(variant, spec.default_reps)
    return Step(kind=word, variant=variant, duration_s=duration_s, reps=reps, params=params, clock_s=clock_s,
                line=number)


def _parse_param(kind: str, spec: KindSpec, key: str, value: str, number: int) -> float:
    if key not in spec.keys:
        known = ", ".join(spec.keys) or "none"
        raise ScenarioError(f"line {number}: {kind} has no setting {key!r} (settings: {known})")
    bounds = spec.keys[key]
    if bounds is None:
        seconds = parse_duration(value)
        if seconds is None or seconds <= 0:
            raise ScenarioError(f"line {number}: {key} must be a duration such as 2s, got {value!r}")
        return seconds
    try:
        number_value = float(value)
    except ValueError:
        raise ScenarioError(f"line {number}: {key} must be a number, got {value!r}") from None
    low, high = bounds
    if not low <= number_value <= high:
        raise ScenarioError(f"line {number}: {key}={value} is outside {low:g}..{high:g}")
    return number_value


def _usage(kind: str, spec: KindSpec) -> str:
    parts = [kind]
    if spec.variants:
        parts.append("|".join(spec.variants))
    parts.append("DURATION (e.g. 45m)" if spec.timed else "COUNT")
    parts += [f"{key}=..." for key in spec.keys]
    return "write: " + " ".join(parts)
