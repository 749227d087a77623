"""How the board sits on the low back: the sensor-to-pelvis rotation.

Nominal: the board flat on the back in a belt clip, its x axis up, y to the wearer's left and z pointing
backwards out of the body; each wearer's lumbar curve and belt tilt it by a few degrees more. Other
choices: upside-down (x down), sideways (x to the wearer's left), random (any orientation at all), or
three angles in degrees ROLL,PITCH,YAW applied to the nominal mounting (intrinsic z-y-x about the board's
own axes).
"""

import numpy as np

from lumbo.sim import rotations as rot

NAMES = ("nominal", "upside-down", "sideways", "random")
NOMINAL = rot.about_axis(1, -np.pi / 2)


class MountingError(ValueError):
    pass


def resolve(text: str, rng: np.random.Generator) -> np.ndarray:
    """The sensor-to-pelvis quaternion for a mounting description."""
    text = text.strip().lower()
    if text == "random":
        return rot.random_rotation(rng)
    # The wearer's lumbar curve and the belt tilt the clip: mostly about the left-right axis.
    lean = rot.from_euler_deg(rng.normal(0, 3.0), rng.normal(0, 8.0), rng.normal(0, 3.0))
    if text == "nominal":
        return rot.multiply(NOMINAL, lean)
    if text == "upside-down":
        return rot.multiply(rot.multiply(NOMINAL, rot.about_axis(2, np.pi)), lean)
    if text == "sideways":
        return rot.multiply(rot.multiply(NOMINAL, rot.about_axis(2, np.pi / 2)), lean)
    parts = text.split(",")
    try:
        roll, pitch, yaw = (float(part) for part in parts)
    except ValueError:
        raise MountingError(
            f"mounting {text!r} not understood: use one of {', '.join(NAMES)}, or ROLL,PITCH,YAW in degrees"
        ) from None
    return rot.multiply(NOMINAL, rot.from_euler_deg(roll, pitch, yaw))
