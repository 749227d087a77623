"""The words both sides use: postures, event kinds and routines, each a small integer on the device and on
the wire. Numbers are never reused: a retired entry keeps its number and is marked retired."""

from micropython import const

# Postures, decided once a second.
STATE_UNKNOWN = const(0)
STATE_SITTING = const(1)
STATE_STANDING = const(2)
STATE_WALKING = const(3)
STATE_LYING = const(4)
STATE_NOT_WORN = const(5)
STATES = ("unknown", "sitting", "standing", "walking", "lying", "not_worn")

# Events. Transitions first, then the bout timer's, then the device's own.
EVENT_STAND_TO_SIT = const(1)
EVENT_SIT_TO_STAND = const(2)
EVENT_LIE_DOWN = const(3)
EVENT_GET_UP = const(4)
EVENT_WALK_START = const(5)
EVENT_WALK_STOP = const(6)
EVENT_BOUT_START = const(16)
EVENT_BOUT_END = const(17)
EVENT_PROMPT = const(18)
EVENT_SNOOZE = const(19)
EVENT_BREAK_TAKEN = const(20)
EVENT_PROMPT_SKIPPED = const(21)
EVENT_NOT_WORN = const(32)
EVENT_WORN = const(33)
EVENT_CALIBRATED = const(34)
EVENT_SETTINGS_CHANGED = const(35)
EVENT_BOOT = const(36)
EVENT_LOG_LOSS = const(37)
EVENT_SENSOR_FAULT = const(38)
EVENT_CLOCK_SET = const(39)

EVENTS = {
    EVENT_STAND_TO_SIT: "stand_to_sit",
    EVENT_SIT_TO_STAND: "sit_to_stand",
    EVENT_LIE_DOWN: "lie_down",
    EVENT_GET_UP: "get_up",
    EVENT_WALK_START: "walk_start",
    EVENT_WALK_STOP: "walk_stop",
    EVENT_BOUT_START: "bout_start",
    EVENT_BOUT_END: "bout_end",
    EVENT_PROMPT: "prompt",
    EVENT_SNOOZE: "snooze",
    EVENT_BREAK_TAKEN: "break_taken",
    EVENT_PROMPT_SKIPPED: "prompt_skipped",
    EVENT_NOT_WORN: "not_worn",
    EVENT_WORN: "worn",
    EVENT_CALIBRATED: "calibrated",
    EVENT_SETTINGS_CHANGED: "settings_changed",
    EVENT_BOOT: "boot",
    EVENT_LOG_LOSS: "log_loss",
    EVENT_SENSOR_FAULT: "sensor_fault",
    EVENT_CLOCK_SET: "clock_set",
}

# Break routines (the first three are the ones the product offers first; see the host's routine cards).
ROUTINE_NONE = const(0)
ROUTINE_EXTENSION = const(1)
ROUTINE_PELVIC_TILTS = const(2)
ROUTINE_HIP_FLEXOR_STRETCH = const(3)
ROUTINE_HAMSTRING_STRETCH = const(4)
ROUTINE_CHILDS_POSE = const(5)
ROUTINE_GLUTE_STRETCH = const(6)
ROUTINE_FOAM_ROLL = const(7)
ROUTINE_NERVE_FLOSSING = const(8)
ROUTINE_QL_STRETCH = const(9)
ROUTINE_WALK = const(10)
ROUTINES = (
    "none",
    "extension",
    "pelvic_tilts",
    "hip_flexor_stretch",
    "hamstring_stretch",
    "childs_pose",
    "glute_stretch",
    "foam_roll",
    "nerve_flossing",
    "ql_stretch",
    "walk",
)


def state_name(code):
    if 0 <= code < len(STATES):
        return STATES[code]
    return "state_%d" % code


def event_name(code):
    name = EVENTS.get(code)
    return name if name is not None else "event_%d" % code


def routine_name(code):
    if 0 <= code < len(ROUTINES):
        return ROUTINES[code]
    return "routine_%d" % code
