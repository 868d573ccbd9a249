import GRDB
import TherapyLedgerCore

extension LedgerStore {
    /// After a batch's events are inserted (in the append transaction): refuses the batch when a patient's
    /// effective history now holds a state that cannot exist (see ``HistoryCheck``) that it did not hold
    /// before. Only patients with a correction need the check: without one, batch validation has already
    /// checked every event against the history it joins. What it needs of the batch (its new events' lines by id,
    /// its patients, their first correction) pass 2 of validation kept (``BatchChecker``).
    func checkHistories(of batch: BatchChecker<StoreContext>, _ db: Database) throws {
        let patients = batch.freshPatients
        guard !patients.isEmpty else { return }
        let hasCorrection = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_corrections WHERE patient = ? AND type = \(EventType.eventCorrected.code))")
        var errors: [FieldError] = []
        for patient in patients {
            if batch.firstCorrectionLine(of: patient) == nil, !(try Bool.fetchOne(hasCorrection, arguments: [patient]) ?? false) { continue }
            let all = try ProjectionRows.events(patient: patient, db)
            let before = EffectiveEvents(all.filter { batch.freshLine(of: $0.id) == nil })
            for p in HistoryCheck.introduced(before: before, after: EffectiveEvents(all)) {
                // A problem at a new event is that line's; one at an older event follows from the batch's corrections.
                if let line = batch.freshLine(of: p.eventID) {
                    errors.append(FieldError(line: line, field: "occurredAt", message: "with the corrections in force, \(p.rule) (patient \(patient))"))
                } else {
                    errors.append(FieldError(line: batch.firstCorrectionLine(of: patient), field: "data.target",
                                             message: "this correction leaves an impossible history for patient \(patient): at the \(p.type.rawValue) \(p.eventID) (\(p.occurredAt.iso8601)), \(p.rule). Correct or void that event first"))
                }
            }
        }
        if !errors.isEmpty { throw BatchRejected(errors: errors) }
    }
}
