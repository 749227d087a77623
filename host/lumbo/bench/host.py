"""Host benchmarks: records per second into the log, and `lumbo report --week` over a year of minutes.

Each prints its figure beside a reference measured in the same run:
- ingest: Store.ingest (duplicate check by key, gap tracking, one durable commit per batch) against plain
  executemany into a table with no key and no gap logic, same pragmas, same batches;
- report: the real command `lumbo report --week` in a fresh process, against a fresh interpreter that only
  imports the CLI (the floor any command pays) and a single SQL sum over the same week.
"""

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from lumbo.bench import synthetic
from lumbo.store import Store


def _batches(records_wanted: int, batch: int):  # type: ignore[no-untyped-def]
    events, minutes = [], []
    for day_events, day_minutes in synthetic.days(date(2024, 1, 1), 10_000):
        events += day_events
        minutes += day_minutes
        if len(events) + len(minutes) >= records_wanted:
            break
    records = sorted([("e", e) for e in events] + [("m", m) for m in minutes], key=lambda r: r[1].seq)
    records = records[:records_wanted]
    for i in range(0, len(records), batch):
        chunk = records[i:i + batch]
        yield [r for k, r in chunk if k == "e"], [r for k, r in chunk if k == "m"]


def ingest(records: int = 100_000, batch: int = 200, folder: Path | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="lumbo-bench-", dir=folder) as tmp:
        batches = list(_batches(records, batch))
        total = sum(len(e) + len(m) for e, m in batches)

        store = Store(Path(tmp) / "log.sqlite3")
        t0 = time.perf_counter()
        for events, minutes in batches:
            store.ingest("bench", events, minutes)
        store_s = time.perf_counter() - t0
        # The same records again: every one a duplicate (a sync repeated after a dropped link).
        t0 = time.perf_counter()
        for events, minutes in batches:
            store.ingest("bench", events, minutes)
        duplicate_s = time.perf_counter() - t0
        assert store.record_count() == total
        store.close()

        conn = sqlite3.connect(Path(tmp) / "plain.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE events (device_id, seq, t_s, kind, a, b)")
        conn.execute("CREATE TABLE minutes (device_id, seq, t_s, u, s1, s2, s3, s4, s5, tm, tn, tx, tr)")
        t0 = time.perf_counter()
        for events, minutes in batches:
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", [(1, *e) for e in events])
            conn.executemany("INSERT INTO minutes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             [(1, m.seq, m.t_s, *m.seconds_per_state, *m[3:]) for m in minutes])
            conn.execute("COMMIT")
        plain_s = time.perf_counter() - t0
        conn.close()
    return {
        "ingest_records": float(total),
        "ingest_batch": float(batch),
        "ingest_records_per_s": total / store_s,
        "ingest_duplicates_per_s": total / duplicate_s,
        "reference_plain_executemany_records_per_s": total / plain_s,
    }


def build_year(path: Path, last_day: date, days: int = 365) -> int:
    """A log with `days` days of minute summaries and events ending with last_day; returns records."""
    with Store(path) as store:
        count = 0
        batch_e: list = []  # type: ignore[type-arg]
        batch_m: list = []  # type: ignore[type-arg]
        for events, minutes in synthetic.days(last_day - timedelta(days=days - 1), days):
            batch_e += events
            batch_m += minutes
            if len(batch_m) >= 30 * 1440:
                store.ingest("bench", batch_e, batch_m)
                count += len(batch_e) + len(batch_m)
                batch_e, batch_m = [], []
        if batch_e or batch_m:
            store.ingest("bench", batch_e, batch_m)
            count += len(batch_e) + len(batch_m)
    return count


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {result.stderr.strip()}")
    return elapsed


def report_week(days: int = 365, runs: int = 3, folder: Path | None = None) -> dict[str, float]:
    from lumbo.report.compute import day_bounds

    last_day = date.today()
    with tempfile.TemporaryDirectory(prefix="lumbo-bench-", dir=folder) as tmp:
        path = Path(tmp) / "year.sqlite3"
        records = build_year(path, last_day, days)
        env = dict(os.environ, COLUMNS="120")
        command = [sys.executable, "-m", "lumbo", "report", "--week", "--db", str(path)]
        report_s = min(_timed(command, env) for _ in range(runs))
        floor_s = min(_timed([sys.executable, "-c", "import lumbo.cli"], env) for _ in range(runs))
        start_s = day_bounds(last_day - timedelta(days=6), None)[0]
        end_s = day_bounds(last_day, None)[1]
        conn = sqlite3.connect(path)
        t0 = time.perf_counter()
        conn.execute("SELECT SUM(sitting_s) FROM minutes WHERE t_s >= ? AND t_s < ?", (start_s, end_s)).fetchone()
        sql_s = time.perf_counter() - t0
        conn.close()
    return {
        "report_week_log_days": float(days),
        "report_week_log_records": float(records),
        "report_week_s": report_s,
        "reference_cli_import_s": floor_s,
        "reference_sql_week_sum_s": sql_s,
    }
