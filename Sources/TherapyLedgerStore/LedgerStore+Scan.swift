import Foundation
import GRDB
import TherapyLedgerCore

extension LedgerStore {
    /// Event types whose `data` carries text that exports need (birth year, pump serial, adverse-event
    /// description), plus corrections, whose `data.data` may amend that text.
    static let textTypes: [EventType] = [.patientEnrolled, .pumpImplanted, .pumpReplaced, .adverseEventReported, .eventCorrected]

    /// Every patient the ledger knows, in ascending id order.
    public func patientIDs() throws -> [String] {
        try db.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT patient FROM events ORDER BY patient") }
    }

    /// Transforms every patient's events on all cores and hands the results to `consume` in order.
    ///
    /// - Parameters:
    ///   - patients: the patients to read, in this order; nil reads every patient in ascending id order.
    ///   - withText: also decode `data` (``ProjectionEvent/data``) for the event types that carry text
    ///     (enrolment, implant, replacement, adverse-event report, correction); every other event keeps
    ///     `data` nil, so the cost stays close to a projection's.
    ///   - transform: runs on worker threads, one patient at a time, each with its events (fact columns).
    ///   - weight: about how many bytes a result holds; bounds what workers keep ahead of `consume`.
    ///   - consume: the results, in patient order, on the calling thread.
    ///
    /// Every worker reads the same events, even while other processes append: the events are append-only and
    /// their rowids grow with each commit, so the ledger as it stood when the scan began is exactly the rows up
    /// to the largest rowid then, and each worker reads only those (the covering index holds the rowid). No
    /// lock is taken: appends go on meanwhile. Memory stays bounded whatever the ledger's size.
    public func scanPatients<R: Sendable>(_ patients: [String]?, withText: Bool,
                                          transform: @escaping @Sendable (String, [ProjectionEvent]) throws -> R,
                                          weight: @escaping @Sendable (R) -> Int,
                                          consume: (R) throws -> Void) throws {
        let (units, last) = try db.read { db in (try Self.scanUnits(patients, workers: Self.scanWorkers, db), try Self.lastRow(db)) }
        try scan(units, upTo: last, withText: withText, transform: transform, weight: weight, consume: consume)
    }

    /// The same scan inside the caller's transaction on `db` (replay holds the write lock).
    func scanPatients<R: Sendable>(_ patients: [String]?, withText: Bool, _ db: Database,
                                   transform: @escaping @Sendable (String, [ProjectionEvent]) throws -> R,
                                   weight: @escaping @Sendable (R) -> Int,
                                   consume: (R) throws -> Void) throws {
        try scan(try Self.scanUnits(patients, workers: Self.scanWorkers, db), upTo: try Self.lastRow(db), withText: withText,
                 transform: transform, weight: weight, consume: consume)
    }

    /// How many connections read at once: one per core, at most 8 (each holds a page cache and pending results).
    static var scanWorkers: Int { min(8, ParallelMap.cores) }

    /// Runs `units` on one read-only connection per core, reading only events with `rowid <= last.rowid`.
    func scan<R: Sendable>(_ units: [PatientScanUnit], upTo last: LastRow, withText: Bool,
                           transform: @escaping @Sendable (String, [ProjectionEvent]) throws -> R,
                           weight: @escaping @Sendable (R) -> Int,
                           consume: (R) throws -> Void) throws {
        let path = self.path
        try PatientScan<R>(units: units).run(
            workers: Self.scanWorkers,
            open: {
                let queue = try DatabaseQueue(path: path, configuration: Self.readerConfiguration())
                // The same ledger file as when the scan began (not one moved into its place since).
                let id = try queue.read { db in try String.fetchOne(db, sql: "SELECT id FROM events WHERE rowid = ?", arguments: [last.rowid]) }
                guard id == last.id else {
                    throw StoreError("the ledger file \(path) was replaced while it was being read: run the command again")
                }
                return queue
            },
            read: { unit, db, body in try Self.read(unit, upTo: last.rowid, withText: withText, db, body) },
            transform: transform, weight: weight, consume: consume)
    }

    /// The last event recorded: every event recorded so far has a rowid at most its rowid.
    struct LastRow: Sendable {
        var rowid: Int64
        var id: String?
    }

