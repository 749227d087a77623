"""The body model's state over time: the pelvis's orientation and position, sample by sample.

The pelvis frame: x forward, y to the wearer's left, z up (along the trunk). Its orientation relative to
the east-north-up earth frame is

    R = Rz(psi) . Ry(-theta) . Rx(phi) . Rz(rho)

psi: heading (rad, anticlockwise seen from above); theta: sagittal tilt (rad, positive backwards, as when
slumping or leaning back); phi: lateral tilt (rad, positive towards the wearer's right); rho: twist about
the trunk's own long axis (rad; pelvic rotation in gait, rolling onto a side when lying). Upright standing
is theta = phi = rho = 0. `pos` is the centre between the hip joints, in metres, earth frame.

Activity renderers (lumbo.sim.moves, gait, routines) fill slices of a Canvas one segment after another;
each starts from the State the previous one ended in.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class State:
    """The body at rest between segments."""

    theta: float = 0.0
    phi: float = 0.0
    rho: float = 0.0
    psi: float = 0.0
    x: float = 0.0
    y: float = 0.0
    z: float = 1.0


@dataclass
class OffSpan:
    """The sensor off the body: handled while taken off, still on a desk, handled while put back on."""

    start: int  # sample indices, [start, end)
    end: int
    take_off_s: float
    put_on_s: float
    desk_quat: np.ndarray  # sensor-to-earth orientation on the desk
    desk_offset_m: np.ndarray  # where the desk spot is, relative to the pelvis when it was taken off


@dataclass
class Canvas:
    t_s: np.ndarray
    theta: np.ndarray = field(init=False)
    phi: np.ndarray = field(init=False)
    rho: np.ndarray = field(init=False)
    psi: np.ndarray = field(init=False)
    pos: np.ndarray = field(init=False)  # (3, n) m, component-first like lumbo.sim.rotations
    wobble: np.ndarray = field(init=False)  # (3, n) clip rotation relative to the pelvis, rotation vector, rad
    impact_g: np.ndarray = field(init=False)  # (3, n) short heel-strike pulses, pelvis frame, g
    code: np.ndarray = field(init=False)  # (n,) activity code
    off_spans: list[OffSpan] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.t_s)
        self.theta = np.zeros(n)
        self.phi = np.zeros(n)
        self.rho = np.zeros(n)
        self.psi = np.zeros(n)
        self.pos = np.zeros((3, n))
        self.wobble = np.zeros((3, n))
        self.impact_g = np.zeros((3, n))
        self.code = np.zeros(n, dtype=np.int16)

    def span(self, start_s: float, end_s: float) -> slice:
        i0, i1 = np.searchsorted(self.t_s, (start_s, end_s))
        return slice(int(i0), int(i1))

    def state_before(self, index: int, fallback: State) -> State:
        """The body at the sample before `index` (where the previous segment ended)."""
        if index <= 0:
            return fallback
        i = index - 1
        return State(theta=float(self.theta[i]), phi=float(self.phi[i]), rho=float(self.rho[i]),
                     psi=float(self.psi[i]), x=float(self.pos[0, i]), y=float(self.pos[1, i]),
                     z=float(self.pos[2, i]))


def min_jerk(fraction: np.ndarray) -> np.ndarray:
    """The minimum-jerk profile from 0 to 1: zero speed and acceleration at both ends."""
    f = np.clip(fraction, 0.0, 1.0)
    return f * f * f * (10.0 - 15.0 * f + 6.0 * f * f)


def bump(fraction: np.ndarray, peak: float = 0.5) -> np.ndarray:
    """A smooth 0 -> 1 -> 0 bump over [0, 1] peaking at `peak` (0.4..0.6), flat at both ends."""
    f = np.clip(fraction, 0.0, 1.0)
    skew = np.log(0.5) / np.log(float(np.clip(peak, 0.4, 0.6)))
    u = f**skew
    return 64.0 * (u * (1.0 - u)) ** 3


def keyframes(t_s: np.ndarray, times_s: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Minimum-jerk moves between successive keyframes (times_s ascending, values (k,) or (k, c)).

    Between two keyframes the value moves along a minimum-jerk profile; before the first and after the
    last it holds. Two keyframes with the same value make a hold; equal times make a jump (avoid them).
    """
    times_s = np.asarray(times_s, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if len(times_s) == 1:
        return np.broadcast_to(values[0], (len(t_s), *values.shape[1:])).copy()
    index = np.clip(np.searchsorted(times_s, t_s, side="right") - 1, 0, len(times_s) - 2)
    t0 = times_s[index]
    width = np.maximum(times_s[index + 1] - t0, 1e-9)
    progress = min_jerk((t_s - t0) / width)
    v0 = values[index]
    v1 = values[index + 1]
    if values.ndim == 2:
        progress = progress[:, None]
    return v0 + (v1 - v0) * progress


def poisson_times(rng: np.random.Generator, rate_per_s: float, start_s: float, end_s: float,
                  min_gap_s: float) -> np.ndarray:
    """Event times of a Poisson process over [start_s, end_s), thinned so events are min_gap_s apart."""
    if rate_per_s <= 0 or end_s <= start_s:
        return np.zeros(0)
    count = rng.poisson(rate_per_s * (end_s - start_s))
    times = np.sort(rng.uniform(start_s, end_s, size=count))
    kept: list[float] = []
    for t in times:
        if not kept or t - kept[-1] >= min_gap_s:
            kept.append(float(t))
    return np.asarray(kept)
