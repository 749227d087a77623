import os
import sqlite3
import stat

import pytest

from lumbo.store import Event, Minute, RecordError, Store, StoreCorrupt, StoreTooNew
from lumbo.store import schema as schema_module
from lumbo_shared import vocab

ADDR = "C0:FF:EE:00:00:01"


def event(seq, t_s=1_700_000_000, kind=vocab.EVENT_STAND_TO_SIT, a=0, b=0):
    return Event(seq, t_s + seq, kind, a, b)


def minute(seq, t_s=1_700_000_000, sitting_s=60):
    return Minute(seq, t_s + 60 * seq, (0, sitting_s, 60 - sitting_s, 0, 0, 0), 1500, 1000, 2000, 2)


def no_sleep(_):
    pass


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "data" / "lumbo.sqlite3", sleep=no_sleep)
    yield s
    s.close()


def test_duplicates_are_stored_once_and_counted(store):
    first = store.ingest(ADDR, events=[event(0), event(2)], minutes=[minute(1)])
    assert (first.new, first.duplicates) == (3, 0)
    again = store.ingest(ADDR, events=[event(2), event(3)], minutes=[minute(1)])
    assert (again.new, again.duplicates) == (1, 2)
    assert store.record_count() == 4
    # The stored copy is the first one: a changed duplicate does not overwrite it.
    store.ingest(ADDR, events=[Event(0, 5, vocab.EVENT_BOOT, 9, 9)])
    assert store.events(0, 2**40)[0] == event(0)


def test_gaps_are_found_and_closed_when_filled(store):
    result = store.ingest(ADDR, events=[event(s) for s in (10, 11, 12, 16, 17, 20)])
    assert result.gaps == [(13, 15), (18, 19)]
    assert result.contiguous_seq == 12
    result = store.ingest(ADDR, minutes=[minute(s) for s in (13, 14, 15)])
    assert result.gaps == [(18, 19)]
    assert result.contiguous_seq == 17
    result = store.ingest(ADDR, events=[event(18), event(19)])
    assert result.gaps == []
    assert result.contiguous_seq == 20


def test_lost_ranges_are_not_asked_for_again(store):
    store.ingest(ADDR, events=[event(0), event(1), event(9)])
    store.mark_lost(ADDR, 2, 5, "overwritten on the device")
    gaps, contiguous = store.gaps(ADDR)
    assert gaps == [(6, 8)]
    assert contiguous == 5
    assert store.lost_count(ADDR) == 4


def test_devices_are_kept_apart(store):
    store.ingest(ADDR, events=[event(0), event(1)])
    other = store.ingest("AA:BB:CC:DD:EE:FF", events=[event(1), event(3)])
    assert other.new == 2
    assert other.gaps == [(2, 2)]
    assert store.gaps(ADDR) == ([], 1)


def test_file_is_private_and_in_wal_mode(tmp_path):
    path = tmp_path / "new" / "log.sqlite3"
    with Store(path) as s:
        s.ingest(ADDR, events=[event(0)])
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        for f in (path, path.with_name(path.name + "-wal")):
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_existing_file_with_loose_permissions_is_tightened(tmp_path):
    path = tmp_path / "log.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    Store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_schema_version_table_records_each_migration(tmp_path, monkeypatch):
    path = tmp_path / "log.sqlite3"
    with Store(path) as s:
        assert s.schema_version() == schema_module.LATEST_VERSION
        s.ingest(ADDR, events=[event(0)])
    added = (schema_module.LATEST_VERSION + 1, "a test column", "ALTER TABLE devices ADD COLUMN colour TEXT")
    monkeypatch.setattr(schema_module, "MIGRATIONS", (*schema_module.MIGRATIONS, added))
    monkeypatch.setattr(schema_module, "LATEST_VERSION", added[0])
    with Store(path) as s:
        assert s.schema_version() == added[0]
        columns = [r[1] for r in s.conn.execute("PRAGMA table_info(devices)")]
        assert "colour" in columns
        versions = [r[0] for r in s.conn.execute("SELECT version FROM schema_version ORDER BY version")]
        assert versions == [*range(1, added[0] + 1)]
        assert s.record_count() == 1


