import GRDB
import TherapyLedgerCore

extension LedgerStore {
    /// After a batch's events are inserted (in the append transaction): refuses the batch when a patient's
    /// effective history now holds a state that cannot exist (see ``HistoryCheck``) that it did not hold
    /// before. Only patients with a correction need the check: without one, batch validation has already
    /// checked every event against the history it joins. What it needs of the batch (its new events' lines by id,
    /// its patients, their first correction) pass 2 of validation kept (``BatchChecker``). `firstRowid`: the
    /// largest rowid before the batch's events were inserted.
    ///
    /// A patient whose new events correct nothing and change no pump in place is checked on its pump history
    /// alone (see ``PumpHistory``): the same problems, without reading and correcting its whole history, which
    /// made each batch into a large ledger cost in proportion to the ledger. Debug builds check both ways agree.
    func checkHistories(of batch: BatchChecker<StoreContext>, insertedAfter firstRowid: Int64, _ db: Database) throws {
        let patients = batch.freshPatients
        guard !patients.isEmpty else { return }
        let hasCorrection = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_corrections WHERE patient = ? AND type = \(EventType.eventCorrected.code))")
        let pumpHistory = try PumpHistory(db, insertedAfter: firstRowid)
        var errors: [FieldError] = []
        for patient in patients {
            let correctsNow = batch.firstCorrectionLine(of: patient) != nil
            if !correctsNow, !(try Bool.fetchOne(hasCorrection, arguments: [patient]) ?? false) { continue }
            let events: [ProjectionEvent]
            let problems: [HistoryCheck.Problem]
            if !correctsNow, let pumpEvents = try pumpHistory.events(of: patient) {
                events = pumpEvents
                problems = Self.introducedProblems(events, batch)
                #if DEBUG
                let whole = Self.introducedProblems(try ProjectionRows.events(patient: patient, db), batch)
                guard whole == problems else {
                    throw StoreError("the history check of patient \(patient) on its pump history found \(problems), on its whole history \(whole). This is a bug in therapy-ledger; nothing was appended, please report it")
                }
                #endif
            } else {
                events = try ProjectionRows.events(patient: patient, db)
                problems = Self.introducedProblems(events, batch)
            }
            for p in problems {
                // A problem at a new event is that line's; one at an older event follows from the batch's corrections,
                // or, in a batch without one, from a new pump event that changed the pump in place at that time.
                if let line = batch.freshLine(of: p.eventID) {
                    errors.append(FieldError(line: line, field: "occurredAt", message: "with the corrections in force, \(p.rule) (patient \(patient))"))
                } else if let line = batch.firstCorrectionLine(of: patient) {
                    errors.append(FieldError(line: line, field: "data.target",
                                             message: "this correction leaves an impossible history for patient \(patient): at the \(p.type.rawValue) \(p.eventID) (\(p.occurredAt.iso8601)), \(p.rule). Correct or void that event first"))
                } else {
                    let pumpLine = events.lazy.filter { PumpHistory.pumpTypes.contains($0.type) }.compactMap { batch.freshLine(of: $0.id) }.min()
                    errors.append(FieldError(line: pumpLine, field: "occurredAt",
                                             message: "with the corrections in force, this pump event changes the pump in place for an earlier event of patient \(patient): at the \(p.type.rawValue) \(p.eventID) (\(p.occurredAt.iso8601)), \(p.rule). Check the date, or correct that event first"))
                }
            }
        }
        if !errors.isEmpty { throw BatchRejected(errors: errors) }
    }

    /// The problems `events` (one patient's) have with the batch's new events that they had not without them.
    static func introducedProblems(_ events: [ProjectionEvent], _ batch: BatchChecker<StoreContext>) -> [HistoryCheck.Problem] {
        HistoryCheck.introduced(before: EffectiveEvents(events.filter { batch.freshLine(of: $0.id) == nil }), after: EffectiveEvents(events))
    }
}

/// What decides a patient's pump in place: its implants, replacements, explants and corrections, with the batch's
/// new events. When the batch corrects nothing of the patient's, brings none of those types, and no event read
/// shares its id with another, ``HistoryCheck`` finds the same new problems in these events as in the whole
/// history: the other events keep the pump they had (no pump event joins), so their problems stay as they were,
/// and a new event's problem depends only on the pump in place at its time, which these events decide with the
/// corrections in force (no shared id changes which event a correction applies to, or makes one a duplicate).
struct PumpHistory {
    private let statement: Statement
    private let idCount: Statement
    private let firstRowid: Int64
    private let quarantine: [String: String]
    static let pumpTypes: Set<EventType> = [.pumpImplanted, .pumpReplaced, .pumpExplanted]

    /// One patient's pump events and corrections, and its events after a rowid: from the covering index alone.
    static let sql = "SELECT \(ProjectionRows.columns) FROM events INDEXED BY events_facts_by_patient WHERE patient = ? AND (type IN ("
        + (pumpTypes.map(\.code) + [EventType.eventCorrected.code]).sorted().map(String.init).joined(separator: ", ") + ") OR rowid > ?)"

    init(_ db: Database, insertedAfter firstRowid: Int64) throws {
        statement = try db.cachedStatement(sql: Self.sql)
        idCount = try db.cachedStatement(sql: "SELECT count(*) FROM events WHERE id = ?")
        self.firstRowid = firstRowid
        quarantine = try LedgerStore.quarantinedRules(db)
    }

    /// The patient's pump events and corrections with the batch's new events, or nil when they do not decide
    /// (a new event is a pump event, or an event other than a correction shares its id).
    func events(of patient: String) throws -> [ProjectionEvent]? {
        statement.setUncheckedArguments([patient, firstRowid])
        var reader = RawEventReader(statement)
        var events: [ProjectionEvent] = []
        var isNew: [Bool] = []
        try reader.forEachPatient(adjust: { e, row in
            if !quarantine.isEmpty, let rule = quarantine[EffectiveEvents.key(e)] { e.quarantineRule = rule }
            isNew.append(row.int64(ProjectionRows.rowidColumn) > firstRowid)
        }) { _, read in events = read }
        for (e, new) in zip(events, isNew) where e.type != .eventCorrected {
            if new && Self.pumpTypes.contains(e.type) { return nil }
            guard try Int.fetchOne(idCount, arguments: [e.id]) == 1 else { return nil }
        }
        return events
    }
}
