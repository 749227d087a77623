"""The IMU: how a real MEMS chip turns true motion into counts, with the errors its datasheet allows.

Each chip's figures are its datasheet's, cited beside them. A simulated day draws one part from those
figures (its offsets, scale errors, clock error: `draw_part`), then `measure` applies them: mounting is
handled by the body model; here come scale and cross-axis errors, offsets that drift with temperature,
gyro bias random walk, white noise at the chip's noise density over the output bandwidth, quantisation to
the LSB and clipping at full scale. The sample clock runs fast or slow by the part's clock error; time
stamps jitter; now and then a sample is lost.

Where a datasheet gives only a limit, a part is drawn with a spread well inside it (stated per field), so
most simulated parts look like typical ones and a few come near the limit.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ImuSpec:
    name: str
    accel_noise_ug_per_rthz: float
    gyro_noise_mdps_per_rthz: float
    gyro_offset_limit_dps: float  # zero-rate output tolerance at 25 C
    gyro_offset_sd_dps: float  # spread of the simulated parts
    gyro_tempco_sd_dps_per_c: float
    accel_offset_limit_mg: float
    accel_offset_sd_mg: float
    accel_tempco_sd_mg_per_c: float
    accel_scale_sd: float  # fraction
    gyro_scale_sd: float
    cross_axis_sd: float
    gyro_g_sensitivity_dps_per_g: float
    clock_error_sd: float  # fraction of the nominal rate
    accel_lsb_per_g: dict[int, float]  # by full scale in g
    gyro_lsb_per_dps: dict[int, float]  # by full scale in dps


# TDK InvenSense MPU-6000/MPU-6050 Product Specification PS-MPU-6000A-00 rev 3.4:
#   6.1 gyroscope: rate noise spectral density 0.005 dps/rtHz; initial ZRO tolerance +-20 dps; ZRO variation
#       over -40..85 C +-20 dps (0.16 dps/C); sensitivity tolerance +-3 %; cross-axis sensitivity +-2 %;
#       linear acceleration sensitivity 0.1 dps/g; 131/65.5/32.8/16.4 LSB/(dps) at +-250/500/1000/2000 dps.
#   6.2 accelerometer: noise density 400 ug/rtHz; zero-g initial tolerance +-50 mg (x, y), +-80 mg (z);
#       zero-g change 0..70 C +-35 mg (x, y) (0.5 mg/C); scale tolerance +-3 %; cross-axis +-2 %;
#       16384/8192/4096/2048 LSB/g at +-2/4/8/16 g.
#   7.15 clocking: the gyro MEMS oscillators (the PLL source a driver should select) vary +-1 % over
#       temperature.
# Simulated parts: gyro offset SD 2 dps per axis (parts typically show 0.5-5 dps, within the +-20 dps
# limit); gyro tempco SD 0.03 dps/C; accel offset SD 25 mg; scale SD 1 %; cross-axis SD 0.7 %; clock SD 0.4 %.
MPU6050 = ImuSpec(
    name="mpu6050",
    accel_noise_ug_per_rthz=400.0,
    gyro_noise_mdps_per_rthz=5.0,
    gyro_offset_limit_dps=20.0,
    gyro_offset_sd_dps=2.0,
    gyro_tempco_sd_dps_per_c=0.03,
    accel_offset_limit_mg=80.0,
    accel_offset_sd_mg=25.0,
    accel_tempco_sd_mg_per_c=0.25,
    accel_scale_sd=0.01,
    gyro_scale_sd=0.01,
    cross_axis_sd=0.007,
    gyro_g_sensitivity_dps_per_g=0.1,
    clock_error_sd=0.004,
    accel_lsb_per_g={2: 16384.0, 4: 8192.0, 8: 4096.0, 16: 2048.0},
    gyro_lsb_per_dps={250: 131.0, 500: 65.5, 1000: 32.8, 2000: 16.4},
)

# STMicroelectronics LSM6DSOX datasheet DS12814, table 2 (mechanical characteristics), high-performance mode:
#   accelerometer noise density 70 ug/rtHz (+-2 g; 75 at +-4 g); zero-g offset +-20 mg; zero-g change with
#   temperature +-0.1 mg/C; sensitivity 0.061/0.122/0.244/0.488 mg/LSB at +-2/4/8/16 g.
#   gyroscope rate noise density 3.8 mdps/rtHz; zero-rate level +-1 dps; zero-rate change with temperature
#   +-0.01 dps/C; sensitivity 4.375/8.75/17.5/35/70 mdps/LSB at +-125/250/500/1000/2000 dps.
# The datasheet gives no sensitivity-tolerance, cross-axis or output-rate-accuracy rows for these parts
# (factory trimmed); the simulated spreads for those (scale 0.5 %, cross-axis 0.5 %, clock 0.5 %) are
# assumptions, chosen as typical of trimmed MEMS parts.
LSM6DSOX = ImuSpec(
    name="lsm6dsox",
    accel_noise_ug_per_rthz=75.0,
    gyro_noise_mdps_per_rthz=3.8,
    gyro_offset_limit_dps=1.0,
    gyro_offset_sd_dps=0.5,
    gyro_tempco_sd_dps_per_c=0.005,
    accel_offset_limit_mg=20.0,
    accel_offset_sd_mg=10.0,
    accel_tempco_sd_mg_per_c=0.05,
    accel_scale_sd=0.005,
    gyro_scale_sd=0.005,
    cross_axis_sd=0.005,
    gyro_g_sensitivity_dps_per_g=0.0,
    clock_error_sd=0.005,
    accel_lsb_per_g={2: 1 / 0.061e-3, 4: 1 / 0.122e-3, 8: 1 / 0.244e-3, 16: 1 / 0.488e-3},
    gyro_lsb_per_dps={125: 1 / 4.375e-3, 250: 1 / 8.75e-3, 500: 1 / 17.5e-3, 1000: 1 / 35e-3, 2000: 1 / 70e-3},
)

IMUS = {spec.name: spec for spec in (MPU6050, LSM6DSOX)}


@dataclass(frozen=True)
class SensorSettings:
    """How the chip is set up and how the recording chain behaves; defaults suit a belt-worn wearable."""

    imu: str = "mpu6050"
    accel_range_g: int = 4
    gyro_range_dps: int = 500
    jitter_ms: float = 0.3  # SD of time-stamp jitter
    drop_probability: float = 1e-4  # chance that any one sample is lost
    ideal: bool = False  # True: no sensor errors at all (exact truth, for checks)


@dataclass(frozen=True)
class Part:
    """One drawn chip: the errors it has."""

    spec: ImuSpec
    accel_lsb_per_g: float
    gyro_lsb_per_dps: float
    accel_range_g: float
    gyro_range_dps: float
    accel_matrix: np.ndarray  # (3, 3) scale and cross-axis
    gyro_matrix: np.ndarray
    accel_offset_g: np.ndarray  # (3,) at the reference temperature
    accel_tempco_g_per_c: np.ndarray
    gyro_offset_dps: np.ndarray
    gyro_tempco_dps_per_c: np.ndarray
    gyro_g_sensitivity: np.ndarray  # (3, 3) dps per g
    clock_error: float  # the chip's rate is nominal * (1 + clock_error)
    ideal: bool

    def as_dict(self) -> dict:
        return {
            "imu": self.spec.name,
            "accel_range_g": self.accel_range_g,
            "gyro_range_dps": self.gyro_range_dps,
            "accel_lsb_per_g": self.accel_lsb_per_g,
            "gyro_lsb_per_dps": self.gyro_lsb_per_dps,
            "accel_offset_mg": (self.accel_offset_g * 1000).round(3).tolist(),
            "gyro_offset_dps_at_25c": self.gyro_offset_dps.round(4).tolist(),
            "gyro_tempco_dps_per_c": self.gyro_tempco_dps_per_c.round(5).tolist(),
            "clock_error_ppm": round(self.clock_error * 1e6, 1),
            "ideal": self.ideal,
        }


REFERENCE_TEMP_C = 25.0


def spec_for(name: str) -> ImuSpec:
    try:
        return IMUS[name]
    except KeyError:
        raise ValueError(f"unknown IMU {name!r}; choose one of: {', '.join(IMUS)}") from None


def draw_part(settings: SensorSettings, rng: np.random.Generator) -> Part:
    spec = spec_for(settings.imu)
    if not 0.0 <= settings.jitter_ms <= 10.0:
        raise ValueError(f"jitter_ms must be 0 to 10 ms, got {settings.jitter_ms:g}")
    if not 0.0 <= settings.drop_probability <= 0.5:
        raise ValueError(f"drop_probability must be 0 to 0.5, got {settings.drop_probability:g}")
    if settings.accel_range_g not in spec.accel_lsb_per_g:
        ranges = ", ".join(str(r) for r in spec.accel_lsb_per_g)
        raise ValueError(f"{spec.name} has no +-{settings.accel_range_g} g range; choose one of {ranges}")
    if settings.gyro_range_dps not in spec.gyro_lsb_per_dps:
        ranges = ", ".join(str(r) for r in spec.gyro_lsb_per_dps)
        raise ValueError(f"{spec.name} has no +-{settings.gyro_range_dps} dps range; choose one of {ranges}")

    def matrix(scale_sd: float) -> np.ndarray:
        m = np.eye(3) + np.diag(rng.normal(0, scale_sd, 3))
        off = rng.normal(0, spec.cross_axis_sd, (3, 3))
        np.fill_diagonal(off, 0.0)
        return m + off

    gyro_offset = np.clip(rng.normal(0, spec.gyro_offset_sd_dps, 3), -spec.gyro_offset_limit_dps,
                          spec.gyro_offset_limit_dps)
    accel_offset = np.clip(rng.normal(0, spec.accel_offset_sd_mg, 3), -spec.accel_offset_limit_mg,
                           spec.accel_offset_limit_mg) / 1000.0
    part = Part(
        spec=spec,
        accel_lsb_per_g=spec.accel_lsb_per_g[settings.accel_range_g],
        gyro_lsb_per_dps=spec.gyro_lsb_per_dps[settings.gyro_range_dps],
        accel_range_g=float(settings.accel_range_g),
        gyro_range_dps=float(settings.gyro_range_dps),
        accel_matrix=matrix(spec.accel_scale_sd),
        gyro_matrix=matrix(spec.gyro_scale_sd),
        accel_offset_g=accel_offset,
        accel_tempco_g_per_c=rng.normal(0, spec.accel_tempco_sd_mg_per_c, 3) / 1000.0,
        gyro_offset_dps=gyro_offset,
        gyro_tempco_dps_per_c=rng.normal(0, spec.gyro_tempco_sd_dps_per_c, 3),
        gyro_g_sensitivity=rng.normal(0, spec.gyro_g_sensitivity_dps_per_g / 2, (3, 3)),
        clock_error=float(np.clip(rng.normal(0, spec.clock_error_sd), -0.02, 0.02)),
        ideal=settings.ideal,
    )
    return part


def noise_sd(part: Part, rate_hz: float) -> tuple[float, float]:
    """Per-sample noise SD (g, dps): noise density over the output bandwidth, taken as rate/2."""
    bandwidth = np.sqrt(rate_hz / 2.0)
    return part.spec.accel_noise_ug_per_rthz * 1e-6 * bandwidth, part.spec.gyro_noise_mdps_per_rthz * 1e-3 * bandwidth


# Blocks of this many samples keep the per-sample arithmetic in the processor's cache.
BLOCK = 1 << 15


def measure(part: Part, accel_g: np.ndarray, gyro_dps: np.ndarray, temp_c: np.ndarray, rate_hz: float,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chip readings (g, dps, on the LSB grid) from true values, all (3, n), and the gyro bias each sample
    carried (dps, (3, n))."""
    n = accel_g.shape[1]
    if part.ideal:
        return accel_g.copy(), gyro_dps.copy(), np.zeros((3, n))
    accel_sd, gyro_sd = noise_sd(part, rate_hz)
    # In-run bias instability: a slow random walk of about 0.004 dps/sqrt(min) (under 0.1 dps a day).
    walk_step = 0.0005 / np.sqrt(rate_hz)
    walked = np.zeros(3)
    accel_out, gyro_out, bias_out = np.empty((3, n)), np.empty((3, n)), np.empty((3, n))
    for start in range(0, n, BLOCK):
        span = slice(start, min(n, start + BLOCK))
        count = span.stop - span.start
        delta_c = temp_c[span] - REFERENCE_TEMP_C
        # Noise is drawn in single precision (twice as quick, and far finer than any LSB).
        walk = walked[:, None] + np.cumsum(rng.standard_normal((3, count), dtype=np.float32), axis=1,
                                           dtype=np.float64) * walk_step
        walked = walk[:, -1]
        bias = part.gyro_offset_dps[:, None] + part.gyro_tempco_dps_per_c[:, None] * delta_c + walk
        true_accel = accel_g[:, span]
        accel = part.accel_matrix @ true_accel
        accel += part.accel_offset_g[:, None] + part.accel_tempco_g_per_c[:, None] * delta_c
        accel += rng.standard_normal((3, count), dtype=np.float32) * accel_sd
        gyro = part.gyro_matrix @ gyro_dps[:, span] + part.gyro_g_sensitivity @ true_accel
        gyro += bias
        gyro += rng.standard_normal((3, count), dtype=np.float32) * gyro_sd
        accel_out[:, span] = _quantise(accel, part.accel_lsb_per_g)
        gyro_out[:, span] = _quantise(gyro, part.gyro_lsb_per_dps)
        bias_out[:, span] = bias
    return accel_out, gyro_out, bias_out


def _quantise(values: np.ndarray, lsb_per_unit: float) -> np.ndarray:
    counts = np.round(values * lsb_per_unit)
    np.clip(counts, -32768, 32767, out=counts)
    return counts / lsb_per_unit


def temperature(worn: np.ndarray, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The chip's temperature (C): it warms towards skin-side temperature while worn and cools to the room
    when off, with the enclosure's time constant of about a quarter of an hour."""
    room = rng.normal(22.0, 1.5)
    body = room + rng.uniform(6.0, 10.0)
    tau_s = rng.uniform(600.0, 1200.0)
    out = np.empty(len(t_s))
    if len(t_s) == 0:
        return out
    edges = np.flatnonzero(np.diff(worn.astype(np.int8))) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [len(t_s)]))
    current = room + 2.0  # the board was in a bag or a pocket
    for a, b in zip(starts, ends, strict=True):
        target = body if worn[a] else room
        elapsed = t_s[a:b] - t_s[a]
        out[a:b] = target + (current - target) * np.exp(-elapsed / tau_s)
        current = out[b - 1]
    return out
