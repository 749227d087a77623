"""The simulated person: body sizes, habits and movement style, fixed for a day.

Every field names its unit. `draw(rng)` makes a plausible person; `Wearer()` is a typical one; a scenario's
`wearer key=value` line overrides fields, each checked against the range a real person could have.
"""

from dataclasses import dataclass, fields, replace

import numpy as np

# name: (smallest, largest) a person could plausibly have; values outside are refused.
RANGES = {
    "stand_pelvis_height_m": (0.70, 1.25),
    "seat_pelvis_height_m": (0.30, 0.80),
    "sit_tilt_deg": (0.0, 35.0),
    "slouch_extra_deg": (0.0, 25.0),
    "slouch_habit": (0.0, 1.0),
    "sit_lean_deg": (5.0, 50.0),
    "sit_stand_s": (1.0, 5.0),
    "cadence_steps_per_s": (1.2, 2.4),
    "step_length_m": (0.40, 0.95),
    "walk_bounce_m": (0.008, 0.05),
    "heel_strike_g": (0.0, 1.5),
    "pelvic_obliquity_deg": (0.0, 12.0),
    "pelvic_rotation_deg": (0.0, 15.0),
    "pelvic_tilt_gait_deg": (0.0, 8.0),
    "walk_surge_mps": (0.0, 0.5),
    "extension_range_deg": (5.0, 40.0),
    "pelvic_tilt_back_deg": (3.0, 25.0),
    "pelvic_tilt_forward_deg": (3.0, 20.0),
    "bend_range_deg": (15.0, 80.0),
    "restlessness": (0.2, 4.0),
    "micro_motion": (0.2, 4.0),
    "breath_rate_hz": (0.1, 0.6),
    "compliance": (0.0, 1.0),
    "clip_play_deg": (0.0, 6.0),
}


class WearerError(ValueError):
    """A wearer setting that does not exist or lies outside what a person could have."""


@dataclass(frozen=True)
class Wearer:
    # Heights of the hip joints above the floor.
    stand_pelvis_height_m: float = 0.97
    seat_pelvis_height_m: float = 0.52
    # Sitting tilts the pelvis backwards relative to standing: by sit_tilt_deg sitting upright, and by up to
    # slouch_extra_deg more when fully slouched (population figures: about 13-18 degrees in all).
    sit_tilt_deg: float = 12.0
    slouch_extra_deg: float = 10.0
    slouch_habit: float = 0.4  # the person's usual slouch, 0 (upright) to 1 (fully slouched)
    # Forward trunk lean at the low back while sitting down or standing up (about 20-40 degrees, 1-3 s).
    sit_lean_deg: float = 30.0
    sit_stand_s: float = 2.6
    # Gait: about 1.8 steps/s; the pelvis rises and falls a couple of centimetres each step.
    cadence_steps_per_s: float = 1.82
    step_length_m: float = 0.70
    walk_bounce_m: float = 0.019
    heel_strike_g: float = 0.6
    # Pelvic motion in gait: obliquity and rotation once a stride, tilt once a step (amplitudes), and the
    # forward surge of speed within each step.
    pelvic_obliquity_deg: float = 4.5
    pelvic_rotation_deg: float = 6.0
    pelvic_tilt_gait_deg: float = 2.0
    walk_surge_mps: float = 0.18
    # Ranges the person reaches in the break routines and when bending.
    extension_range_deg: float = 20.0
    pelvic_tilt_back_deg: float = 11.0
    pelvic_tilt_forward_deg: float = 9.0
    bend_range_deg: float = 45.0
    # Fidgets and posture shifts scale with restlessness (1: about 9 shifts and 13 fidgets per 15 min).
    restlessness: float = 1.0
    # Scales the small involuntary motion while still (postural sway, heartbeat, tremor).
    micro_motion: float = 1.0
    breath_rate_hz: float = 0.25
    compliance: float = 0.6  # chance of taking a break when prompted
    clip_play_deg: float = 1.5  # how far the clip rocks on the belt at each heel strike

    def with_overrides(self, values: dict[str, float]) -> "Wearer":
        known = {f.name for f in fields(self)}
        checked = {}
        for name, value in values.items():
            if name not in known:
                raise WearerError(f"unknown wearer setting {name!r}; known: {', '.join(sorted(known))}")
            low, high = RANGES[name]
            if not low <= value <= high:
                raise WearerError(f"wearer {name}={value:g} is outside {low:g}..{high:g}")
            checked[name] = float(value)
        return replace(self, **checked)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def draw(rng: np.random.Generator) -> Wearer:
    """A plausible person. Spreads follow what studies of office workers and gait report."""

    def normal(mean: float, sd: float, name: str) -> float:
        low, high = RANGES[name]
        return float(np.clip(rng.normal(mean, sd), low, high))

    stand = normal(0.97, 0.05, "stand_pelvis_height_m")
    return Wearer(
        stand_pelvis_height_m=stand,
        seat_pelvis_height_m=normal(0.52, 0.03, "seat_pelvis_height_m"),
        sit_tilt_deg=normal(12.0, 5.0, "sit_tilt_deg"),
        slouch_extra_deg=float(rng.uniform(6.0, 14.0)),
        slouch_habit=float(rng.uniform(0.1, 0.8)),
        sit_lean_deg=float(rng.uniform(20.0, 40.0)),
        sit_stand_s=float(rng.uniform(2.0, 3.4)),
        # Natural cadence of adults: about 100-120 steps a minute.
        cadence_steps_per_s=normal(1.83, 0.08, "cadence_steps_per_s"),
        step_length_m=normal(0.70, 0.05, "step_length_m"),
        walk_bounce_m=float(rng.uniform(0.014, 0.024)),
        heel_strike_g=float(rng.uniform(0.35, 0.9)),
        pelvic_obliquity_deg=float(rng.uniform(3.0, 6.0)),
        pelvic_rotation_deg=float(rng.uniform(5.0, 10.0)),
        pelvic_tilt_gait_deg=float(rng.uniform(1.5, 3.0)),
        walk_surge_mps=float(rng.uniform(0.10, 0.22)),
        extension_range_deg=float(rng.uniform(12.0, 30.0)),
        pelvic_tilt_back_deg=float(rng.uniform(8.0, 15.0)),
        pelvic_tilt_forward_deg=float(rng.uniform(6.0, 12.0)),
        bend_range_deg=float(rng.uniform(30.0, 60.0)),
        restlessness=float(np.exp(rng.uniform(np.log(0.6), np.log(1.6)))),
        micro_motion=float(np.exp(rng.uniform(np.log(0.6), np.log(1.7)))),
        breath_rate_hz=float(rng.uniform(0.2, 0.33)),
        compliance=float(rng.uniform(0.2, 0.95)),
        clip_play_deg=float(rng.uniform(0.5, 2.5)),
    )
