"""A randomised working day at a desk: sitting bouts of minutes to hours, breaks of many kinds, lunch,
and the wearer's answers to break prompts (some take the break, some sit on).

The prompts are the ones an ideal device would raise with the settings' defaults (lumbo_shared.settings):
a bout counts from the first sitting moment, breaks shorter than break_min_s do not end it, the first
prompt comes at sit_limit_s and repeats every reprompt_s. lumbo.sim.truth finds the same prompts from the
rendered day, so the wearer's answers line up with them.
"""

import numpy as np

from lumbo.sim.plan import Plan, Planner
from lumbo.sim.scenario import Step
from lumbo.sim.wearer import Wearer
from lumbo_shared import settings as shared_settings

MINUTE_S = 60.0


class _Bouts:
    """Tracks the current sitting bout as the day is laid out."""

    def __init__(self) -> None:
        defaults = shared_settings.defaults()
        self.limit_s = float(defaults["sit_limit_s"])
        self.reprompt_s = float(defaults["reprompt_s"])
        self.break_min_s = float(defaults["break_min_s"])
        self.bout_start_s: float | None = None
        self.last_end_s = -1e9

    def sit_from(self, start_s: float) -> None:
        if self.bout_start_s is None or start_s - self.last_end_s >= self.break_min_s:
            self.bout_start_s = start_s

    def prompts_within(self, start_s: float, end_s: float) -> list[float]:
        assert self.bout_start_s is not None
        out = []
        when = self.bout_start_s + self.limit_s
        while when < end_s:
            if when >= start_s:
                out.append(when)
            when += self.reprompt_s
        return out

    def sat_until(self, end_s: float) -> None:
        self.last_end_s = end_s


