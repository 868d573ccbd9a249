import GRDB
import TherapyLedgerCore

/// Checks imported events as `append` checks new ones, against their causal past: the same batch validator
/// (enrolment, correction and report targets, pump in place, reservoir capacity), the same history check
/// (see ``HistoryCheck``), and the recording rules (see ``ImportCheck``).
struct ImportValidation {
    let db: Database
    let receivedAt: Timestamp
    /// The ledger's answers, read once per import and kept up to date as it inserts and quarantines.
    let past: ImportPast
    /// Whether each verdict is checked against the one ``CausalPastContext``'s queries give (debug builds: every test).
    let crossChecks: Bool
    /// Patients known to have a correction (their histories need ``HistoryCheck``), cached per import.
    private var hasCorrection: [String: Bool] = [:]
    /// The events the ledger holds of each patient with a correction, read once per import and grown by
    /// ``recorded(_:quarantinedFor:)``: every event of such a patient is checked against them, and reading them again for each
    /// would make an import quadratic in the patient's history.
    private var histories: [String: [ProjectionEvent]] = [:]
    /// For each patient with a correction, the problems of its effective history with the last event checked, and
    /// the events that history was built from: the next event's problems before it, when that event has seen exactly
    /// those. Only the problems are kept, not the effective events, so that an import's memory stays one copy of
    /// each corrected patient's history.
    private var lastChecked: [String: (events: [ImportPast.Place], problems: [HistoryCheck.Problem])] = [:]

    init(db: Database, receivedAt: Timestamp) throws {
        self.db = db
        self.receivedAt = receivedAt
        self.past = try ImportPast(db: db)
        #if DEBUG
        crossChecks = true
        #else
        crossChecks = false
        #endif
    }

    /// The rule `event` breaks (naming `site:seq`), or nil when it may join the projections. Call before inserting it.
    mutating func rule(for event: RecordedEvent) throws -> String? {
        let position = past.position(of: event)
        let rule = try verdict(event, previous: try past.previousAccepted(site: event.site, before: event.seq),
                               context: CachedPastContext(past: past, position: position), position, asBatch: false)
        if crossChecks {
            let reference = try verdict(event, previous: try CausalPastContext.previousAccepted(site: event.site, before: event.seq, db),
                                        context: CausalPastContext(db: db, position: position), position, asBatch: true)
            guard reference == rule else {
                throw StoreError("import validation's cached answers disagree with the ledger's queries for \(event.site):\(event.seq): \(rule ?? "accepted") instead of \(reference ?? "accepted"). This is a bug in therapy-ledger; nothing was imported, please report it")
            }
        }
        return rule
    }

    /// The verdict on `event` given its site's previous accepted event and the ledger as its origin had seen it.
    /// `asBatch`: validated as a batch of one line, which ``BatchValidator/validate(single:line:context:newID:)``
    /// does with the same result and less work.
    private mutating func verdict(_ event: RecordedEvent, previous: (seq: Int64, at: Timestamp)?, context: some LedgerContext,
                                  _ position: CausalPosition, asBatch: Bool) throws -> String? {
        // The site's previous accepted event: one quarantined for its time must not hold back the honest ones after it.
        if let problem = ImportCheck.recordingProblem(event, previous: previous, receivedAt: receivedAt) { return problem }
        let submission = Submission(id: event.id, type: event.type, patient: event.patient, occurredAt: event.occurredAt, author: event.author,
                                    reason: event.reason, data: event.data, facts: event.facts)
        do {
            if asBatch {
                _ = try BatchValidator.validate([(1, submission)], context: context, newID: { event.id })
            } else {
                _ = try BatchValidator.validate(single: submission, line: 1, context: context, newID: { event.id })
            }
        } catch let rejected as BatchRejected {
            return rejected.errors.map { e in e.field.isEmpty ? e.message : "\(e.field): \(e.message)" }.joined(separator: "; ")
        }
        return try historyProblem(event, position)
    }

    /// Call after inserting `event`, with its verdict: it joins the caches (and the history read for its patient,
    /// if one was read), and a rule quarantines it.
    mutating func recorded(_ event: RecordedEvent, quarantinedFor rule: String?) throws {
        histories[event.patient]?.append(Self.asRead(event))
        if let rule {
            try db.execute(sql: "INSERT INTO quarantine (event_id, site, seq, patient, rule, detected_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [event.id, event.site, event.seq, event.patient, rule, receivedAt.iso8601])
        }
        past.recorded(event, quarantined: rule != nil)
    }

    /// `event` as ``ProjectionRows/events(patient:_:)`` reads it back from the ledger: its fact columns, without its
    /// data, reason and clock, as the append's history check sees every event (so that an identical submission is
    /// recognised among them by the same fields in both). A history read before the import and grown with these
    /// stays what reading it again would give, and an import of a large bundle does not keep every corrected
    /// patient's data objects in memory.
    private static func asRead(_ event: RecordedEvent) -> ProjectionEvent {
        ProjectionEvent(id: event.id, type: event.type, patient: event.patient, occurredAt: event.occurredAt, recordedAt: event.recordedAt,
                        site: event.site, seq: event.seq, clock: VectorClock(), clockSum: event.clock.sum, facts: event.facts,
                        author: event.author)
    }

    /// A state the event's correction (or the event joining a corrected history) makes impossible.
    private mutating func historyProblem(_ event: RecordedEvent, _ position: CausalPosition) throws -> String? {
        var corrected = event.type == .eventCorrected || hasCorrection[event.patient] == true
        if !corrected, hasCorrection[event.patient] == nil {
            corrected = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_corrections WHERE patient = ? AND type = \(EventType.eventCorrected.code))"),
                                          arguments: [event.patient]) ?? false
        }
        if event.type == .eventCorrected || corrected { hasCorrection[event.patient] = true } else { hasCorrection[event.patient] = false }
        guard corrected else { return nil }
        let held: [ProjectionEvent]
        if let cached = histories[event.patient] {
            held = cached
        } else {
            held = try ProjectionRows.events(patient: event.patient, db)
            histories[event.patient] = held
        }
        let seen = held.filter { position.covers($0.site, $0.seq) }
        let before: [HistoryCheck.Problem]
        if let last = lastChecked[event.patient], last.events.count == seen.count,
           zip(last.events, seen).allSatisfy({ $0.site == $1.site && $0.seq == $1.seq }) {
            before = last.problems
        } else {
            before = HistoryCheck.problems(in: EffectiveEvents(seen))
        }
        let withEvent = seen + [Self.asRead(event)]
        let after = HistoryCheck.problems(in: EffectiveEvents(withEvent))
        lastChecked[event.patient] = (withEvent.map { ImportPast.Place(site: $0.site, seq: $0.seq) }, after)
        let introduced = HistoryCheck.introduced(before: before, after: after)
        guard let first = introduced.first else { return nil }
        return "with the corrections in force, at the \(first.type.rawValue) \(first.eventID) (\(first.occurredAt.iso8601)): \(first.rule)"
    }
}