    static func lastRow(_ db: Database) throws -> LastRow {
        guard let row = try Row.fetchOne(db, sql: "SELECT rowid, id FROM events ORDER BY rowid DESC LIMIT 1") else { return LastRow(rowid: 0, id: nil) }
        return LastRow(rowid: row[0], id: row[1])
    }

    /// A scan worker's connection: read-only, with a modest page cache (it reads the covering index in order).
    static func readerConfiguration() -> Configuration {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(60)
        config.label = "therapy-ledger-reader"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        return config
    }

    /// Splits the work into units of a few hundred patients, so that the workers stay busy to the end.
    /// Ranges are cut at enrolled patients' ids, and the first and last are open, so that every event
    /// falls in exactly one range.
    static func scanUnits(_ patients: [String]?, workers: Int, _ db: Database) throws -> [PatientScanUnit] {
        if let patients {
            let size = max(8, min(256, patients.count / (workers * 4)))
            return stride(from: 0, to: patients.count, by: size).map { .patients(Array(patients[$0..<min(patients.count, $0 + size)])) }
        }
        let enrolled = try String.fetchAll(db, sql: "SELECT patient FROM events WHERE type = \(EventType.patientEnrolled.code) ORDER BY patient")
        let size = max(16, min(256, enrolled.count / (workers * 4)))
        var bounds: [String] = []
        for i in stride(from: size, to: enrolled.count, by: size) where bounds.last != enrolled[i] { bounds.append(enrolled[i]) }
        var units: [PatientScanUnit] = []
        var lower: String?
        for bound in bounds {
            units.append(.range(lower: lower, upper: bound))
            lower = bound
        }
        units.append(.range(lower: lower, upper: nil))
        return units
    }

    /// The rule each quarantined event failed, by `site:seq` (empty for a ledger from before the quarantine table).
    static func quarantinedRules(_ db: Database) throws -> [String: String] {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'quarantine')")) ?? false else { return [:] }
        var out: [String: String] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT event_id, site, seq, rule FROM quarantine")) {
            out["\(row[1] as String):\(row[2] as Int64)"] = row[3]
        }
        return out
    }

    /// Reads one unit's patients on a worker's connection.
    static func read(_ unit: PatientScanUnit, upTo last: Int64, withText: Bool, _ db: Database, _ body: (String, [ProjectionEvent]) throws -> Void) throws {
        let select = "SELECT \(ProjectionRows.columns) FROM events"
        // Text lives in the body, outside the covering index: fetched by rowid for the few types that carry it.
        let bodyByRowid = withText ? try db.cachedStatement(sql: "SELECT body FROM events WHERE rowid = ?") : nil
        // Quarantined events are read with their rule: projections set them apart (see ``EffectiveEvents``).
        let quarantine = try quarantinedRules(db)
        let adjust: (inout ProjectionEvent, RawEventReader) throws -> Void = { e, reader in
            if !quarantine.isEmpty, let rule = quarantine[EffectiveEvents.key(e)] { e.quarantineRule = rule }
            guard let bodyByRowid, textTypes.contains(e.type) else { return }
            guard let bytes = try Data.fetchOne(bodyByRowid, arguments: [reader.int64(ProjectionRows.rowidColumn)]),
                  let value = try? JSONParser.parse(Array(bytes)) else {
                throw StoreError("a stored event (\(e.id)) is not valid JSON: run `therapy-ledger verify`")
            }
            e.data = value["data"]
        }
        switch unit {
        case .range(let lower, let upper):
            var conditions = ["rowid <= ?"]
            var arguments: [DatabaseValueConvertible] = [last]
            if let lower { conditions.append("patient >= ?"); arguments.append(lower) }
            if let upper { conditions.append("patient < ?"); arguments.append(upper) }
            let filter = " WHERE " + conditions.joined(separator: " AND ")
            let statement = try db.cachedStatement(sql: select + filter + " ORDER BY patient")
            statement.setUncheckedArguments(StatementArguments(arguments))
            var reader = RawEventReader(statement)
            try reader.forEachPatient(adjust: adjust, body)
        case .patients(let list):
            let statement = try db.cachedStatement(sql: select + " WHERE patient = ? AND rowid <= ?")
            for patient in list {
                statement.setUncheckedArguments([patient, last])
                var reader = RawEventReader(statement)
                var events: [ProjectionEvent] = []
                try reader.forEachPatient(adjust: adjust) { _, read in events = read }
                try body(patient, events)
            }
        }
    }
}
