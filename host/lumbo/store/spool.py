"""Records the database could not take yet, kept in a plain append-only file beside it.

When the database is locked for too long or damaged, records already acknowledged to the device must
not be lost: they go here (one JSON line per batch, flushed to disk before the call returns) and are
written into the database the next time it accepts them. Replaying twice is harmless because the
database ignores records it already has.
"""

import json
import os
from collections.abc import Iterator
from pathlib import Path

from lumbo.store.records import Event, Minute


class SpoolError(RuntimeError):
    pass


class Spool:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, address: str, events: list[Event], minutes: list[Minute], log_id: int | None = None) -> None:
        """One batch from the device at address; log_id names the device log it came from (None: its
        current one when the batch is written in)."""
        line = json.dumps(
            {
                "device": address,
                "log_id": log_id,
                "events": [list(e) for e in events],
                "minutes": [[m.seq, m.t_s, list(m.seconds_per_state), *m[3:]] for m in minutes],
            },
            separators=(",", ":"),
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def pending(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    def batches(self) -> Iterator[tuple[str, int | None, list[Event], list[Minute]]]:
        """Every complete batch in the file. A torn last line (a crash mid-write) is skipped."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.endswith("\n"):
                    break
                try:
                    item = json.loads(line)
                    events = [Event(*e) for e in item["events"]]
                    minutes = [Minute(m[0], m[1], tuple(m[2]), *m[3:]) for m in item["minutes"]]
                    address = item["device"]
                    log_id = item.get("log_id")
                except (ValueError, KeyError, TypeError) as exc:
                    raise SpoolError(
                        f"line {number} of the spool file {self.path} cannot be read ({exc}); "
                        "move the file aside to go on, it is plain JSON and can be mended by hand"
                    ) from None
                yield address, log_id, events, minutes

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
