"""Which `lumbo run` holds the device: a lock file beside the log, held while `lumbo run` runs.

A device takes one connection per computer, so the commands that connect for a moment (status --live,
calibrate, config, record, pair) check it first and say what to do instead of failing on the radio; a
second `lumbo run` on the same log is refused. An advisory lock (flock) is released by the system when the
process ends, however it ends, so a crash never leaves a stale lock behind.
"""

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; the lock is then only a note, never held
    fcntl = None  # type: ignore[assignment]


class RunLock:
    def __init__(self, db_path: Path) -> None:
        self.path = Path(db_path).with_name(Path(db_path).name + ".run.lock")
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock; False if another process holds it."""
        if fcntl is None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None and fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def held_elsewhere(self) -> bool:
        """True while another process (a running `lumbo run`) holds the lock."""
        if fcntl is None or not self.path.exists() or self._fd is not None:
            return False
        if self.acquire():
            self.release()
            return False
        return True

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
