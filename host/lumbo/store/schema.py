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
)

LATEST_VERSION = MIGRATIONS[-1][0]
