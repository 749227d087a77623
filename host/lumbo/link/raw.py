"""The device's raw sample stream, turned into a `lumbo-imu/1` recording (`lumbo record`).

Each `raw` notification carries int16 samples (ax ay az gx gy gz, board frame, chip counts) with the
device's microsecond clock at the last sample of the burst they came from; a burst too long for one
notification is split, each part with the same end time. Sample times are rebuilt from those end times:
the samples of a burst are spread evenly back from its end over the time since the previous burst's end
(the device's own sample clock), or at the nominal rate when the previous burst is unknown (the first, or
notifications were lost in between: the counter jumped).

MicroPython's ticks_us wraps at 2**30 and the wire field at 2**32; a step is read as the shorter of the
two possible differences, which is right for any gap under about 18 minutes.
"""

from typing import Any

import numpy as np

from lumbo.recording import Recording

_WRAP_32 = 1 << 32
_WRAP_30 = 1 << 30


def step_us(later: int, earlier: int) -> int:
    """Microseconds from earlier to later on a clock that wraps at 2**30 or 2**32."""
    d32 = (later - earlier) % _WRAP_32
    return (later - earlier) % _WRAP_30 if d32 >= _WRAP_30 else d32


class RawRecorder:
    """Collects raw items (lumbo_shared.codec.Item named "raw") as they arrive; recording() builds the file."""

    def __init__(self, rate_hz: float) -> None:
        if rate_hz <= 0:
            raise ValueError(f"the sample rate must be positive, not {rate_hz}")
        self.rate_hz = rate_hz
        self._bursts: list[list[Any]] = []  # [t_end_us, counts (list of int), accel_lsb, gyro_lsb, after_loss]
        self._counter: int | None = None
        self.lost_notifications = 0
        self.notifications = 0

    def feed(self, item: Any) -> None:
        counter = item["counter"]
        lost = 0 if self._counter is None else (counter - self._counter - 1) & 0xFFFF
        self._counter = counter
        self.lost_notifications += lost
        self.notifications += 1
        samples = list(item["tail"])
        if len(samples) % 6:
            return  # not whole samples: the codec checks this already; nothing sensible to keep
        t_end = item["t_end_us"]
        accel, gyro = item["accel_lsb_per_g"], item["gyro_lsb_per_dps"]
        last = self._bursts[-1] if self._bursts else None
        if last is not None and not lost and last[0] == t_end and last[2] == accel and last[3] == gyro:
            last[1].extend(samples)
        else:
            self._bursts.append([t_end, samples, accel, gyro, bool(lost) or last is None])

    @property
    def samples(self) -> int:
        return sum(len(b[1]) for b in self._bursts) // 6

    def recording(self, meta: dict[str, str] | None = None) -> Recording:
        nominal_us = 1e6 / self.rate_hz
        times: list[np.ndarray] = []
        accel: list[np.ndarray] = []
        gyro: list[np.ndarray] = []
        end_abs = 0.0
        previous_end: int | None = None
        for t_end, counts, accel_lsb, gyro_lsb, after_loss in self._bursts:
            n = len(counts) // 6
            if n == 0:
                continue
            if previous_end is None:
                spacing = nominal_us
            else:
                gap = step_us(t_end, previous_end)
                end_abs += gap
                measured = gap / n
                # The device's own spacing, unless notifications went missing or it is implausible.
                spacing = measured if not after_loss and 0.2 * nominal_us < measured < 5 * nominal_us else nominal_us
            previous_end = t_end
            times.append(end_abs - spacing * np.arange(n - 1, -1, -1))
            block = np.asarray(counts, dtype=np.float64).reshape(n, 6)
            accel.append(block[:, 0:3] / accel_lsb)
            gyro.append(block[:, 3:6] / gyro_lsb)
        if not times:
            empty = np.empty((0, 3))
            return Recording(np.empty(0), empty, empty.copy(), dict(meta or {}))
        t_us = np.concatenate(times)
        t_s = (t_us - t_us[0]) / 1e6
        keep = np.concatenate(([True], np.diff(t_s) > 0))  # a clock that stepped back: drop, never reorder
        info = {"rate_hz": f"{self.rate_hz:g}", "lost_notifications": str(self.lost_notifications)}
        info.update(meta or {})
        return Recording(t_s[keep], np.concatenate(accel)[keep], np.concatenate(gyro)[keep], info)
