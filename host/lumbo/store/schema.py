"""The log database's schema as a list of migrations, applied in order and recorded in schema_version.

A migration is never edited once released: a change to the schema is a new entry at the end. A database
whose version is newer than the last entry here was written by a newer lumbo and is left untouched.
"""

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "devices, records, sync cursor, prompts and responses",
        """
        CREATE TABLE devices (
            id INTEGER PRIMARY KEY,
            address TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL DEFAULT '',
            bonded INTEGER NOT NULL DEFAULT 0,
            paired_at_s REAL,
            last_seen_s REAL
        );
        -- One row per record the device logged, keyed by the device's own sequence number.
        CREATE TABLE events (
            device_id INTEGER NOT NULL REFERENCES devices(id),
            seq INTEGER NOT NULL,
            t_s INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            a INTEGER NOT NULL,
            b INTEGER NOT NULL,
            PRIMARY KEY (device_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX events_by_time ON events (t_s);
        CREATE TABLE minutes (
            device_id INTEGER NOT NULL REFERENCES devices(id),
            seq INTEGER NOT NULL,
            t_s INTEGER NOT NULL,
            unknown_s INTEGER NOT NULL,
            sitting_s INTEGER NOT NULL,
            standing_s INTEGER NOT NULL,
            walking_s INTEGER NOT NULL,
            lying_s INTEGER NOT NULL,
            not_worn_s INTEGER NOT NULL,
            tilt_mean_cdeg INTEGER NOT NULL,
            tilt_min_cdeg INTEGER NOT NULL,
            tilt_max_cdeg INTEGER NOT NULL,
            transitions INTEGER NOT NULL,
            PRIMARY KEY (device_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX minutes_by_time ON minutes (t_s);
        -- Where the sync stands: every seq from floor_seq to contiguous_seq is stored or known lost;
        -- max_seq is the highest seen. Sequence numbers in between that are missing are gaps to ask for.
        CREATE TABLE sync_state (
            device_id INTEGER PRIMARY KEY REFERENCES devices(id),
            floor_seq INTEGER NOT NULL,
            contiguous_seq INTEGER NOT NULL,
            max_seq INTEGER NOT NULL
        );
        -- Ranges the device no longer has (its ring overwrote them): not asked for again.
        CREATE TABLE lost_ranges (
            device_id INTEGER NOT NULL REFERENCES devices(id),
            first_seq INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (device_id, first_seq)
        ) WITHOUT ROWID;
        -- What the host did with each prompt event: the routine it suggested and how it showed it.
        CREATE TABLE prompts (
            device_id INTEGER NOT NULL REFERENCES devices(id),
            seq INTEGER NOT NULL,
            t_s REAL NOT NULL,
            routine INTEGER NOT NULL,
            shown_via TEXT NOT NULL,
            PRIMARY KEY (device_id, seq)
        ) WITHOUT ROWID;
        -- The wearer's answer to a prompt: start, snooze or skip.
        CREATE TABLE responses (
            device_id INTEGER NOT NULL REFERENCES devices(id),
            prompt_seq INTEGER NOT NULL,
            action TEXT NOT NULL,
            t_s REAL NOT NULL,
            PRIMARY KEY (device_id, prompt_seq)
        ) WITHOUT ROWID;
        """,
    ),
    (
        2,
        "records keyed by the device log they came from; this host's id; the device's last status",
        """
        -- A device's log starts again (a new log_id, sequence numbers from the start) after a factory
        -- reset, so a record is named by (log, seq), not (device, seq). log_id is NULL for records stored
        -- before the log's id was known, until the first sync that learns it fills it in.
        CREATE TABLE logs (
            id INTEGER PRIMARY KEY,
            device_id INTEGER NOT NULL REFERENCES devices(id),
            log_id INTEGER,
            first_seen_s REAL NOT NULL,
            UNIQUE (device_id, log_id)
        );
        ALTER TABLE devices ADD COLUMN current_log INTEGER REFERENCES logs(id);
        INSERT INTO logs (id, device_id, log_id, first_seen_s)
            SELECT id, id, NULL, COALESCE(paired_at_s, last_seen_s, 0) FROM devices;
        UPDATE devices SET current_log = id;

        CREATE TABLE events_v2 (
            log INTEGER NOT NULL REFERENCES logs(id),
            seq INTEGER NOT NULL,
            t_s INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            a INTEGER NOT NULL,
            b INTEGER NOT NULL,
            PRIMARY KEY (log, seq)
        ) WITHOUT ROWID;
        INSERT INTO events_v2 SELECT device_id, seq, t_s, kind, a, b FROM events;
        DROP TABLE events;
        ALTER TABLE events_v2 RENAME TO events;
        CREATE INDEX events_by_time ON events (t_s);

        CREATE TABLE minutes_v2 (
            log INTEGER NOT NULL REFERENCES logs(id),
            seq INTEGER NOT NULL,
            t_s INTEGER NOT NULL,
            unknown_s INTEGER NOT NULL,
            sitting_s INTEGER NOT NULL,
            standing_s INTEGER NOT NULL,
            walking_s INTEGER NOT NULL,
            lying_s INTEGER NOT NULL,
            not_worn_s INTEGER NOT NULL,
            tilt_mean_cdeg INTEGER NOT NULL,
            tilt_min_cdeg INTEGER NOT NULL,
            tilt_max_cdeg INTEGER NOT NULL,
            transitions INTEGER NOT NULL,
            PRIMARY KEY (log, seq)
        ) WITHOUT ROWID;
        INSERT INTO minutes_v2 SELECT device_id, seq, t_s, unknown_s, sitting_s, standing_s, walking_s, lying_s,
            not_worn_s, tilt_mean_cdeg, tilt_min_cdeg, tilt_max_cdeg, transitions FROM minutes;
        DROP TABLE minutes;
        ALTER TABLE minutes_v2 RENAME TO minutes;
        CREATE INDEX minutes_by_time ON minutes (t_s);

        CREATE TABLE sync_state_v2 (
            log INTEGER PRIMARY KEY REFERENCES logs(id),
            floor_seq INTEGER NOT NULL,
            contiguous_seq INTEGER NOT NULL,
            max_seq INTEGER NOT NULL
        );
        INSERT INTO sync_state_v2 SELECT device_id, floor_seq, contiguous_seq, max_seq FROM sync_state;
        DROP TABLE sync_state;
        ALTER TABLE sync_state_v2 RENAME TO sync_state;

        CREATE TABLE lost_ranges_v2 (
            log INTEGER NOT NULL REFERENCES logs(id),
            first_seq INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (log, first_seq)
        ) WITHOUT ROWID;
        INSERT INTO lost_ranges_v2 SELECT device_id, first_seq, last_seq, reason FROM lost_ranges;
        DROP TABLE lost_ranges;
        ALTER TABLE lost_ranges_v2 RENAME TO lost_ranges;

        CREATE TABLE prompts_v2 (
            log INTEGER NOT NULL REFERENCES logs(id),
            seq INTEGER NOT NULL,
            t_s REAL NOT NULL,
            routine INTEGER NOT NULL,
            shown_via TEXT NOT NULL,
            PRIMARY KEY (log, seq)
        ) WITHOUT ROWID;
        INSERT INTO prompts_v2 SELECT device_id, seq, t_s, routine, shown_via FROM prompts;
        DROP TABLE prompts;
        ALTER TABLE prompts_v2 RENAME TO prompts;

        CREATE TABLE responses_v2 (
            log INTEGER NOT NULL REFERENCES logs(id),
            prompt_seq INTEGER NOT NULL,
            action TEXT NOT NULL,
            t_s REAL NOT NULL,
            PRIMARY KEY (log, prompt_seq)
        ) WITHOUT ROWID;
        INSERT INTO responses_v2 SELECT device_id, prompt_seq, action, t_s FROM responses;
        DROP TABLE responses;
        ALTER TABLE responses_v2 RENAME TO responses;

        -- This computer's own facts, such as the host_id it gives the device (random, chosen once).
        CREATE TABLE host (
            key TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        -- The device's latest live status as `lumbo run` saw it, for `lumbo status`.
        CREATE TABLE last_status (
            device_id INTEGER PRIMARY KEY REFERENCES devices(id),
            seen_s REAL NOT NULL,
            state INTEGER NOT NULL,
            tilt_cdeg INTEGER NOT NULL,
            bout_s INTEGER NOT NULL,
            battery_pct INTEGER,
            flags INTEGER NOT NULL,
            head_seq INTEGER NOT NULL
        );
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1][0]
