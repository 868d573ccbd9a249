import Foundation
import GRDB
import TherapyLedgerCore

/// One request to the site server that read or wrote patient data (or tried to).
public struct AccessEntry: Sendable, Hashable {
    /// When the request was answered (UTC).
    public var at: Timestamp
    /// The authenticated user; nil when authentication failed.
    public var user: String?
    public var role: String?
    /// What was asked, e.g. `status`, `timeline`, `append`, `export`, `worklist`.
    public var action: String
    /// The patient concerned, when one is.
    public var patient: String?
    /// The export kind and filter, or the number of events appended.
    public var detail: String?
    /// The HTTP status answered.
    public var outcome: Int
    /// The client's address.
    public var remote: String?
    /// The entry's hash in the chain (set when read back).
    public var hash: String = ""

    public init(at: Timestamp, user: String?, role: String?, action: String, patient: String? = nil, detail: String? = nil,
                outcome: Int, remote: String?) {
        self.at = at
        self.user = user
        self.role = role
        self.action = action
        self.patient = patient
        self.detail = detail
        self.outcome = outcome
        self.remote = remote
    }

    /// The entry as JSON (without its hash): the bytes that are stored and chained.
    public var json: JSONValue {
        var o: [String: JSONValue] = ["at": .string(at.iso8601), "action": .string(action), "outcome": .number(Double(outcome))]
        if let user { o["user"] = .string(user) }
        if let role { o["role"] = .string(role) }
        if let patient { o["patient"] = .string(patient) }
        if let detail { o["detail"] = .string(detail) }
        if let remote { o["remote"] = .string(remote) }
        return .object(o)
    }

    /// The entry with its hash, as one canonical JSON line (`access-log --json` and GET /api/v1/access-log).
    public var jsonLine: [UInt8] {
        guard case .object(var o) = json else { return [] }
        o["hash"] = .string(hash)
        return CanonicalJSON.encode(.object(o)) + [0x0A]
    }

    init?(json: JSONValue, hash: String) {
        guard case .object(let o) = json, let at = o["at"]?.stringValue.flatMap(Timestamp.parse), let action = o["action"]?.stringValue,
              case .number(let outcome)? = o["outcome"] else { return nil }
        self.init(at: at, user: o["user"]?.stringValue, role: o["role"]?.stringValue, action: action, patient: o["patient"]?.stringValue,
                  detail: o["detail"]?.stringValue, outcome: Int(outcome), remote: o["remote"]?.stringValue)
        self.hash = hash
    }
}

extension LedgerStore {
    /// Appends entries to the access log in one transaction, each chained to the one before.
    public func appendAccessLog(_ entries: [AccessEntry]) throws {
        guard !entries.isEmpty else { return }
        try db.write { db in
            var prev = try String.fetchOne(db.cachedStatement(sql: "SELECT hash FROM access_log ORDER BY rowid DESC LIMIT 1")) ?? ChainHash.genesis
            let insert = try db.cachedStatement(sql: "INSERT INTO access_log (entry, user, patient, at, prev, hash) VALUES (?, ?, ?, ?, ?, ?)")
            for e in entries {
                let bytes = CanonicalJSON.encode(e.json)
                let hash = ChainHash.eventHash(prev: prev, canonical: bytes)
                try insert.execute(arguments: [Data(bytes), e.user, e.patient, e.at.iso8601, prev, hash])
                prev = hash
            }
        }
    }

    /// The access log, oldest first, filtered by user, patient and time (at or after `since`).
    public func accessLog(user: String? = nil, patient: String? = nil, since: Timestamp? = nil) throws -> [AccessEntry] {
        var conditions: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let user { conditions.append("user = ?"); args.append(user) }
        if let patient { conditions.append("patient = ?"); args.append(patient) }
        if let since { conditions.append("at >= ?"); args.append(since.iso8601) }
        let sql = "SELECT entry, hash FROM access_log" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY rowid"
        return try db.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).compactMap { row -> AccessEntry? in
                let bytes: Data = row[0]
                return (try? JSONParser.parse(Array(bytes))).flatMap { AccessEntry(json: $0, hash: row[1]) }
            }
        }
    }

    /// Problems with the access log's chain: an entry edited, removed or inserted below SQLite.
    static func accessLogProblems(_ db: Database) throws -> [VerificationProblem] {
        var problems: [VerificationProblem] = []
        var expected = ChainHash.genesis
        for row in try Row.fetchAll(db, sql: "SELECT rowid, entry, user, patient, at, prev, hash FROM access_log ORDER BY rowid") {
            let rowid: Int64 = row[0]
            let bytes: Data = row[1]
            let prev: String = row[5], hash: String = row[6]
            let place = "access log entry \(rowid)"
            if prev != expected {
                problems.append(VerificationProblem(message: "\(place): does not follow the entry before it (an entry was removed or inserted)"))
            }
            if ChainHash.eventHash(prev: prev, canonical: Array(bytes)) != hash {
                problems.append(VerificationProblem(message: "\(place): its hash does not match its contents (the entry was edited)"))
            }
            let parsed = (try? JSONParser.parse(Array(bytes))).flatMap { AccessEntry(json: $0, hash: hash) }
            if let e = parsed {
                if e.user != (row[2] as String?) || e.patient != (row[3] as String?) || e.at.iso8601 != (row[4] as String) {
                    problems.append(VerificationProblem(message: "\(place): its user, patient or time columns disagree with the entry"))
                }
            } else {
                problems.append(VerificationProblem(message: "\(place): not a readable entry"))
            }
            expected = hash
        }
        return problems
    }
}
