"""Turn a lumbo-imu/1 recording into the frames an emulated IMU chip replays (host side, numpy).

The emulated chips run under MicroPython as well as CPython, so they cannot read CSV through numpy; they
read a small binary file instead (format in host/lumbo/emu/upy/chips/frames.py): acceleration in micro-g
and angular rate in millidegrees per second, int32, at one fixed rate. Quantising to those units loses
at most half a micro-g and half a millidegree per second, far below the finest count of any supported
chip (61 micro-g, 4.375 mdps), so a chip reading the frames is within one of its counts of the recording.

    lumbo.emu.imu_frames.write_frames(path, lumbo.recording.read(csv), rate_hz=52)

With rate_hz the recording is resampled (linear interpolation on its timestamps) to the chip's output
rate, so a chip that samples at 52 Hz replays a 50 Hz recording at the right speed; without it the
recording's own samples are written at its nominal rate.
"""

import struct
from pathlib import Path

import numpy as np

from lumbo.recording import Recording

MAGIC = b"LUMBOFR1"
HEADER = struct.Struct("<8sIIQ")
UG_PER_G = 1_000_000
MDPS_PER_DPS = 1_000
_INT32_MAX = 2**31 - 1


class FramesError(ValueError):
    """A recording that cannot become frames, or a file that is not a frames file."""


def frames_from_recording(rec: Recording, rate_hz: float | None = None) -> tuple[int, np.ndarray]:
    """(rate in mHz, int32 array of shape (n, 6): ax, ay, az in ug, gx, gy, gz in mdps)."""
    if len(rec) == 0:
        raise FramesError(f"recording {rec.name or '(unnamed)'} has no samples")
    values = np.column_stack([rec.accel_g * UG_PER_G, rec.gyro_dps * MDPS_PER_DPS])
    if rate_hz is None:
        rate = rec.rate_hz
    else:
        if not rate_hz > 0:
            raise FramesError(f"the frame rate must be positive, got {rate_hz}")
        rate = float(rate_hz)
        t = rec.t_s - rec.t_s[0]
        grid = np.arange(0.0, t[-1] + 0.5 / rate, 1.0 / rate)
        values = np.column_stack([np.interp(grid, t, values[:, i]) for i in range(6)])
    rounded = np.rint(values)
    if np.abs(rounded).max() > _INT32_MAX:
        raise FramesError(f"recording {rec.name}: a value is too large for a frame (over 2147 g or 2.1e6 dps)")
    return round(rate * 1000), rounded.astype(np.int32)


def write_frames(path: Path | str, rec: Recording, rate_hz: float | None = None) -> Path:
    """Write the recording's frames; returns the path written."""
    rate_mhz, frames = frames_from_recording(rec, rate_hz)
    return write_frame_array(path, rate_mhz, frames)


def write_frame_array(path: Path | str, rate_mhz: int, frames: np.ndarray) -> Path:
    path = Path(path)
    frames = np.asarray(frames)
    if frames.ndim != 2 or frames.shape[1] != 6 or len(frames) == 0:
        raise FramesError(f"frames must be a non-empty (n, 6) array, got shape {frames.shape}")
    if rate_mhz <= 0:
        raise FramesError(f"the frame rate must be positive, got {rate_mhz} mHz")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        out.write(HEADER.pack(MAGIC, rate_mhz, len(frames), 0))
        out.write(frames.astype("<i4").tobytes())
    return path


def read_frames(path: Path | str) -> tuple[int, np.ndarray]:
    """(rate in mHz, int32 array (n, 6)) from a frames file."""
    data = Path(path).read_bytes()
    if len(data) < HEADER.size:
        raise FramesError(f"{path} is too short to be a frames file")
    magic, rate_mhz, count, _ = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise FramesError(f"{path} is not a lumbo frames file (it does not start with {MAGIC!r})")
    body = np.frombuffer(data, dtype="<i4", offset=HEADER.size)
    if len(body) != 6 * count:
        raise FramesError(f"{path} says it holds {count} frames but has room for {len(body) / 6:g}")
    return rate_mhz, body.reshape(count, 6).astype(np.int32)
