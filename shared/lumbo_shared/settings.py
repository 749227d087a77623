"""The wearer's settings: one table that the device and the host both validate against.

Each row: name, default, smallest, largest, unit. Every value is an integer in the unit its name ends
with, so the device keeps them without floats and the wire carries them as they are.
"""

SETTINGS = (
    # Sitting-bout timer. Under 30 min is the common advice; watches prompt at 50-60 min.
    ("sit_limit_s", 1800, 300, 14400, "s"),
    ("reprompt_s", 600, 60, 3600, "s"),
    # A stand shorter than this does not end a sitting bout.
    ("break_min_s", 60, 10, 900, "s"),
    ("snooze_s", 600, 60, 7200, "s"),
    # Quiet hours, minutes after local midnight; equal start and end means no quiet hours.
    ("quiet_start_min", 0, 0, 1439, "min"),
    ("quiet_end_min", 0, 0, 1439, "min"),
    # No motion for this long: the device counts as not worn and sleeps.
    ("not_worn_after_s", 600, 60, 3600, "s"),
    ("imu_rate_hz", 50, 25, 200, "Hz"),
    ("haptic", 1, 0, 1, "on/off"),
)

_INDEX = {}
for _i, _row in enumerate(SETTINGS):
    _INDEX[_row[0]] = _i


class SettingError(ValueError):
    """A setting that does not exist or a value outside its range."""


def names():
    return [row[0] for row in SETTINGS]


def spec(name):
    """(name, default, smallest, largest, unit) of one setting."""
    i = _INDEX.get(name)
    if i is None:
        raise SettingError("unknown setting '%s'; known: %s" % (name, ", ".join(names())))
    return SETTINGS[i]


def defaults():
    return {row[0]: row[1] for row in SETTINGS}


def validate(name, value):
    """Return value if it is allowed for name; raise SettingError saying what is allowed otherwise."""
    _, _, low, high, unit = spec(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingError("%s must be a whole number of %s, not %r" % (name, unit, value))
    if value < low or value > high:
        raise SettingError("%s=%d is out of range: choose %d to %d %s" % (name, value, low, high, unit))
    return value


def validate_all(values):
    """Check a whole set of settings: every name known, every value in range, and the pairs consistent."""
    for name in values:
        validate(name, values[name])
    merged = defaults()
    merged.update(values)
    if merged["reprompt_s"] > merged["sit_limit_s"]:
        raise SettingError(
            "reprompt_s=%d is longer than sit_limit_s=%d: a reminder must come at least as often as the first"
            % (merged["reprompt_s"], merged["sit_limit_s"])
        )
    return merged
