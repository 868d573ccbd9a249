import Foundation
import GRDB
import TherapyLedgerCore

/// A worklist line: a patient needing attention, with why.
public struct WorklistItem: Sendable {
    public var status: PatientStatus
    /// The earliest of the low-alarm, empty and refill-due dates within the window, if any.
    public var nextDate: Timestamp?
}

/// The result of rebuilding every stored projection.
public struct ReplayReport: Sendable {
    public var events: Int
    public var patients: Int
    public var seconds: Double
    public var eventsPerSecond: Double { Double(events) / max(seconds, 1e-9) }
}

extension LedgerStore {
    /// The events of one patient as projections see them (fact columns only).
    public func projectionEvents(patient: String) throws -> [ProjectionEvent] {
        try db.read { db in try ProjectionRows.events(patient: patient, db) }
    }

    /// What the CLI and the server say of a patient no event names.
    public static func unknownPatientMessage(_ patient: String) -> String {
        "unknown patient \(patient): no event in this ledger names it (check the id; `therapy-ledger log` lists what is recorded)"
    }

    func requireKnown(_ patient: String, _ events: [ProjectionEvent]) throws {
        if events.isEmpty {
            throw StoreError(Self.unknownPatientMessage(patient))
        }
    }

    /// A patient's status at `asOf` (default: now), optionally as the ledger knew it at `knownAt`.
    public func status(patient: String, asOf: Timestamp? = nil, knownAt: Timestamp? = nil) throws -> PatientStatus {
        try db.read { db in try status(patient: patient, asOf: asOf, knownAt: knownAt, db) }
    }

    /// ``status(patient:asOf:knownAt:)`` in the caller's read.
    func status(patient: String, asOf: Timestamp?, knownAt: Timestamp?, _ db: Database) throws -> PatientStatus {
        let events = try ProjectionRows.events(patient: patient, db)
        try requireKnown(patient, events)
        let foreign = try Self.foreignIDCollisions(patient: patient, knownAt: knownAt, db)
        var status = Projector.status(patient: patient, events: events, asOf: asOf ?? environment.now(), knownAt: knownAt)
        status.addForeignCollisionAlerts(foreign)
        return status
    }

    /// A patient's timeline up to `asOf` (default: everything), optionally as known at `knownAt`.
    public func timeline(patient: String, asOf: Timestamp? = nil, knownAt: Timestamp? = nil) throws -> [TimelineEntry] {
        try db.read { db in try timeline(patient: patient, asOf: asOf, knownAt: knownAt, db) }
    }

    /// ``timeline(patient:asOf:knownAt:)`` in the caller's read.
    func timeline(patient: String, asOf: Timestamp?, knownAt: Timestamp?, _ db: Database) throws -> [TimelineEntry] {
        let events = try ProjectionRows.events(patient: patient, db)
        try requireKnown(patient, events)
        return Projector.timeline(events: events, asOf: asOf, knownAt: knownAt)
    }

    /// Calls `body` with each patient's events (fact columns only), patients in ascending id order.
    public func forEachPatient(_ body: (String, [ProjectionEvent]) throws -> Void) throws {
        try scanPatients(nil, withText: false, transform: { ($0, $1) }, weight: { 64 + 256 * $0.1.count }) { try body($0.0, $0.1) }
    }

    /// Every patient with an open alert, or a low-alarm, empty or refill-due date within `days` of `asOf`,
    /// most urgent first (see ``WorklistOrder``: severity, unacknowledged first, then the projected empty time, the
    /// low-alarm time, the refill due date, the patient id).
    public func worklist(within days: Double = 14, asOf: Timestamp? = nil, knownAt: Timestamp? = nil) throws -> [WorklistItem] {
        let at = asOf ?? environment.now()
        let horizon = at.adding(days: days)
        var items: [WorklistItem] = []
        // Every patient's status on all cores; only those needing attention are kept.
        try scanPatients(nil, withText: false, transform: { patient, events -> WorklistItem? in
            let status = Projector.status(patient: patient, events: events, asOf: at, knownAt: knownAt)
            let dates = [status.lowAlarmAt, status.emptyAt, status.observedLowAlarmAt, status.observedEmptyAt, status.nextRefillDue].compactMap { $0 }.filter { $0 <= horizon }
            return !status.alerts.isEmpty || !dates.isEmpty ? WorklistItem(status: status, nextDate: dates.min()) : nil
        }, weight: { _ in 512 }) { item in
            if let item { items.append(item) }
        }
        return items.sorted { WorklistOrder.precedes($0.status, $1.status) }
    }

    /// Marks the stored projections of `patients` stale, in the caller's (append or import) transaction:
    /// O(batch), whatever the patients' history. The next read of stored projections, or `replay`,
    /// recomputes exactly the stale ones.
    func markStale(_ patients: Set<String>, _ db: Database) throws {
        let mark = try db.cachedStatement(sql: "INSERT OR IGNORE INTO projections_stale (patient) VALUES (?)")
        for patient in patients { try mark.execute(arguments: [patient]) }
    }

    /// Recomputes every stale stored projection from the events, in one transaction. Returns how many.
    @discardableResult
    public func refreshStaleProjections() throws -> Int {
        try db.write { db in
            let stale = try String.fetchAll(db, sql: "SELECT patient FROM projections_stale ORDER BY patient")
            let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO projections (patient, state) VALUES (?, ?)")
            for patient in stale {
                let events = try ProjectionRows.events(patient: patient, db)
                try upsert.execute(arguments: [patient, Data(Projector.storedProjection(patient: patient, events: events))])
            }
            try db.execute(sql: "DELETE FROM projections_stale")
            return stale.count
        }
    }

    /// Drops every stored projection and rebuilds them all from the events, in one transaction.
    public func replay() throws -> ReplayReport {
        let start = Date()
        var events = 0
        var patients = 0
        try db.write { db in
            try db.execute(sql: "DELETE FROM projections")
            try db.execute(sql: "DELETE FROM projections_stale")
            let upsert = try db.cachedStatement(sql: "INSERT INTO projections (patient, state) VALUES (?, ?)")
            // Patients are read and folded on all cores (each core its own read-only connection, reading the
            // events this transaction sees); rows are written here.
            try scanPatients(nil, withText: false, db, transform: { patient, list in
                (patient, list.count, Projector.storedProjection(patient: patient, events: list))
            }, weight: { $0.2.count + 64 }, consume: { patient, count, bytes in
                events += count
                patients += 1
                try upsert.execute(arguments: [patient, Data(bytes)])
            })
        }
        return ReplayReport(events: events, patients: patients, seconds: Date().timeIntervalSince(start))
    }

    /// The stored projections, by patient (canonical JSON of each patient's status at its last event),
    /// after refreshing any left stale by appends or imports.
    public func storedProjections() throws -> [String: [UInt8]] {
        try refreshStaleProjections()
        return try db.read { db in
            var out: [String: [UInt8]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT patient, state FROM projections") {
                out[row[0]] = Array(row[1] as Data)
            }
            return out
        }
    }
}
