"""The log: a SQLite file holding what the device recorded and what the host did with its prompts.

WAL mode, so a report can read while `lumbo run` writes. Records are keyed by (device, seq): the same
record twice is stored once, and the sequence numbers that are missing are reported as gaps for the link
to ask for again. The file and its WAL are readable by the owner only (posture data is health data).

A lock held too long or a damaged file never loses records: they go to a spool file beside the database
and are written in on the next ingest that can reach it. A damaged file is never written over.
"""

import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from lumbo.appdirs import private_dir
from lumbo.store import schema
from lumbo.store.errors import StoreBusy, StoreCorrupt, StoreError, StoreTooNew
from lumbo.store.records import Event, Minute, check_event, check_minute
from lumbo.store.spool import Spool

# SQLite's own wait for a lock, per statement. Short, because the retry loop below adds its backoff.
_BUSY_TIMEOUT_S = 0.5
# Then lumbo tries again after each of these pauses (about 6 s in all), which covers a backup tool or a
# second lumbo reading a large report; after that the records go to the spool.
RETRY_DELAYS_S = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.0)

_EVENT_SQL = "INSERT OR IGNORE INTO events (log, seq, t_s, kind, a, b) VALUES (?, ?, ?, ?, ?, ?)"
_MINUTE_SQL = (
    "INSERT OR IGNORE INTO minutes (log, seq, t_s, unknown_s, sitting_s, standing_s, walking_s, lying_s,"
    " not_worn_s, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class IngestResult(NamedTuple):
    new: int  # records stored now for the first time
    duplicates: int  # records already stored, ignored
    gaps: list[tuple[int, int]]  # inclusive seq ranges still missing, oldest first
    contiguous_seq: int  # every record up to here is stored or known lost: safe to acknowledge
    spooled: int = 0  # records kept in the spool file because the database could not take them
    problem: str = ""  # why they were spooled


# What use_log() found: the log the device reported was already known, was the one the records stored so
# far belong to (their log's id had not been learned yet), or is new (the device's log started again).
LOG_SAME = "same"
LOG_LEARNED = "learned"
LOG_NEW = "new"
# Random host ids are drawn from 1 .. 0xFFFFFFFE: 0 reads as "unset" and 0xFFFFFFFF is the protocol's
# "from this host's cursor".
_HOST_ID_MAX = 0xFFFFFFFE


class LiveStatus(NamedTuple):
    seen_s: float  # when the host received it (host clock)
    state: int
    tilt_cdeg: int
    bout_s: int
    battery_pct: int | None
    flags: int
    head_seq: int


class Device(NamedTuple):
    id: int
    address: str
    name: str
    bonded: bool
    paired_at_s: float | None
    last_seen_s: float | None


def _errorname(exc: sqlite3.Error) -> str:
    return getattr(exc, "sqlite_errorname", "") or ""


def _is_busy(exc: sqlite3.Error) -> bool:
    name = _errorname(exc)
    if name:
        return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
    return "locked" in str(exc) or "busy" in str(exc)


def _is_corrupt(exc: sqlite3.Error) -> bool:
    name = _errorname(exc)
    if name:
        return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    return "malformed" in str(exc) or "not a database" in str(exc)


class Store:
    """One open log database. Not shared between threads; open one per thread or process."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
        busy_timeout_s: float = _BUSY_TIMEOUT_S,
    ) -> None:
        self.path = Path(path)
        self.spool = Spool(self.path.with_name(self.path.name + ".spool.jsonl"))
        self._clock = clock
        self._sleep = sleep
        self._retry_delays_s = tuple(retry_delays_s)
        self._busy_timeout_s = busy_timeout_s
        self._device_ids: dict[str, int] = {}
        self._log_refs: dict[str, int] = {}
        self.conn = self._connect()

    # -- opening -------------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        private_dir(self.path.parent)
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"{self.path} is not a file; give --db a file name")
        # Create the file ourselves so it is owner-only from the first byte; SQLite gives the WAL and
        # shared-memory files the same permissions as the database.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        if self.path.stat().st_mode & 0o077:
            os.chmod(self.path, 0o600)
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None)
        try:
            self._retry(lambda: self._prepare(conn), "open")
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError(f"{self.path}: SQLite refused WAL mode ({mode}); put the database on a local disk")
        # FULL: a commit is on disk before it returns, because the link then acknowledges the records and
        # the device may forget them. One commit per batch keeps the cost of the sync small.
        conn.execute("PRAGMA synchronous = FULL")
        self._migrate(conn)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, applied_at_s REAL NOT NULL, note TEXT NOT NULL)"
            )
            current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
            if current > schema.LATEST_VERSION:
                raise StoreTooNew(
                    f"{self.path} has schema version {current}, newer than this lumbo knows "
                    f"({schema.LATEST_VERSION}); update lumbo, or use another file with --db"
                )
            for version, note, sql in schema.MIGRATIONS:
                if version <= current:
                    continue
                for statement in sql.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, applied_at_s, note) VALUES (?, ?, ?)",
                    (version, self._clock(), note),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        return self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check(self) -> None:
        """Read every page (PRAGMA quick_check); raise StoreCorrupt if anything is damaged."""
        rows = self._retry(lambda: self.conn.execute("PRAGMA quick_check").fetchall(), "check")
        if rows != [("ok",)]:
            raise StoreCorrupt(self._corrupt_message("; ".join(r[0] for r in rows[:3])))

    # -- retries and errors ---------------------------------------------------------------------------

    def _corrupt_message(self, detail: str) -> str:
        return (
            f"the log database {self.path} is damaged ({detail}). lumbo has not changed it and keeps new "
            f"records in {self.spool.path}. Move the damaged file aside (lumbo then starts a new one and "
            f"writes the spooled records into it), or try to rescue it with: sqlite3 {self.path} .recover"
        )

    def _retry(self, action: Callable[[], object], what: str):  # type: ignore[no-untyped-def]
        delays = list(self._retry_delays_s)
        while True:
            try:
                return action()
            except StoreError:
                raise
            except sqlite3.Error as exc:
                if self.conn_in_transaction():
                    self.conn.execute("ROLLBACK")
                    self._device_ids.clear()
                    self._log_refs.clear()
                if _is_busy(exc) and delays:
                    self._sleep(delays.pop(0))
                    continue
                if _is_busy(exc):
                    raise StoreBusy(
                        f"the log database {self.path} stayed locked by another program during {what}; "
                        "close other programs using it (a second `lumbo run`, a backup, an SQLite browser) "
                        "and try again"
                    ) from None
                if _is_corrupt(exc):
                    raise StoreCorrupt(self._corrupt_message(str(exc))) from None
                raise StoreError(f"the log database {self.path} failed during {what}: {exc}") from None

    def conn_in_transaction(self) -> bool:
        conn = getattr(self, "conn", None)
        return bool(conn is not None and conn.in_transaction)

    # -- devices --------------------------------------------------------------------------------------

    def _device_id(self, address: str) -> int:
        cached = self._device_ids.get(address)
        if cached is not None:
            return cached
        row = self.conn.execute("SELECT id FROM devices WHERE address = ?", (address,)).fetchone()
        if row is None:
            cur = self.conn.execute("INSERT INTO devices (address) VALUES (?)", (address,))
            device_id = int(cur.lastrowid or 0)
        else:
            device_id = int(row[0])
        self._device_ids[address] = device_id
        return device_id

    def _log_ref(self, address: str) -> int:
        """The row in `logs` of the device's current log (made, with an unknown log id, if it has none)."""
        cached = self._log_refs.get(address)
        if cached is not None:
            return cached
        device_id = self._device_id(address)
        row = self.conn.execute("SELECT current_log FROM devices WHERE id = ?", (device_id,)).fetchone()
        if row is None or row[0] is None:
            cur = self.conn.execute("INSERT INTO logs (device_id, log_id, first_seen_s) VALUES (?, NULL, ?)",
                                    (device_id, self._clock()))
            ref = int(cur.lastrowid or 0)
            self.conn.execute("UPDATE devices SET current_log = ? WHERE id = ?", (ref, device_id))
        else:
            ref = int(row[0])
        self._log_refs[address] = ref
        return ref

    def use_log(self, address: str, log_id: int) -> str:
        """Make the device's log with this id (the device's sync_end.log_id) the one its records go to.

        Returns LOG_SAME (already current), LOG_LEARNED (the current log's id was not known yet: it is this
        one) or LOG_NEW (a log this host has not seen: the device's log was erased and numbering started
        again; the old log's records stay as they are, and new records no longer look like duplicates).
        """

        def write() -> str:
            self.conn.execute("BEGIN IMMEDIATE")
            device_id = self._device_id(address)
            current = self._log_ref(address)
            known = self.conn.execute("SELECT id FROM logs WHERE device_id = ? AND log_id = ?",
                                      (device_id, log_id)).fetchone()
            current_id = self.conn.execute("SELECT log_id FROM logs WHERE id = ?", (current,)).fetchone()[0]
            if known is not None:
                ref, outcome = int(known[0]), LOG_SAME if int(known[0]) == current else LOG_NEW
            elif current_id is None:
                self.conn.execute("UPDATE logs SET log_id = ? WHERE id = ?", (log_id, current))
                ref, outcome = current, LOG_LEARNED
            else:
                cur = self.conn.execute("INSERT INTO logs (device_id, log_id, first_seen_s) VALUES (?, ?, ?)",
                                        (device_id, log_id, self._clock()))
                ref, outcome = int(cur.lastrowid or 0), LOG_NEW
            self.conn.execute("UPDATE devices SET current_log = ? WHERE id = ?", (ref, device_id))
            self.conn.execute("COMMIT")
            self._log_refs[address] = ref
            return outcome

        return self._retry(write, "noting the device's log")

    def current_log_id(self, address: str) -> int | None:
        """The id of the device's current log, or None while it is not known."""
        row = self._retry(
            lambda: self.conn.execute(
                "SELECT l.log_id FROM devices d JOIN logs l ON l.id = d.current_log WHERE d.address = ?",
                (address,),
            ).fetchone(),
            "reading the device's log",
        )
        return None if row is None else row[0]

    def host_id(self) -> int:
        """This computer's id towards devices (each keeps a sync cursor per host): random, chosen once."""

        def read_or_make() -> int:
            self.conn.execute("BEGIN IMMEDIATE")
            row = self.conn.execute("SELECT value FROM host WHERE key = 'host_id'").fetchone()
            if row is None:
                value = secrets.randbelow(_HOST_ID_MAX) + 1
                self.conn.execute("INSERT INTO host (key, value) VALUES ('host_id', ?)", (value,))
            else:
                value = int(row[0])
            self.conn.execute("COMMIT")
            return value

        return self._retry(read_or_make, "reading this computer's host id")

    def save_status(self, address: str, status: LiveStatus) -> None:
        """Keep the device's latest live status (one row per device, replaced)."""

        def write() -> None:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT OR REPLACE INTO last_status (device_id, seen_s, state, tilt_cdeg, bout_s, battery_pct, flags,"
                " head_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self._device_id(address), *status),
            )
            self.conn.execute("COMMIT")

        self._retry(write, "noting the device's status")

    def last_status(self, address: str) -> LiveStatus | None:
        row = self._retry(
            lambda: self.conn.execute(
                "SELECT s.seen_s, s.state, s.tilt_cdeg, s.bout_s, s.battery_pct, s.flags, s.head_seq"
                " FROM last_status s JOIN devices d ON d.id = s.device_id WHERE d.address = ?",
                (address,),
            ).fetchone(),
            "reading the device's status",
        )
        return None if row is None else LiveStatus(*row)

    def remember_device(self, address: str, name: str = "", *, bonded: bool = False) -> Device:
        def write() -> None:
            self.conn.execute("BEGIN IMMEDIATE")
            device_id = self._device_id(address)
            self.conn.execute(
                "UPDATE devices SET name = ?, bonded = ?, paired_at_s = ?, last_seen_s = ? WHERE id = ?",
                (name, int(bonded), self._clock(), self._clock(), device_id),
            )
            self.conn.execute("COMMIT")

        self._retry(write, "remembering the device")
        device = self.device(address)
        assert device is not None
        return device

    def forget_device(self, address: str) -> None:
        def write() -> None:
            self.conn.execute("UPDATE devices SET bonded = 0, paired_at_s = NULL WHERE address = ?", (address,))

        self._retry(write, "forgetting the device")

    def seen(self, address: str) -> None:
        def write() -> None:
            self.conn.execute("BEGIN IMMEDIATE")
            device_id = self._device_id(address)
            self.conn.execute("UPDATE devices SET last_seen_s = ? WHERE id = ?", (self._clock(), device_id))
            self.conn.execute("COMMIT")

        self._retry(write, "noting the device")

    def devices(self) -> list[Device]:
        rows = self._retry(
            lambda: self.conn.execute(
                "SELECT id, address, name, bonded, paired_at_s, last_seen_s FROM devices ORDER BY id"
            ).fetchall(),
            "listing devices",
        )
        return [Device(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows]

    def device(self, address: str) -> Device | None:
        for device in self.devices():
            if device.address == address:
                return device
        return None

    def paired_device(self) -> Device | None:
        """The most recently paired device that is still bonded, if any."""
        bonded = [d for d in self.devices() if d.bonded]
        if not bonded:
            return None
        return max(bonded, key=lambda d: d.paired_at_s or 0.0)

    # -- ingest ---------------------------------------------------------------------------------------

    def ingest(self, address: str, events: Iterable[Event] = (), minutes: Iterable[Minute] = ()) -> IngestResult:
        """Store decoded records from one device. Duplicates are ignored; the result lists the gaps.

        Returns once the records are durable: in the database, or (database locked or damaged) in the spool
        file, in which case `spooled` counts them and `problem` says why. Either way they may be acknowledged.
        """
        events = [check_event(Event(*e)) for e in events]
        minutes = [check_minute(Minute(m[0], m[1], tuple(m[2]), *m[3:])) for m in minutes]
        try:
            self.flush_spool()
            new, duplicates = self._retry(lambda: self._write(address, events, minutes), "storing records")
        except (StoreBusy, StoreCorrupt) as exc:
            self.spool.append(address, events, minutes, self._spool_log_id(address))
            return IngestResult(0, 0, [], -1, spooled=len(events) + len(minutes), problem=str(exc))
        gaps, contiguous = self.gaps(address)
        return IngestResult(new, duplicates, gaps, contiguous)

    def flush_spool(self) -> int:
        """Write any spooled records into the database; return how many batches were replayed."""
        if not self.spool.pending():
            return 0
        count = 0
        for address, log_id, events, minutes in self.spool.batches():
            self._retry(lambda a=address, i=log_id, e=events, m=minutes: self._write(a, e, m, i),
                        "writing spooled records")
            count += 1
        self.spool.clear()
        return count

    def _spool_log_id(self, address: str) -> int | None:
        """The current log's id for a spool line, from the cache (the database may be unreadable)."""
        ref = self._log_refs.get(address)
        if ref is None:
            return None
        try:
            row = self.conn.execute("SELECT log_id FROM logs WHERE id = ?", (ref,)).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else row[0]

    def _write(self, address: str, events: list[Event], minutes: list[Minute],
               log_id: int | None = None) -> tuple[int, int]:
        """Store one batch in one transaction, into the device's current log or (spool replay) the log
        with this id."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        log_ref = self._log_ref(address)
        if log_id is not None:
            row = conn.execute("SELECT l.id FROM logs l JOIN devices d ON d.id = l.device_id"
                               " WHERE d.address = ? AND l.log_id = ?", (address, log_id)).fetchone()
            if row is not None:
                log_ref = int(row[0])
        before = conn.total_changes
        if events:
            conn.executemany(_EVENT_SQL, [(log_ref, *e) for e in events])
        if minutes:
            conn.executemany(
                _MINUTE_SQL, [(log_ref, m.seq, m.t_s, *m.seconds_per_state, *m[3:]) for m in minutes]
            )
        new = conn.total_changes - before
        seqs = [e.seq for e in events] + [m.seq for m in minutes]
        if seqs:
            self._advance(log_ref, min(seqs), max(seqs))
        conn.execute("COMMIT")
        return new, len(seqs) - new

    def _advance(self, log_ref: int, batch_min: int, batch_max: int) -> None:
        row = self.conn.execute(
            "SELECT floor_seq, contiguous_seq, max_seq FROM sync_state WHERE log = ?", (log_ref,)
        ).fetchone()
        if row is None:
            floor, contiguous, top = batch_min, batch_min - 1, batch_max
            self.conn.execute(
                "INSERT INTO sync_state (log, floor_seq, contiguous_seq, max_seq) VALUES (?, ?, ?, ?)",
                (log_ref, floor, contiguous, top),
            )
        else:
            floor, contiguous, top = row
            top = max(top, batch_max)
        spans = self._held_spans(log_ref, contiguous)
        for first, last in spans:
            if first > contiguous + 1:
                break
            contiguous = max(contiguous, last)
        self.conn.execute(
            "UPDATE sync_state SET contiguous_seq = ?, max_seq = ? WHERE log = ?", (contiguous, top, log_ref)
        )

    def _held_spans(self, log_ref: int, above: int) -> list[tuple[int, int]]:
        """Runs of consecutive seqs above `above` that are stored or known lost, oldest first."""
        rows = self.conn.execute(
            "SELECT seq FROM events WHERE log = ?1 AND seq > ?2"
            " UNION SELECT seq FROM minutes WHERE log = ?1 AND seq > ?2 ORDER BY 1",
            (log_ref, above),
        ).fetchall()
        spans: list[tuple[int, int]] = []
        for (seq,) in rows:
            if spans and seq == spans[-1][1] + 1:
                spans[-1] = (spans[-1][0], seq)
            else:
                spans.append((seq, seq))
        lost = self.conn.execute(
            "SELECT first_seq, last_seq FROM lost_ranges WHERE log = ? AND last_seq > ?", (log_ref, above)
        ).fetchall()
        if lost:
            merged: list[tuple[int, int]] = []
            for first, last in sorted(spans + [(max(f, above + 1), last) for f, last in lost]):
                if merged and first <= merged[-1][1] + 1:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], last))
                else:
                    merged.append((first, last))
            spans = merged
        return spans

    def gaps(self, address: str) -> tuple[list[tuple[int, int]], int]:
        """(missing seq ranges, contiguous_seq) for one device; ([], -1) before its first record."""

        def read() -> tuple[list[tuple[int, int]], int]:
            log_ref = self._log_ref(address)
            row = self.conn.execute(
                "SELECT contiguous_seq, max_seq FROM sync_state WHERE log = ?", (log_ref,)
            ).fetchone()
            if row is None:
                return [], -1
            contiguous, top = row
            spans = self._held_spans(log_ref, contiguous)
            gaps: list[tuple[int, int]] = []
            expected = contiguous + 1
            for first, last in spans:
                if first > expected:
                    gaps.append((expected, first - 1))
                expected = max(expected, last + 1)
            if expected <= top:
                gaps.append((expected, top))
            return gaps, contiguous

        return self._retry(read, "finding gaps")

    def sync_position(self, address: str) -> tuple[int, int] | None:
        """(contiguous_seq, max_seq) for one device, or None before its first record."""
        row = self._retry(
            lambda: self.conn.execute(
                "SELECT s.contiguous_seq, s.max_seq FROM sync_state s JOIN devices d ON d.current_log = s.log"
                " WHERE d.address = ?",
                (address,),
            ).fetchone(),
            "reading the sync position",
        )
        return None if row is None else (row[0], row[1])

    def anchor(self, address: str, first_seq: int) -> bool:
        """Say where the device's current log begins (its oldest record), before any record of it is stored.

        Without it, the first record stored would set the start: a live event stored before the history
        would hide every older record from the sync. Does nothing once the log has a sync position;
        returns whether it set one."""

        def write() -> bool:
            self.conn.execute("BEGIN IMMEDIATE")
            ref = self._log_ref(address)
            exists = self.conn.execute("SELECT 1 FROM sync_state WHERE log = ?", (ref,)).fetchone()
            if exists is None:
                self.conn.execute(
                    "INSERT INTO sync_state (log, floor_seq, contiguous_seq, max_seq) VALUES (?, ?, ?, ?)",
                    (ref, first_seq, first_seq - 1, first_seq - 1),
                )
            self.conn.execute("COMMIT")
            return exists is None

        return self._retry(write, "noting where the device's log begins")

    def mark_lost(self, address: str, first_seq: int, last_seq: int, reason: str) -> None:
        """Record that the device no longer holds these records, so they are not asked for again."""
        if last_seq < first_seq:
            raise ValueError(f"empty range {first_seq}..{last_seq}")

        def write() -> None:
            self.conn.execute("BEGIN IMMEDIATE")
            log_ref = self._log_ref(address)
            self.conn.execute(
                "INSERT OR REPLACE INTO lost_ranges (log, first_seq, last_seq, reason) VALUES (?, ?, ?, ?)",
                (log_ref, first_seq, last_seq, reason),
            )
            state = self.conn.execute("SELECT 1 FROM sync_state WHERE log = ?", (log_ref,)).fetchone()
            if state is None:
                self.conn.execute(
                    "INSERT INTO sync_state (log, floor_seq, contiguous_seq, max_seq) VALUES (?, ?, ?, ?)",
                    (log_ref, first_seq, first_seq - 1, last_seq),
                )
            self._advance(log_ref, first_seq, last_seq)
            self.conn.execute("COMMIT")

        self._retry(write, "marking records lost")

    def lost_count(self, address: str | None = None) -> int:
        """Records known lost: of the device's current log, or (no address) of every log."""
        sql = (
            "SELECT COALESCE(SUM(last_seq - first_seq + 1), 0)"
            " FROM lost_ranges l JOIN devices d ON d.current_log = l.log"
        )
        if address is None:
            sql = "SELECT COALESCE(SUM(last_seq - first_seq + 1), 0) FROM lost_ranges l"
        args: tuple[str, ...] = ()
        if address is not None:
            sql += " WHERE d.address = ?"
            args = (address,)
        return int(self._retry(lambda: self.conn.execute(sql, args).fetchone()[0], "counting lost records"))

    # -- reading records ------------------------------------------------------------------------------

    def events(self, start_s: float, end_s: float, kinds: Sequence[int] | None = None) -> list[Event]:
        """Events with start_s <= t_s < end_s from every device, in time order."""
        sql = "SELECT seq, t_s, kind, a, b FROM events WHERE t_s >= ? AND t_s < ?"
        args: list[float] = [start_s, end_s]
        if kinds is not None:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            args.extend(kinds)
        sql += " ORDER BY t_s, log, seq"
        rows = self._retry(lambda: self.conn.execute(sql, args).fetchall(), "reading events")
        return [Event(*r) for r in rows]

    def minutes(self, start_s: float, end_s: float) -> list[Minute]:
        """Minute summaries with start_s <= t_s < end_s from every device, in time order."""
        rows = self._retry(
            lambda: self.conn.execute(
                "SELECT seq, t_s, unknown_s, sitting_s, standing_s, walking_s, lying_s, not_worn_s,"
                " tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions FROM minutes"
                " WHERE t_s >= ? AND t_s < ? ORDER BY t_s, log, seq",
                (start_s, end_s),
            ).fetchall(),
            "reading minute summaries",
        )
        return [Minute(r[0], r[1], tuple(r[2:8]), r[8], r[9], r[10], r[11]) for r in rows]

    def export_rows(self, start_s: float, end_s: float) -> list[tuple]:  # type: ignore[type-arg]
        """Every record in the span with its device address and log id, in time order, for export.

        Each row: (address, log_id, "event", seq, t_s, kind, a, b) or (address, log_id, "minute", seq, t_s,
        *seconds_per_state, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions); log_id may be None.
        """

        def read() -> list[tuple]:  # type: ignore[type-arg]
            events = self.conn.execute(
                "SELECT d.address, l.log_id, 'event', e.seq, e.t_s, e.kind, e.a, e.b FROM events e"
                " JOIN logs l ON l.id = e.log JOIN devices d ON d.id = l.device_id WHERE e.t_s >= ? AND e.t_s < ?",
                (start_s, end_s),
            ).fetchall()
            minutes = self.conn.execute(
                "SELECT d.address, l.log_id, 'minute', m.seq, m.t_s, m.unknown_s, m.sitting_s, m.standing_s,"
                " m.walking_s, m.lying_s, m.not_worn_s, m.tilt_mean_cdeg, m.tilt_min_cdeg, m.tilt_max_cdeg,"
                " m.transitions FROM minutes m JOIN logs l ON l.id = m.log JOIN devices d ON d.id = l.device_id"
                " WHERE m.t_s >= ? AND m.t_s < ?",
                (start_s, end_s),
            ).fetchall()
            return sorted(events + minutes, key=lambda r: (r[4], r[0], r[1] or 0, r[3]))

        return self._retry(read, "reading records for export")

    def time_span(self) -> tuple[int, int] | None:
        """(first, last) t_s over all records, or None for an empty log."""
        row = self._retry(
            lambda: self.conn.execute(
                "SELECT MIN(t), MAX(t) FROM (SELECT MIN(t_s) t FROM minutes UNION ALL SELECT MAX(t_s) FROM minutes"
                " UNION ALL SELECT MIN(t_s) FROM events UNION ALL SELECT MAX(t_s) FROM events)"
            ).fetchone(),
            "reading the time span",
        )
        return None if row[0] is None else (row[0], row[1])

    def record_count(self) -> int:
        return int(
            self._retry(
                lambda: self.conn.execute(
                    "SELECT (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM minutes)"
                ).fetchone()[0],
                "counting records",
            )
        )

    # -- prompts --------------------------------------------------------------------------------------

    def record_prompt(self, address: str, seq: int, t_s: float, routine: int, shown_via: str) -> None:
        """What the host showed for the device's prompt event `seq` (shown_via: desktop, terminal, quiet...)."""

        def write() -> None:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT OR REPLACE INTO prompts (log, seq, t_s, routine, shown_via) VALUES (?, ?, ?, ?, ?)",
                (self._log_ref(address), seq, t_s, routine, shown_via),
            )
            self.conn.execute("COMMIT")

        self._retry(write, "noting a prompt")

    def record_response(self, address: str, prompt_seq: int, action: str, t_s: float) -> None:
        """The wearer's answer (start, snooze, skip) to the prompt event `prompt_seq`; the first one counts."""

        def write() -> None:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT OR IGNORE INTO responses (log, prompt_seq, action, t_s) VALUES (?, ?, ?, ?)",
                (self._log_ref(address), prompt_seq, action, t_s),
            )
            self.conn.execute("COMMIT")

        self._retry(write, "noting a response")

    def prompt_handled(self, address: str, seq: int) -> bool:
        """True once the host has shown (or held back) the device's prompt event seq of its current log."""
        row = self._retry(
            lambda: self.conn.execute(
                "SELECT 1 FROM prompts p JOIN devices d ON d.current_log = p.log WHERE d.address = ? AND p.seq = ?",
                (address, seq),
            ).fetchone(),
            "reading prompts",
        )
        return row is not None

    def recent_routines(self, limit: int = 5) -> list[int]:
        """Routines the host showed most recently (prompts held back do not count), newest first."""
        rows = self._retry(
            lambda: self.conn.execute(
                "SELECT routine FROM prompts WHERE shown_via NOT LIKE 'held%' ORDER BY t_s DESC LIMIT ?", (limit,)
            ).fetchall(),
            "reading recent routines",
        )
        return [r[0] for r in rows]

    def prompts(self, start_s: float, end_s: float) -> list[tuple[int, float, int, str, str | None]]:
        """(seq, t_s, routine, shown_via, response action or None) for prompts shown in the span."""
        return self._retry(
            lambda: self.conn.execute(
                "SELECT p.seq, p.t_s, p.routine, p.shown_via, r.action FROM prompts p LEFT JOIN responses r"
                " ON r.log = p.log AND r.prompt_seq = p.seq WHERE p.t_s >= ? AND p.t_s < ?"
                " ORDER BY p.t_s",
                (start_s, end_s),
            ).fetchall(),
            "reading prompts",
        )

    def responses(self, start_s: float, end_s: float) -> list[tuple[int, str, float]]:
        """(prompt_seq, action, t_s) of the wearer's answers given in the span."""
        return self._retry(
            lambda: self.conn.execute(
                "SELECT prompt_seq, action, t_s FROM responses WHERE t_s >= ? AND t_s < ? ORDER BY t_s",
                (start_s, end_s),
            ).fetchall(),
            "reading responses",
        )


def open_store(path: Path, **kwargs) -> Store:  # type: ignore[no-untyped-def]
    """Open (creating if needed) the log database at path."""
    return Store(path, **kwargs)
