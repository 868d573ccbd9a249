import Foundation
import GRDB
import TherapyLedgerCore

extension LedgerStore {
    /// Calls `body` with each recorded event's JSON line (canonical bytes with `hash`), in per-site order
    /// (site, then seq), optionally only one patient's or one site's.
    public func forEachRecordedLine(patient: String? = nil, site: String? = nil, _ emit: ([UInt8]) throws -> Void) throws {
        try db.read { db in
            var sql = "SELECT body, hash FROM events"
            var conditions: [String] = []
            var args: [any DatabaseValueConvertible] = []
            if let patient { conditions.append("patient = ?"); args.append(patient) }
            if let site { conditions.append("site = ?"); args.append(site) }
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY site, seq"
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(args))
            while let row = try cursor.next() {
                let body: Data = row[0]
                let hash: String = row[1]
                try emit(Self.lineWithHash(Array(body), hash: hash))
            }
        }
    }

    /// Inserts `"hash":"…"` into canonical bytes at its sorted position (after `"data"`, before `"id"`),
    /// keeping the result canonical without re-serializing the event.
    static func lineWithHash(_ canonical: [UInt8], hash: String) -> [UInt8] {
        // Top-level keys in canonical order: author, clock, data, id, ...: `hash` goes just before `,"id":`.
        guard let i = CanonicalJSON.topLevelMemberOffset("id", in: canonical) else { return canonical }
        return Array(canonical[..<i]) + Array(",\"hash\":\"\(hash)\"".utf8) + canonical[i...]
    }

    /// The events of one patient as recorded, in per-site order.
    public func recordedEvents(patient: String) throws -> [RecordedEvent] {
        try db.read { db in
            try Self.decodeRows(db, sql: "SELECT body FROM events WHERE patient = ? ORDER BY site, seq", arguments: [patient])
        }
    }

    static func decodeRows(_ db: Database, sql: String, arguments: StatementArguments) throws -> [RecordedEvent] {
        var out: [RecordedEvent] = []
        let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
        for row in rows {
            let body: Data = row[0]
            switch RecordedEvent.decode(Array(body), targetType: { try? Self.type(of: $0, db) }) {
            case .success(let e): out.append(e)
            case .failure(let e): throw StoreError("a stored event cannot be decoded (\(e.message)): run `therapy-ledger verify`")
            }
        }
        return out
    }

    static func type(of id: String, _ db: Database) throws -> EventType? {
        guard let code = try Int.fetchOne(db.cachedStatement(sql: "SELECT type FROM events WHERE id = ?"), arguments: [id]) else { return nil }
        return EventType(code: code)
    }

    /// Whether the ledger knows this patient (any event names it).
    public func knowsPatient(_ patient: String) throws -> Bool {
        try db.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM events WHERE patient = ?)", arguments: [patient]) ?? false
        }
    }
}
