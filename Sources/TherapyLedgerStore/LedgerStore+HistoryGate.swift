import GRDB
import TherapyLedgerCore

extension LedgerStore {
    /// After a batch's events are inserted (in the append transaction): refuses the batch when a patient's
    /// effective history now holds a state that cannot exist (see ``HistoryCheck``) that it did not hold
    /// before. Only patients with a correction need the check: without one, batch validation has already
    /// checked every event against the history it joins.
    func checkHistories(of entries: [BatchValidator.Entry], _ db: Database) throws {
        let fresh = entries.filter { !$0.isDuplicate }
        guard !fresh.isEmpty else { return }
        var lineOf: [String: Int] = [:]
        var correctionLines: [String: [Int]] = [:]
        var patients: [String] = []
        var seen = Set<String>()
        for e in fresh {
            lineOf[e.id] = e.line
            if seen.insert(e.submission.patient).inserted { patients.append(e.submission.patient) }
            if e.submission.type == .eventCorrected { correctionLines[e.submission.patient, default: []].append(e.line) }
        }
        let hasCorrection = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_corrections WHERE patient = ? AND type = \(EventType.eventCorrected.code))")
        var errors: [FieldError] = []
        for patient in patients {
            if correctionLines[patient] == nil, !(try Bool.fetchOne(hasCorrection, arguments: [patient]) ?? false) { continue }
            let all = try ProjectionRows.events(patient: patient, db)
            let before = EffectiveEvents(all.filter { lineOf[$0.id] == nil })
            for p in HistoryCheck.introduced(before: before, after: EffectiveEvents(all)) {
                // A problem at a new event is that line's; one at an older event follows from the batch's corrections.
                if let line = lineOf[p.eventID] {
                    errors.append(FieldError(line: line, field: "occurredAt", message: "with the corrections in force, \(p.rule) (patient \(patient))"))
                } else {
                    let lines = correctionLines[patient] ?? []
                    errors.append(FieldError(line: lines.first, field: "data.target",
                                             message: "this correction leaves an impossible history for patient \(patient): at the \(p.type.rawValue) \(p.eventID) (\(p.occurredAt.iso8601)), \(p.rule). Correct or void that event first"))
                }
            }
        }
        if !errors.isEmpty { throw BatchRejected(errors: errors) }
    }
}
