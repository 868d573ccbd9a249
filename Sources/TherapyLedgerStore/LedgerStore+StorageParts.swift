import GRDB

/// What a ledger file holds, part by part (for `therapy-ledger-bench`: file bytes per event).
public struct StorageParts: Sendable {
    /// Recorded events.
    public var events: Int
    /// The whole file: pages times page size.
    public var fileBytes: Int
    /// The events table's pages (bodies, fact columns and row overhead).
    public var tableBytes: Int
    /// The canonical bytes alone (`SUM(length(body))`).
    public var bodyBytes: Int
    /// Each index of the events table with its pages' bytes, largest first. SQLite's own indexes for UNIQUE
    /// constraints are named by their columns, e.g. `UNIQUE(site, seq)`.
    public var indexes: [(name: String, bytes: Int)]
}

extension LedgerStore {
    /// The file's parts, measured with SQLite's `dbstat` table.
    public func storageParts() throws -> StorageParts {
        try db.read { db in
            let events = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0
            let body = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(length(body)), 0) FROM events") ?? 0
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            var sizes: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name") { sizes[row[0]] = row[1] }
            var indexes: [(String, Int)] = []
            for row in try Row.fetchAll(db, sql: "PRAGMA index_list(events)") {
                let name: String = row["name"]
                var label = name
                if name.hasPrefix("sqlite_autoindex_") {
                    let columns = try Row.fetchAll(db, sql: "PRAGMA index_info(\(name.quotedDatabaseIdentifier))").map { $0["name"] as String? ?? "?" }
                    label = "UNIQUE(\(columns.joined(separator: ", ")))"
                }
                indexes.append((label, sizes[name] ?? 0))
            }
            return StorageParts(events: events, fileBytes: pages * pageSize, tableBytes: sizes["events"] ?? 0, bodyBytes: body,
                                indexes: indexes.sorted { $0.1 > $1.1 })
        }
    }
}
