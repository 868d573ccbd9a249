import GRDB

/// The ledger's SQLite schema. A migration that has shipped is never modified: add a new one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT;
                CREATE TABLE sites (
                    site TEXT PRIMARY KEY NOT NULL,
                    public_key TEXT NOT NULL CHECK (length(public_key) = 64),
                    pinned_at TEXT NOT NULL,
                    last_bundle TEXT,
                    last_clock TEXT
                ) STRICT;
                CREATE TABLE events (
                    rowid INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    site TEXT NOT NULL,
                    seq INTEGER NOT NULL CHECK (seq >= 1),
                    type INTEGER NOT NULL,
                    patient TEXT NOT NULL,
                    occurred_at INTEGER NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    clock TEXT NOT NULL,
                    clock_sum INTEGER NOT NULL,
                    prev TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    content_digest TEXT NOT NULL,
                    author TEXT NOT NULL,
                    daily_dose_mcg REAL,
                    bolus_mcg REAL,
                    concentration REAL,
                    volume_ml REAL,
                    residual_ml REAL,
                    reservoir_ml REAL,
                    low_alarm_ml REAL,
                    next_refill_due INTEGER,
                    grade INTEGER,
                    serious INTEGER,
                    label TEXT,
                    label2 TEXT,
                    ref TEXT,
                    action TEXT,
                    refs TEXT,
                    body BLOB NOT NULL,
                    UNIQUE (site, seq)
                ) STRICT;
                CREATE INDEX events_by_patient ON events (patient, occurred_at);
                -- Partial indexes for what batch validation asks of every line: is the patient enrolled,
                -- which pumps does it have. They hold only enrolments and pump events, so they cost appends little.
                CREATE INDEX events_enrolments ON events (patient) WHERE type = 1;
                CREATE INDEX events_pumps ON events (patient, occurred_at, reservoir_ml) WHERE type IN (3, 10);
                CREATE INDEX events_explants ON events (patient, occurred_at) WHERE type = 11;
                CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
                    BEGIN SELECT RAISE(ABORT, 'events are append-only: record an event.corrected instead'); END;
                CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
                    BEGIN SELECT RAISE(ABORT, 'events are append-only: record an event.corrected instead'); END;
                CREATE TABLE heads (
                    site TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    hash TEXT NOT NULL,
                    signature TEXT NOT NULL,
                    PRIMARY KEY (site, seq)
                ) STRICT;
                CREATE TRIGGER heads_append_only_update BEFORE UPDATE ON heads
                    BEGIN SELECT RAISE(ABORT, 'signed heads are append-only'); END;
                CREATE TRIGGER heads_append_only_delete BEFORE DELETE ON heads
                    BEGIN SELECT RAISE(ABORT, 'signed heads are append-only'); END;
                CREATE TABLE fork_evidence (
                    site TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    recorded_hash TEXT NOT NULL,
                    incoming_hash TEXT NOT NULL,
                    incoming_body BLOB NOT NULL,
                    bundle TEXT NOT NULL,
                    detected_at TEXT NOT NULL,
                    PRIMARY KEY (site, seq, incoming_hash)
                ) STRICT;
                CREATE TABLE projections (
                    patient TEXT PRIMARY KEY NOT NULL,
                    state BLOB NOT NULL
                ) STRICT;
                CREATE TABLE projections_stale (
                    patient TEXT PRIMARY KEY NOT NULL
                ) STRICT;
                """)
        }
        m.registerMigration("v2") { db in
            // Replays, exports and status read every fact column of a patient's events, patient by patient.
            // An index holding all of them in patient order answers those reads from its own pages (dozens
            // of events per page read) instead of one scattered table page per event: a full replay of a
            // million events reads about 150 MB in order instead of 900 MB at random. It replaces
            // events_by_patient (patient, occurred_at), which is its prefix. Keep it covering
            // ``ProjectionRows/columns`` (a test checks the query plans).
            try db.execute(sql: """
                DROP INDEX events_by_patient;
                CREATE INDEX events_facts_by_patient ON events (patient, occurred_at, id, type, recorded_at, site, seq, clock, clock_sum,
                    author, daily_dose_mcg, bolus_mcg, concentration, volume_ml, residual_ml, reservoir_ml, low_alarm_ml, next_refill_due,
                    grade, serious, label, label2, ref, action, refs);
                """)
        }
        m.registerMigration("hardening-signed-pins") { db in
            // Every pinned key carries this site's signature (see ``PinRecord``): an edit of the file alone cannot
            // swap the key of a site and re-sign its history unnoticed. Pins made before this migration stay
            // unsigned, and `verify` reports them until `sites trust` signs them. A fingerprint trusted by hand
            // (`sites trust`) before the site's key was ever seen waits in trusted_sites, signed the same way.
            try db.execute(sql: """
                ALTER TABLE sites ADD COLUMN pin_signature TEXT;
                ALTER TABLE sites ADD COLUMN pinned_how TEXT;
                CREATE TABLE trusted_sites (
                    site TEXT PRIMARY KEY NOT NULL,
                    fingerprint TEXT NOT NULL,
                    trusted_at TEXT NOT NULL,
                    signature TEXT NOT NULL
                ) STRICT;
                """)
        }
        m.registerMigration("hardening-ids-per-site") { db in
            // An event id is unique per site, not across the network: the same client id appended at two sites
            // must never block replication (both events are kept; projections count an identical submission once
            // and status raises `id-collision`, see ``EffectiveEvents``). SQLite cannot drop a column's UNIQUE, so
            // the table is rebuilt from its own stored definition (columns other migrations added included), its
            // rows copied column by column as PRAGMA table_info lists them, and its indexes and triggers re-created.
            try rebuildEventsWithIDsPerSite(db)
            // Validation, amends and corrections look events up by id alone: UNIQUE (site, id) cannot serve them.
            try db.execute(sql: "CREATE INDEX events_by_id ON events (id)")
        }
        m.registerMigration("server-users") { db in
            // Who may use the site server (issue 13). Append-only: a user is added or revoked by a new row
            // naming who did it and when; the current users are the fold of the rows. Tokens only as SHA-256.
            try db.execute(sql: """
                CREATE TABLE users_log (
                    rowid INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    action TEXT NOT NULL CHECK (action IN ('add', 'revoke')),
                    role TEXT,
                    token_sha256 TEXT,
                    by TEXT NOT NULL,
                    at TEXT NOT NULL
                ) STRICT;
                CREATE TRIGGER users_log_append_only_update BEFORE UPDATE ON users_log
                    BEGIN SELECT RAISE(ABORT, 'users are append-only: add or revoke instead'); END;
                CREATE TRIGGER users_log_append_only_delete BEFORE DELETE ON users_log
                    BEGIN SELECT RAISE(ABORT, 'users are append-only: add or revoke instead'); END;
                """)
        }
        m.registerMigration("server-access-log") { db in
            // Every server request reading or writing patient data (issue 13): append-only and hash-chained,
            // each entry's hash over the previous hash and the entry's canonical JSON (checked by verify).
            try db.execute(sql: """
                CREATE TABLE access_log (
                    rowid INTEGER PRIMARY KEY,
                    entry BLOB NOT NULL,
                    user TEXT,
                    patient TEXT,
                    at TEXT NOT NULL,
                    prev TEXT NOT NULL,
                    hash TEXT NOT NULL
                ) STRICT;
                CREATE TRIGGER access_log_append_only_update BEFORE UPDATE ON access_log
                    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
                CREATE TRIGGER access_log_append_only_delete BEFORE DELETE ON access_log
                    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
                CREATE TABLE peer_sync (
                    peer TEXT PRIMARY KEY NOT NULL,
                    site TEXT,
                    last_success TEXT,
                    last_attempt TEXT,
                    last_error TEXT
                ) STRICT;
                """)
        }
        m.registerMigration("hardening-quarantine") { db in
            // Imported events that failed the checks against their causal past: kept in the chain (the site's
            // later events still import), left out of every projection, shown as an `event-quarantined` alert.
            try db.execute(sql: """
                CREATE TABLE quarantine (
                    site TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    event_id TEXT NOT NULL,
                    patient TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    detected_at TEXT NOT NULL,
                    PRIMARY KEY (site, seq)
                ) STRICT;
                CREATE INDEX quarantine_by_patient ON quarantine (patient);
                CREATE TRIGGER quarantine_append_only_update BEFORE UPDATE ON quarantine
                    BEGIN SELECT RAISE(ABORT, 'the quarantine is append-only'); END;
                CREATE TRIGGER quarantine_append_only_delete BEFORE DELETE ON quarantine
                    BEGIN SELECT RAISE(ABORT, 'the quarantine is append-only'); END;
                """)
        }
        m.registerMigration("hardening-application-id") { db in
            // Marks the file as a ledger in its SQLite header, so that `open` recognizes ledgers (and refuses
            // other files) before it writes anything (see LedgerFile).
            try db.execute(sql: "PRAGMA application_id = \(LedgerFile.applicationID)")
        }
        m.registerMigration("perf-corrections-index") { db in
            // Every append asks, for each patient it touches, whether the patient has a correction (the history
            // gate, LedgerStore+HistoryGate). Without this index that walks all of the patient's entries in
            // events_facts_by_patient, which grows with the ledger; corrections are few, so it costs little.
            try db.execute(sql: "CREATE INDEX events_corrections ON events (patient) WHERE type = 13")
        }
        m.registerMigration("perf-one-id-index") { db in
            // Ids were indexed twice: UNIQUE (site, id) for the rule, events_by_id (id) for the lookups by id alone.
            // UNIQUE (id, site) does both (a lookup by id alone reads its prefix): every append and import writes one
            // index fewer, verify's integrity check reads one fewer, and the file is about 50 bytes per event smaller.
            // The table is rebuilt as in hardening-ids-per-site.
            try rebuildEvents(db, edits: [("UNIQUE (site, id)", "UNIQUE (id, site)")], dropping: ["events_by_id"])
        }
        return m
    }

    /// Rebuilds `events` with `UNIQUE (site, id)` in place of the column constraint `id ... UNIQUE`.
    static func rebuildEventsWithIDsPerSite(_ db: Database) throws {
        try rebuildEvents(db, edits: [("id TEXT NOT NULL UNIQUE,", "id TEXT NOT NULL,"), ("UNIQUE (site, seq)", "UNIQUE (site, seq),\n    UNIQUE (site, id)")],
                          dropping: [])
    }

    /// Rebuilds `events` from its own stored definition with each edit made (each `old` text must be in it), its rows
    /// copied column by column as `PRAGMA table_info` lists them, and its indexes and triggers re-created, but for
    /// the indexes named in `dropping`. SQLite cannot change a table's constraints in place.
    static func rebuildEvents(_ db: Database, edits: [(old: String, new: String)], dropping: Set<String>) throws {
        guard let table = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'") else {
            throw StoreError("the ledger has no events table: it is damaged")
        }
        // A table renamed by an earlier rebuild is stored with its name quoted.
        guard let head = ["CREATE TABLE events (", "CREATE TABLE \"events\" ("].first(where: { table.hasPrefix($0) }),
              edits.allSatisfy({ table.contains($0.old) }) else {
            throw StoreError("the events table is not in the form this migration expects (\(table.prefix(80))…): the ledger was changed outside therapy-ledger")
        }
        var rebuilt = "CREATE TABLE events_rebuilt (" + table.dropFirst(head.count)
        for edit in edits { rebuilt = rebuilt.replacingOccurrences(of: edit.old, with: edit.new) }
        let others = try Row.fetchAll(db, sql: """
            SELECT name, sql FROM sqlite_master WHERE tbl_name = 'events' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name
            """).compactMap { row -> String? in dropping.contains(row[0] as String) ? nil : row[1] }
        let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(events)").map { row -> String in
            let name: String = row["name"]
            return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ", ")
        try db.execute(sql: rebuilt)
        try db.execute(sql: "INSERT INTO events_rebuilt (\(columns)) SELECT \(columns) FROM events")
        try db.execute(sql: "DROP TABLE events")
        try db.execute(sql: "ALTER TABLE events_rebuilt RENAME TO events")
        for statement in others { try db.execute(sql: statement) }
    }
}
