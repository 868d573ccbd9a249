import Foundation
import GRDB
import TherapyLedgerCore

/// A ledger: one site's SQLite event store with its signing key beside it.
///
/// Opened once per process. Every write is one `BEGIN IMMEDIATE` transaction in WAL mode with a
/// busy timeout, so several processes can append at once and still get contiguous seqs. Opened for writing,
/// the ledger is a pool of connections: one writer and several read-only readers, each read a snapshot of
/// the last commit, so that reads (a server's status, timeline, worklist, export and verify requests) run in
/// parallel with each other and with the writes. Opened read-only, it is one read-only connection.
public final class LedgerStore: Sendable {
    /// The ledger file.
    public let path: String
    /// This ledger's own site.
    public let site: String
    /// The network the ledger belongs to; bundles from another network are refused.
    public let network: String
    /// A `DatabasePool` when opened for writing; a read-only `DatabaseQueue` when opened read-only.
    let db: any DatabaseWriter
    /// Where large appends and imports leave their checkpoint (nil when opened read-only).
    let deferredCheckpoint: DeferredCheckpoint?

    /// Where times and ids come from: injected so that tests and demos are deterministic.
    public struct Environment: Sendable {
        /// The current time.
        public var now: @Sendable () -> Timestamp
        /// A new event id.
        public var newID: @Sendable () -> String
        /// `count` new event ids at once, for a batch (by default `newID` called `count` times).
        public var newIDs: @Sendable (Int) -> [String]

        public init(now: @escaping @Sendable () -> Timestamp, newID: @escaping @Sendable () -> String,
                    newIDs: (@Sendable (Int) -> [String])? = nil) {
            self.now = now
            self.newID = newID
            self.newIDs = newIDs ?? { count in (0..<count).map { _ in newID() } }
        }

        /// The wall clock and random time-ordered UUIDs (a batch's random bits drawn at once, see ``EventIDs``).
        public static let live = Environment(
            now: { Timestamp(seconds: Int64(Date().timeIntervalSince1970.rounded(.down))) },
            newID: { EventIDs.live(1)[0] },
            newIDs: { EventIDs.live($0) })
    }

    public let environment: Environment