class _Day:
    def __init__(self, wearer: Wearer, rng: np.random.Generator, start_clock_s: float) -> None:
        self.wearer = wearer
        self.rng = rng
        self.planner = Planner(wearer, rng, start_clock_s)
        self.bouts = _Bouts()

    @property
    def t_s(self) -> float:
        return self.planner.t_s

    def add(self, kind: str, duration_s: float | None = None, variant: str = "", reps: int | None = None,
            cause: str = "", **params) -> None:
        self.planner.add(Step(kind=kind, variant=variant, duration_s=duration_s, reps=reps, params=params,
                              cause=cause))

    def minutes(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high)) * MINUTE_S

    def sit(self, duration_s: float) -> bool:
        """Sit for up to duration_s; return True if a prompt ended the bout early."""
        slouch = float(np.clip(self.wearer.slouch_habit + self.rng.normal(0, 0.15), 0.0, 1.0))
        segment = self.planner.add(Step(kind="sit", duration_s=duration_s, params={"slouch": slouch}))[-1]
        self.bouts.sit_from(segment.start_s)
        for number, when in enumerate(self.bouts.prompts_within(segment.start_s, segment.end_s)):
            willing = self.wearer.compliance * (1.0 if number == 0 else 0.8)
            if self.rng.uniform() >= willing:
                continue
            stop = when + self.rng.uniform(15.0, 120.0)
            if stop < segment.end_s - 5.0:
                self.planner.truncate(stop)
                self.bouts.sat_until(stop)
                return True
        self.bouts.sat_until(segment.end_s)
        return False

    def answer_prompt(self) -> None:
        """The break the wearer takes when they answer a prompt: a routine or a short walk."""
        rng = self.rng
        self.add("stand", rng.uniform(5.0, 20.0))
        if rng.uniform() < 0.6:
            routine = str(rng.choice(("extension", "pelvic_tilts", "hip_flexor"), p=(0.4, 0.35, 0.25)))
            reps = {"extension": int(rng.integers(6, 12)), "pelvic_tilts": int(rng.integers(5, 10)),
                    "hip_flexor": 3}[routine]
            self.add("routine", variant=routine, reps=reps, cause="prompt")
            self.add("walk", rng.uniform(20.0, 90.0))
            self.add("stand", rng.uniform(20.0, 60.0))
        else:
            self.add("walk", self.minutes(1.0, 3.0), cause="prompt")
            self.add("stand", self.minutes(0.5, 2.0))
            self.add("walk", self.minutes(0.5, 2.0))

    def natural_break(self) -> None:
        rng = self.rng
        kind = rng.choice(("desk", "walk", "short", "meeting", "off", "routine", "floor"),
                          p=(0.28, 0.30, 0.22, 0.08, 0.04, 0.05, 0.03))
        if kind == "desk":
            self.add("stand", self.minutes(0.5, 2.0))
            if rng.uniform() < 0.4:
                self.add("bend", reps=int(rng.integers(1, 3)))
            if rng.uniform() < 0.2:
                self.add("squat", reps=1)
            self.add("stand", self.minutes(0.5, 3.0))
        elif kind == "walk":
            self.add("walk", self.minutes(0.7, 3.0))
            if rng.uniform() < 0.3:
                self.add("stairs", rng.uniform(15.0, 40.0), variant=str(rng.choice(("up", "down"))))
                self.add("walk", rng.uniform(20.0, 60.0))
            self.add("stand", self.minutes(1.0, 5.0))
            self.add("walk", self.minutes(0.7, 3.0))
        elif kind == "short":
            # Up for a moment (too short to end the bout), then back down.
            self.add("stand", rng.uniform(10.0, 45.0))
        elif kind == "meeting":
            self.add("walk", self.minutes(0.5, 2.0))
            if self.sit(self.minutes(20.0, 60.0)):
                self.answer_prompt()
            self.add("walk", self.minutes(0.5, 2.0))
        elif kind == "off":
            self.add("off", self.minutes(5.0, 30.0))
        elif kind == "routine":
            self.add("routine", variant=str(rng.choice(("extension", "pelvic_tilts", "hip_flexor"))))
            self.add("stand", rng.uniform(20.0, 60.0))
        else:
            # A few minutes of stretching on the floor.
            self.add("lie", self.minutes(1.0, 4.0), variant="back")
            self.add("stand", rng.uniform(20.0, 60.0))

    def lunch(self) -> None:
        rng = self.rng
        self.add("walk", self.minutes(1.5, 3.0))
        if rng.uniform() < 0.4:
            self.add("stairs", rng.uniform(20.0, 40.0), variant="down")
        if rng.uniform() < 0.3:
            self.add("off", self.minutes(30.0, 45.0))
        else:
            self.add("walk", self.minutes(0.5, 1.5))
            if self.sit(self.minutes(20.0, 35.0)):
                self.answer_prompt()
        self.add("walk", self.minutes(1.5, 3.0))
        if rng.uniform() < 0.4:
            self.add("stairs", rng.uniform(20.0, 40.0), variant="up")
            self.add("walk", self.minutes(0.3, 1.0))


def generate(wearer: Wearer, hours: float, rng: np.random.Generator, start_clock_s: float = 9 * 3600.0) -> Plan:
    """A plan at least `hours` long (the recording is cut at exactly that length)."""
    if not hours > 0:
        raise ValueError(f"hours must be more than zero, got {hours}")
    day = _Day(wearer, rng, start_clock_s)
    end_s = hours * 3600.0
    # The wearer clips the sensor on, stands still for the calibration, and walks to the desk.
    day.add("stand", rng.uniform(4.0, 10.0))
    day.add("calibrate", rng.uniform(8.0, 12.0))
    day.add("walk", rng.uniform(15.0, 60.0))
    lunch_s = rng.uniform(3.5, 4.5) * 3600.0 if hours >= 5.0 else None
    while day.t_s < end_s:
        if lunch_s is not None and day.t_s >= lunch_s:
            day.lunch()
            lunch_s = None
            continue
        # Natural sitting bouts: most last 10-40 minutes, some much longer.
        natural_s = float(np.clip(rng.lognormal(np.log(22.0 * MINUTE_S), 0.7), 3 * MINUTE_S, 120 * MINUTE_S))
        if day.sit(natural_s):
            day.answer_prompt()
        else:
            day.natural_break()
    return day.planner.plan()
