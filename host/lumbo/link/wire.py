"""Between the wire protocol (lumbo_shared.protocol) and the host's own types: decoded items become store
records and status snapshots; commands become payloads."""

from typing import NamedTuple

from lumbo.shared import codec, protocol
from lumbo.store import Event, Minute


class Status(NamedTuple):
    state: int
    tilt_cdeg: int
    bout_s: int
    battery_pct: int | None
    flags: int
    head_seq: int
    t_s: int

    @property
    def prompt_active(self) -> bool:
        return bool(self.flags & protocol.STATUS_FLAG_PROMPT)

    @property
    def clock_set(self) -> bool:
        return bool(self.flags & protocol.STATUS_FLAG_CLOCK_SET)

    @property
    def calibrated(self) -> bool:
        return bool(self.flags & protocol.STATUS_FLAG_CALIBRATED)


class Gap(NamedTuple):
    first_seq: int
    last_seq: int
    reason: str


class SyncEnd(NamedTuple):
    next_seq: int
    oldest_seq: int
    lost: int
    overwritten: int
    corrupt: int
    log_id: int | None  # drawn when the device's log was created; a new one means its sequence numbers restarted


def status(item: codec.Item) -> Status:
    f = item.fields
    battery = None if f["battery_pct"] == 255 else f["battery_pct"]
    return Status(f["state"], f["tilt_cdeg"], f["bout_s"], battery, f["flags"], f["head_seq"], f["t_s"])


def event(item: codec.Item) -> Event:
    f = item.fields
    return Event(f["seq"], f["t_s"], f["kind"], f["a"], f["b"])


def minute(item: codec.Item) -> Minute:
    f = item.fields
    return Minute(f["seq"], f["t_s"], tuple(f["seconds_per_state"]), f["tilt_mean_cdeg"], f["tilt_min_cdeg"],
                  f["tilt_max_cdeg"], f["transitions"])


def gap(item: codec.Item) -> Gap:
    f = item.fields
    reason = "overwritten on the device" if f["reason"] == protocol.GAP_OVERWRITTEN else "damaged on the device"
    return Gap(f["first_seq"], f["first_seq"] + f["count"] - 1, reason)


def sync_end(item: codec.Item) -> SyncEnd:
    f = item.fields
    return SyncEnd(f["next_seq"], f["oldest_seq"], f["lost"], f["overwritten"], f["corrupt"], f.get("log_id"))


def sync_start(host_id: int, from_seq: int) -> bytes:
    return codec.encode([("sync_start", {"host_id": host_id, "from_seq": from_seq})])


def sync_ack(host_id: int, acked_seq: int) -> bytes:
    return codec.encode([("sync_ack", {"host_id": host_id, "acked_seq": acked_seq})])


def set_time(epoch_s: int, utc_offset_min: int) -> bytes:
    return codec.encode([("set_time", {"epoch_s": epoch_s, "utc_offset_min": utc_offset_min})])


def snooze(duration_s: int) -> bytes:
    return codec.encode([("snooze", {"duration_s": duration_s})])


def calibrate() -> bytes:
    return codec.encode([("calibrate", {})])


def raw(start: bool) -> bytes:
    return codec.encode([("raw_start" if start else "raw_stop", {})])


def open_pairing(window_s: int) -> bytes:
    return codec.encode([("open_pairing", {"window_s": window_s})])


def settings(values: dict[str, int]) -> bytes:
    items = [("setting", {"setting_id": protocol.setting_id(name), "value": value})
             for name, value in sorted(values.items())]
    return codec.encode(items)


def result_name(status_code: int) -> str:
    return codec.result_name(status_code)
