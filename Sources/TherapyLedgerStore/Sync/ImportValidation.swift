import GRDB
import GRDBSQLite
import TherapyLedgerCore

/// The ledger as an imported event's origin had seen it: the events its clock covers, less the quarantined
/// ones. Every receiver holds exactly these events (import refuses an event whose causal past is missing),
/// so every receiver reaches the same verdict. Answers batch validation's questions (see ``LedgerContext``).
struct CausalPastContext: LedgerContext {
    let db: Database
    /// The imported event's clock and position.
    let clock: VectorClock
    let site: String
    let seq: Int64
    let quarantined: Set<String>

    /// Whether the event at `site:seq` is in the causal past and not quarantined.
    func covers(_ site: String, _ seq: Int64) -> Bool {
        !(site == self.site && seq >= self.seq) && clock[site] >= seq && !quarantined.contains("\(site):\(seq)")
    }

    func isEnrolled(_ patient: String) throws -> Bool {
        var found = false
        try query("SELECT site, seq FROM events INDEXED BY events_enrolments WHERE patient = ? AND type = 1", patient) { s in
            if covers(RawSQLite.text(s, 0) ?? "", sqlite3_column_int64(s, 1)) { found = true }
        }
        return found
    }

    func knownEvent(_ id: String) throws -> KnownEvent? {
        var known: KnownEvent?
        try query("SELECT site, seq, type, patient, content_digest FROM events WHERE id = ?", id) { s in
            guard covers(RawSQLite.text(s, 0) ?? "", sqlite3_column_int64(s, 1)), let type = EventType(code: Int(sqlite3_column_int64(s, 2))) else { return }
            known = KnownEvent(id: id, type: type, patient: RawSQLite.text(s, 3) ?? "", contentDigest: RawSQLite.text(s, 4) ?? "")
        }
        return known
    }

    func pumps(of patient: String) throws -> [(at: Timestamp, reservoirMl: Double)] {
        var out: [(at: Timestamp, reservoirMl: Double)] = []
        try query("SELECT site, seq, occurred_at, reservoir_ml FROM events INDEXED BY events_pumps WHERE patient = ? AND type IN (3, 10)", patient) { s in
            if covers(RawSQLite.text(s, 0) ?? "", sqlite3_column_int64(s, 1)) {
                out.append((Timestamp(seconds: sqlite3_column_int64(s, 2)), sqlite3_column_double(s, 3)))
            }
        }
        return out
    }

    func explants(of patient: String) throws -> [Timestamp] {
        var out: [Timestamp] = []
        try query("SELECT site, seq, occurred_at FROM events INDEXED BY events_explants WHERE patient = ? AND type = 11", patient) { s in
            if covers(RawSQLite.text(s, 0) ?? "", sqlite3_column_int64(s, 1)) {
                out.append(Timestamp(seconds: sqlite3_column_int64(s, 2)))
            }
        }
        return out
    }

    private func query(_ sql: String, _ argument: String, _ row: (OpaquePointer) -> Void) throws {
        try RawSQLite.query(db, sql, argument, row)
    }
}

/// Checks imported events as `append` checks new ones, against their causal past: the same batch validator
/// (enrolment, correction and report targets, pump in place, reservoir capacity), the same history check
/// (see ``HistoryCheck``), and the recording rules (see ``ImportCheck``).
struct ImportValidation {
    let db: Database
    let receivedAt: Timestamp
    /// The quarantined events, as `site:seq` (loaded, then grown as the import quarantines).
    private(set) var quarantined: Set<String>
    /// Patients known to have a correction (their histories need ``HistoryCheck``), cached per import.
    private var hasCorrection: [String: Bool] = [:]
    /// The events the ledger holds of each patient with a correction, read once per import and grown by
    /// ``recorded(_:)``: every event of such a patient is checked against them, and reading them again for each
    /// would make an import quadratic in the patient's history.
    private var histories: [String: [ProjectionEvent]] = [:]

    init(db: Database, receivedAt: Timestamp) throws {
        self.db = db
        self.receivedAt = receivedAt
        self.quarantined = Set(try String.fetchAll(db, sql: "SELECT site || ':' || seq FROM quarantine"))
    }

    /// The rule `event` breaks (naming `site:seq`), or nil when it may join the projections. Call before inserting it.
    mutating func rule(for event: RecordedEvent) throws -> String? {
        // The site's previous accepted event: one quarantined for its time must not hold back the honest ones after it.
        let previous = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT seq, recorded_at FROM events e WHERE site = ? AND seq < ?
            AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.site = e.site AND q.seq = e.seq) ORDER BY seq DESC LIMIT 1
            """), arguments: [event.site, event.seq]).map { (seq: $0[0] as Int64, at: Timestamp(seconds: $0[1])) }
        if let problem = ImportCheck.recordingProblem(event, previous: previous, receivedAt: receivedAt) { return problem }
        let submission = Submission(id: event.id, type: event.type, patient: event.patient, occurredAt: event.occurredAt, author: event.author,
                                    reason: event.reason, data: event.data, facts: event.facts)
        let context = CausalPastContext(db: db, clock: event.clock, site: event.site, seq: event.seq, quarantined: quarantined)
        do {
            _ = try BatchValidator.validate([(1, submission)], context: context, newID: { event.id })
        } catch let rejected as BatchRejected {
            return rejected.errors.map { e in e.field.isEmpty ? e.message : "\(e.field): \(e.message)" }.joined(separator: "; ")
        }
        return try historyProblem(event, context)
    }

    /// Call after inserting `event`: it joins the history read for its patient, if one was read.
    mutating func recorded(_ event: RecordedEvent) {
        histories[event.patient]?.append(ProjectionEvent(event))
    }

    /// Records that `event` (inserted) is quarantined for `rule`.
    mutating func quarantine(_ event: RecordedEvent, rule: String) throws {
        try db.execute(sql: "INSERT INTO quarantine (event_id, site, seq, patient, rule, detected_at) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [event.id, event.site, event.seq, event.patient, rule, receivedAt.iso8601])
        quarantined.insert("\(event.site):\(event.seq)")
    }

    /// A state the event's correction (or the event joining a corrected history) makes impossible.
    private mutating func historyProblem(_ event: RecordedEvent, _ context: CausalPastContext) throws -> String? {
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
        let past = held.filter { context.covers($0.site, $0.seq) }
        let introduced = HistoryCheck.introduced(before: EffectiveEvents(past), after: EffectiveEvents(past + [ProjectionEvent(event)]))
        guard let first = introduced.first else { return nil }
        return "with the corrections in force, at the \(first.type.rawValue) \(first.eventID) (\(first.occurredAt.iso8601)): \(first.rule)"
    }
}
