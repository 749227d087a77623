"""The simulator's activities: a code per sample (the `activity` column), its name, and the standard label
(lumbo-imu/1's label set) it is scored as. Codes are stable: a retired code keeps its number.

An empty label means the time is not scored (the sensor is off the body or being handled).
"""

# code, name, standard label
ACTIVITIES = (
    (0, "not_worn", ""),
    (1, "standing", "standing"),
    (2, "calibration", "standing"),
    (3, "sitting_upright", "sitting"),
    (4, "sitting_slouched", "sitting"),
    (5, "walking", "walking"),
    (6, "stairs_up", "stairs"),
    (7, "stairs_down", "stairs"),
    (8, "lying", "lying"),
    (9, "sit_down", "transition"),
    (10, "stand_up", "transition"),
    (11, "lie_down", "transition"),
    (12, "get_up", "transition"),
    (13, "bending", "standing"),
    (14, "squatting", "standing"),
    (15, "routine_extension", "standing"),
    (16, "routine_pelvic_tilts", "standing"),
    (17, "hip_flexor_stretch", "standing"),
    (18, "kneel", "transition"),
    (19, "take_off", ""),
    (20, "put_on", ""),
    (21, "seated_reach", "sitting"),
)

CODE = {name: code for code, name, _ in ACTIVITIES}
NAME = {code: name for code, name, _ in ACTIVITIES}
LABEL = {code: label for code, _, label in ACTIVITIES}

# Sitting codes: what a sitting bout is made of.
SITTING_CODES = frozenset(code for code, _, label in ACTIVITIES if label == "sitting")
NOT_WORN_CODES = frozenset((CODE["not_worn"], CODE["take_off"], CODE["put_on"]))


def label_of(code: int) -> str:
    return LABEL[int(code)]