def test_newer_schema_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "log.sqlite3"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (999, 0, 'from the future')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreTooNew, match="update lumbo"):
        Store(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_reported_and_never_overwritten(tmp_path):
    path = tmp_path / "log.sqlite3"
    garbage = b"this is a shopping list, not a database\n" * 200
    path.write_bytes(garbage)
    with pytest.raises(StoreCorrupt) as info:
        Store(path)
    message = str(info.value)
    assert str(path) in message and "Move the damaged file aside" in message
    assert path.read_bytes() == garbage


def test_records_are_checked_before_anything_is_written(store):
    with pytest.raises(RecordError, match="seconds_per_state"):
        store.ingest(ADDR, minutes=[Minute(0, 0, (60,), 0, 0, 0, 0)])
    with pytest.raises(RecordError, match="kind must be an integer"):
        store.ingest(ADDR, events=[Event(0, 0, "prompt", 0, 0)])
    assert store.record_count() == 0


def test_locked_database_spools_then_catches_up(tmp_path):
    path = tmp_path / "log.sqlite3"
    pauses = []
    s = Store(path, sleep=pauses.append, retry_delays_s=(0.01, 0.02, 0.04), busy_timeout_s=0.02)
    s.ingest(ADDR, events=[event(0)])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    result = s.ingest(ADDR, events=[event(1), event(2)], minutes=[minute(3)])
    # It backed off with each pause in turn, then kept the records in the spool and said why.
    assert pauses == [0.01, 0.02, 0.04]
    assert result.spooled == 3 and result.new == 0
    assert "locked" in result.problem
    assert s.spool.pending()
    other.execute("ROLLBACK")
    other.close()
    result = s.ingest(ADDR, events=[event(4)])
    assert result.new == 1
    assert not s.spool.pending()
    assert s.record_count() == 5
    assert s.gaps(ADDR) == ([], 4)
    s.close()


def test_spool_survives_a_torn_last_line_and_replays_once(tmp_path):
    path = tmp_path / "log.sqlite3"
    s = Store(path)
    s.spool.append(ADDR, [event(0), event(1)], [minute(2)])
    s.spool.append(ADDR, [event(1)], [])
    with open(s.spool.path, "a") as f:
        f.write('{"device": "half a li')
    result = s.ingest(ADDR, events=[event(3)])
    assert result.new == 1
    assert s.record_count() == 4
    assert result.gaps == [] and result.contiguous_seq == 3
    s.close()


def test_damage_found_while_running_keeps_new_records_in_the_spool(tmp_path):
    path = tmp_path / "log.sqlite3"
    s = Store(path)
    s.ingest(ADDR, minutes=[minute(i) for i in range(400)])
    s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # Damage every page after the first under the running store (a disk fault, a bad sync tool).
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(4096)
        f.write(b"\xa5" * (size - 4096))
    s.conn.execute("PRAGMA cache_size = 0")
    damaged = path.read_bytes()
    with pytest.raises(StoreCorrupt, match="Move the damaged file aside"):
        Store(path)
    result = s.ingest(ADDR, events=[event(1000)])
    assert result.spooled == 1 and "damaged" in result.problem
    s.close()
    assert path.read_bytes()[4096:] == damaged[4096:]
    # Moving the damaged file aside, as the message says, gets the spooled records into a new log.
    path.rename(tmp_path / "damaged.sqlite3")
    for extra in tmp_path.glob("log.sqlite3-*"):
        extra.unlink()
    with Store(path) as fresh:
        fresh.flush_spool()
        assert fresh.events(0, 2**40) == [event(1000)]


def test_a_new_device_log_keeps_its_records_apart_from_the_old_one(store):
    # Records synced before the log's id was known belong to the log the first sync names.
    store.ingest(ADDR, events=[event(s) for s in range(1, 6)])
    assert store.use_log(ADDR, 0xA1) == "learned"
    assert store.current_log_id(ADDR) == 0xA1
    assert store.use_log(ADDR, 0xA1) == "same"
    # The device was reset: a new log numbers from 1 again. Its records are new, not duplicates.
    assert store.use_log(ADDR, 0xB2) == "new"
    assert store.sync_position(ADDR) is None
    result = store.ingest(ADDR, events=[event(s, t_s=1_800_000_000) for s in range(1, 4)])
    assert (result.new, result.duplicates, result.contiguous_seq) == (3, 0, 3)
    assert store.record_count() == 8
    # Prompts and answers are per log too: seq 2 of each log is its own prompt.
    store.record_prompt(ADDR, 2, 10.0, vocab.ROUTINE_EXTENSION, "desktop")
    store.use_log(ADDR, 0xA1)
    assert store.sync_position(ADDR) == (5, 5)
    store.record_prompt(ADDR, 2, 5.0, vocab.ROUTINE_PELVIC_TILTS, "terminal")
    assert [p[2] for p in store.prompts(0, 100)] == [vocab.ROUTINE_PELVIC_TILTS, vocab.ROUTINE_EXTENSION]


def test_host_id_is_random_kept_and_never_a_reserved_value(tmp_path):
    path = tmp_path / "log.sqlite3"
    with Store(path) as s:
        first = s.host_id()
        assert s.host_id() == first
    with Store(path) as s:
        assert s.host_id() == first
    assert 0 < first < 0xFFFFFFFF
    with Store(tmp_path / "other.sqlite3") as s:
        assert s.host_id() != first  # 1 in 4 billion to fail by chance


def test_a_version_1_log_is_migrated_with_every_record_and_answer(tmp_path):
    # A log as version 1 left it, written with plain SQL: records keyed by device.
    path = tmp_path / "log.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    version, note, sql = schema_module.MIGRATIONS[0]
    conn.executescript(sql)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at_s REAL NOT NULL,"
                 " note TEXT NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (?, 0, ?)", (version, note))
    conn.execute("INSERT INTO devices (id, address, bonded) VALUES (1, ?, 1), (2, 'AA:BB:CC:DD:EE:FF', 0)", (ADDR,))
    conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                     [(1, 0, 100, 1, 0, 0), (1, 2, 102, 18, 1800, 1), (2, 7, 107, 1, 0, 0)])
    conn.execute("INSERT INTO minutes VALUES (1, 1, 60, 0, 60, 0, 0, 0, 0, 1500, 1000, 2000, 2)")
    conn.execute("INSERT INTO sync_state VALUES (1, 0, 4, 4), (2, 7, 7, 7)")
    conn.execute("INSERT INTO lost_ranges VALUES (1, 3, 4, 'overwritten')")
    conn.execute("INSERT INTO prompts VALUES (1, 2, 1.0, 1, 'desktop')")
    conn.execute("INSERT INTO responses VALUES (1, 2, 'snooze', 2.0)")
    conn.close()
    with Store(path) as s:
        assert s.schema_version() == schema_module.LATEST_VERSION
        assert s.record_count() == 4
        assert s.gaps(ADDR) == ([], 4)
        assert s.lost_count(ADDR) == 2
        assert s.prompts(0, 10) == [(2, 1.0, vocab.ROUTINE_EXTENSION, "desktop", "snooze")]
        assert s.current_log_id(ADDR) is None
        assert s.use_log(ADDR, 0x77) == "learned"
        assert s.ingest(ADDR, events=[event(5)]).contiguous_seq == 5
        assert s.sync_position("AA:BB:CC:DD:EE:FF") == (7, 7)
        assert next(r[:4] for r in s.export_rows(0, 2**40) if r[0] == ADDR) == (ADDR, 0x77, "minute", 1)