    static func configuration() -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(60)
        config.journalMode = .wal
        config.foreignKeysEnabled = false
        config.label = "therapy-ledger"
        // Readers of the pool (opened when first needed): enough for a server's concurrent reads on every core.
        config.maximumReaderCount = max(4, 2 * ProcessInfo.processInfo.activeProcessorCount)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // 64 MiB of page cache: validation looks up ids and patients all over a large ledger.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        return config
    }

    /// Creates a new ledger for `site` in `network`, and its key file beside it. Refuses to overwrite either.
    @discardableResult
    public static func create(at path: String, site: String, network: String, environment: Environment = .live) throws -> LedgerStore {
        guard Identifiers.isSiteName(site) else {
            throw StoreError("invalid site name \"\(site)\": use 1-32 of lowercase letters, digits and '-'")
        }
        guard Identifiers.isSiteName(network) else {
            throw StoreError("invalid network name \"\(network)\": use 1-32 of lowercase letters, digits and '-'")
        }
        let keyPath = SiteKey.path(forLedger: path)
        // lstat, not fileExists: a symbolic link (even a dangling one) is something init did not create.
        for p in [path, keyPath, path + "-wal", path + "-shm"] where OutputFile.kind(of: p) != .absent {
            throw StoreError("\(p) already exists: init never overwrites a ledger, its key or anything else at that path (choose another --ledger path)")
        }
        let key = try SiteKey.create(at: keyPath)
        do {
            try createEmptyFile(at: path)
            let pool = try DatabasePool(path: path, configuration: configuration())
            try Schema.migrator.migrate(pool)
            try pool.write { db in
                try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('site', ?), ('network', ?), ('format', '1')", arguments: [site, network])
                try insertPin(site: site, publicKeyHex: key.publicKeyHex, how: .own, owner: site, network: network, ownKey: key,
                              now: environment.now().iso8601, db)
            }
            return LedgerStore(path: path, site: site, network: network, db: pool, environment: environment)
        } catch {
            // Only what this call created: the paths were all absent when it started.
            for p in [path, path + "-wal", path + "-shm", keyPath] { unlink(p) }
            throw error
        }
    }

    /// A connection of its own that only checkpoints the ledger's write-ahead log (``WALCheckpointer``,
    /// ``DeferredCheckpoint``): it sets up no journal mode, the ledger being in WAL mode already.
    static func checkpointConnection(_ path: String, label: String) throws -> DatabaseQueue {
        var config = configuration()
        config.label = label
        config.journalMode = .default
        return try DatabaseQueue(path: path, configuration: config)
    }

    /// The page size of a new ledger, in bytes: 16 KiB instead of SQLite's 4 KiB. An event's row is about 800 bytes,
    /// and every append inserts at random places into the patient-ordered covering index: larger pages hold more
    /// of both per page, so the B-trees are shallower and split less, and each page written or read carries more.
    /// Measured on the benchmark's 100k network against 4 KiB: appends about 10 % faster, imports about 25 %, verify
    /// about 10 %, a full replay about 20 %, the file 7 % smaller; a single patient's status unchanged at p50.
    /// A ledger keeps the page size it was created with.
    static let newLedgerPageSize = 16_384

    /// An empty SQLite file in WAL mode with ``newLedgerPageSize`` pages (the size is fixed by the first write).
    private static func createEmptyFile(at path: String) throws {
        var config = Configuration()
        config.label = "therapy-ledger.create"
        let queue = try DatabaseQueue(path: path, configuration: config)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = \(newLedgerPageSize)")
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        }
        try queue.close()
    }

    /// Opens an existing ledger. The file is identified as a ledger first, by reading it only (``LedgerFile``):
    /// another file is refused untouched. `readOnly`: for commands that only read; the ledger is opened with
    /// `SQLITE_OPEN_READONLY` and no migration runs, so a ledger on read-only media (or a 0444 file) can be
    /// verified and exported. A read-only open of a ledger that still needs a migration migrates it first when
    /// the file is writable.
    public static func open(at path: String, environment: Environment = .live, readOnly: Bool = false) throws -> LedgerStore {
        _ = try LedgerFile.identify(path)
        let queue: any DatabaseWriter
        do {
            if readOnly, let q = try readOnlyQueue(path) {
                queue = q
            } else {
                let pool = try DatabasePool(path: path, configuration: configuration())
                try Schema.migrator.migrate(pool)
                queue = pool
            }
        } catch {
            throw StoreError("cannot open the ledger \(path): \(error)")
        }
        let (site, network) = try queue.read { db -> (String?, String?) in
            (try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'site'"),
             try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'network'"))
        }
        guard let site, let network else { throw StoreError("\(path) is not a therapy ledger (no site recorded in it)") }
        return LedgerStore(path: path, site: site, network: network, db: queue, environment: environment)
    }

    /// A read-only connection, or nil when the ledger still needs a migration (which needs a writable open).
    static func readOnlyQueue(_ path: String) throws -> DatabaseQueue? {
        var config = configuration()
        config.readonly = true
        config.journalMode = .default
        let queue = try DatabaseQueue(path: path, configuration: config)
        return try queue.read { db in try Schema.migrator.hasCompletedMigrations(db) } ? queue : nil
    }

    /// Whether the ledger was opened read-only (`SQLITE_OPEN_READONLY`): every write fails.
    public var isReadOnly: Bool { db.configuration.readonly }

    init(path: String, site: String, network: String, db: any DatabaseWriter, environment: Environment) {
        self.path = path
        self.site = site
        self.network = network
        self.db = db
        self.environment = environment
        deferredCheckpoint = db.configuration.readonly ? nil : DeferredCheckpoint(path: path)
    }

    deinit {
        // A deferred checkpoint still running ends before the ledger's connections close.
        deferredCheckpoint?.wait()
    }

    /// The path of this ledger's key file.
    public var keyPath: String { SiteKey.path(forLedger: path) }

    /// This ledger's vector clock: for each site, the highest seq it holds.
    public func clock() throws -> VectorClock {
        try db.read { db in try Self.clock(db) }
    }

    /// Each site's highest seq. `GROUP BY site` would walk the whole `UNIQUE (site, seq)` index, once per append;
    /// this seeks it instead, twice per site (the next site after the last one, then its highest seq).
    static func clock(_ db: Database) throws -> VectorClock {
        var entries: [String: Int64] = [:]
        let nextSite = try db.cachedStatement(sql: "SELECT site FROM events WHERE site > ? ORDER BY site LIMIT 1")
        let lastSeq = try db.cachedStatement(sql: "SELECT MAX(seq) FROM events WHERE site = ?")
        var site = try String.fetchOne(db, sql: "SELECT MIN(site) FROM events")
        while let current = site {
            entries[current] = try Int64.fetchOne(lastSeq, arguments: [current])
            site = try String.fetchOne(nextSite, arguments: [current])
        }
        return VectorClock(entries)
    }

    /// Each known site's pinned public key (hex), by site.
    static func pinnedKeys(_ db: Database) throws -> [String: String] {
        var keys: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT site, public_key FROM sites") { keys[row[0]] = row[1] }
        return keys
    }

    /// The number of recorded events.
    public func eventCount() throws -> Int {
        try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0 }
    }
}
