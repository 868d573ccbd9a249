import GRDB
import TherapyLedgerCore

/// One read transaction of a ledger: everything read through it sees the same commit.
///
/// The site server authenticates a request and answers it in one snapshot: a user added or revoked before the
/// read began is seen by it (by the CLI too, on the same file), and the check costs one statement instead of a
/// trip of its own to the connection pool. Valid only inside the ``LedgerStore/withSnapshot(_:)`` call that
/// gave it; never keep it.
public struct LedgerSnapshot {
    let store: LedgerStore
    let db: Database

    /// ``LedgerStore/usersVersion()`` in this snapshot.
    public func usersVersion() throws -> Int64 { try LedgerStore.usersVersion(db) }

    /// ``LedgerStore/users()`` in this snapshot.
    public func users() throws -> [LedgerUser] { try LedgerStore.users(db) }

    /// ``LedgerStore/statusJSON(patient:asOf:knownAt:)`` in this snapshot.
    public func statusJSON(patient: String, asOf: Timestamp? = nil, knownAt: Timestamp? = nil) throws -> [UInt8] {
        CanonicalJSON.encode(try store.status(patient: patient, asOf: asOf, knownAt: knownAt, db).json) + [0x0A]
    }

    /// ``LedgerStore/timelineJSONLines(patient:asOf:knownAt:)`` in this snapshot.
    public func timelineJSONLines(patient: String, asOf: Timestamp? = nil, knownAt: Timestamp? = nil) throws -> [UInt8] {
        LedgerStore.jsonLines(try store.timeline(patient: patient, asOf: asOf, knownAt: knownAt, db).map(\.json))
    }
}

extension LedgerStore {
    /// Runs `body` in one read transaction (a snapshot of the last commit, on one of the pool's readers).
    public func withSnapshot<T>(_ body: (LedgerSnapshot) throws -> T) throws -> T {
        try db.read { db in try body(LedgerSnapshot(store: self, db: db)) }
    }
}
