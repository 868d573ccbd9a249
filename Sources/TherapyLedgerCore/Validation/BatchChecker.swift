/// Pass 2 of batch validation: each parsed line, in line order, checked against the ledger and what the whole
/// batch defines (``BatchFacts``). Creating it decides which enrolments enrol and checks the lines refused on
/// their own against the ledger; ``check(line:_:)`` then takes every parsed line again, in the same order as
/// pass 1, and returns its entry. The errors of every line accumulate in ``errors``: nothing throws for an
/// invalid line.
public struct BatchChecker<Context: LedgerContext> {
    /// What pass 1 collected; pass 2 marks which ids it records.
    public private(set) var facts: BatchFacts
    let context: Context
    /// Every error found so far (pass 1's, then this pass's), not yet sorted.
    public internal(set) var errors: [FieldError]

    var batchEnrolled: [UInt32: Int] = [:]  // patient -> line of its enrolment in the batch (-1: a refused line)
    var duplicateEnrolments: Set<Int> = []  // by ordinal
    var refusedIDs: Set<String> = []
    var refusedPumps: [UInt32: [Timestamp?]] = [:]
    var enrolledCache: [UInt32: Bool] = [:]
    /// The content digest of the first occurrence of each id given again later, once pass 2 has read it.
    var repeatDigests: [Int: Digest32] = [:]
    var nextGenerated = 0
    var checkedLines = 0

    /// The patients with new events, in order of their first one, and each one's first new correction.
    public private(set) var freshPatients: [String] = []
    var freshPatientSeen: Set<UInt32> = []
    var firstCorrectionLine: [UInt32: Int] = [:]

    /// Pass 2 begins: the enrolments and the refused lines are checked against the ledger.
    public init(facts: BatchFacts, context: Context) throws {
        self.facts = facts
        self.context = context
        self.errors = facts.errors
        try resolveEnrolments()
        try checkRefused()
        // What only pass 1 and these checks need goes; of the enrolments' digests, pass 2 needs those of ids given again.
        let ids = self.facts.ids
        self.facts.enrolments = []
        self.facts.refused = []
        self.facts.errors = []
        self.facts.enrolmentDigests = self.facts.enrolmentDigests.filter { ids.entries[$0.key].flags & BatchIDTable.Entry.repeated != 0 }
    }

    mutating func fail(_ line: Int?, _ field: String, _ message: String) {
        errors.append(FieldError(line: line, field: field, message: message))
    }

    /// Which enrolment lines repeat an event (of the batch or the ledger) and which enrol, in line order.
    private mutating func resolveEnrolments() throws {
        for e in facts.enrolments {
            let id = facts.ids.id(of: e.entry)
            var duplicate = false
            if !e.isFirst {
                let firstLine = Int(facts.ids.entries[e.entry].line)
                if facts.enrolmentDigests[e.entry] == e.digest {
                    duplicate = true
                } else {
                    fail(e.line, "id", "id \(id) is used on line \(firstLine) for different content: give each event its own id")
                }
            } else if e.hasOwnID, let known = try context.knownEvent(id) {
                if known.contentDigest == e.digest.hex {
                    duplicate = true
                } else {
                    fail(e.line, "id", "id \(id) is already recorded with different content: events are never edited, submit an event.corrected instead")
                }
            }
            if duplicate { duplicateEnrolments.insert(e.ordinal); continue }
            if let other = batchEnrolled[e.patient] {
                fail(e.line, "patient", "patient \(facts.patient(e.patient)) is enrolled twice in this batch (also line \(other))")
            } else {
                batchEnrolled[e.patient] = e.line
            }
        }
    }

    func batchPumps(_ patient: UInt32?) -> [(at: Timestamp, reservoirMl: Double)] {
        patient.flatMap { facts.pumps[$0] } ?? []
    }

    func batchExplants(_ patient: UInt32?) -> [Timestamp] {
        patient.flatMap { facts.explants[$0] } ?? []
    }

    /// Lines refused on their own: what they would have defined, and their own ledger checks.
    private mutating func checkRefused() throws {
        for r in facts.refused {
            if let id = r.id { refusedIDs.insert(id) }
            guard let patientID = r.patient, let type = r.type else { continue }
            let patient = facts.intern(patientID)
            switch type {
            case .patientEnrolled:
                if batchEnrolled[patient] == nil { batchEnrolled[patient] = -1 }
            case .pumpImplanted, .pumpReplaced:
                refusedPumps[patient, default: []].append(r.occurredAt)
            case .pumpExplanted:
                if let at = r.occurredAt { facts.explants[patient, default: []].append(at) }
            default:
                break
            }
        }
        for r in facts.refused {
            guard let patientID = r.patient, let type = r.type else { continue }
            let patient = facts.patientIndex[patientID]
            if type == .patientEnrolled {
                if try context.isEnrolled(patientID) {
                    fail(r.line, "patient", "patient \(patientID) is already enrolled in this ledger: use event.corrected to amend the enrolment")
                }
            } else if patient.flatMap({ batchEnrolled[$0] }) == nil, !(try context.isEnrolled(patientID)) {
                fail(r.line, "patient", "unknown patient \(patientID): no patient.enrolled for this id in the ledger or this batch (check the id for a typo)")
            }
            // A refill's volumes against the reservoir in place, when the line says when and that pump is known.
            if type == .reservoirRefilled, let at = r.occurredAt,
               !(patient.flatMap { refusedPumps[$0] } ?? []).contains(where: { $0.map { $0 <= at } ?? true }),
               let pump = ((try context.pumps(of: patientID)) + batchPumps(patient)).filter({ $0.at <= at }).max(by: { $0.at < $1.at }) {
                if let added = r.volumes["addedMl"], added > pump.reservoirMl, !r.invalidFields.contains("data.addedMl") {
                    fail(r.line, "data.addedMl", "adding \(BatchValidator.fmt(added)) mL overfills the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir")
                }
                if let residual = r.volumes["residualMl"], residual > pump.reservoirMl, !r.invalidFields.contains("data.residualMl") {
                    fail(r.line, "data.residualMl", "a residual of \(BatchValidator.fmt(residual)) mL is more than the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir holds")
                }
            }
        }
    }

    /// One checked line: its entry, and which of the batch's ids it has (for ``BatchIDs``).
    public struct Checked: Sendable {
        public var entry: BatchValidator.Entry
        /// The index of the line's id among the batch's ids.
        public var idIndex: Int
    }

    /// Pass 2 of one parsed line (the same lines as pass 1, in the same order). Throws
    /// ``BatchInputChanged`` when the line is not the one pass 1 read, and what the ledger context throws.
    public mutating func check(line: Int, _ original: Submission) throws -> Checked {
        var s = original
        let idIndex: Int
        if let own = s.id {
            guard let i = facts.ids.find(own) else { throw BatchInputChanged(line: line) }
            idIndex = i
        } else {
            guard nextGenerated < facts.generated.count else { throw BatchInputChanged(line: line) }
            idIndex = Int(facts.generated[nextGenerated])
            nextGenerated += 1
        }
        let ordinal = checkedLines
        checkedLines += 1
        let id = s.id ?? facts.ids.id(of: idIndex)
        let first = facts.ids.entries[idIndex]
        let isFirst = Int(first.ordinal) == ordinal
        var duplicate = false
        if s.type == .patientEnrolled {
            duplicate = duplicateEnrolments.contains(ordinal)  // decided (and any error reported) with the enrolments
        } else if !isFirst {
            let known = EventType(code: Int(first.type)) == .patientEnrolled ? facts.enrolmentDigests[idIndex] : repeatDigests[idIndex]
            guard let firstDigest = known else { throw BatchInputChanged(line: line) }
            if firstDigest == Digest32(hex: s.contentDigest(id: id)) {
                duplicate = true
            } else {
                fail(line, "id", "id \(id) is used on line \(first.line) for different content: give each event its own id")
            }
        } else {
            var digest: String?
            if first.flags & BatchIDTable.Entry.repeated != 0 {
                let d = s.contentDigest(id: id)
                repeatDigests[idIndex] = Digest32(hex: d)
                digest = d
            }
            if s.id != nil, let known = try context.knownEvent(id) {
                if known.contentDigest == (digest ?? s.contentDigest(id: id)) {
                    duplicate = true
                } else {
                    fail(line, "id", "id \(id) is already recorded with different content: events are never edited, submit an event.corrected instead")
                }
            }
        }
        if !duplicate {
            try checkReferences(line: line, &s, id: id)
            let patient = facts.ids.entries[idIndex].patient
            if isFirst { facts.ids.entries[idIndex].flags |= BatchIDTable.Entry.fresh }
            if freshPatientSeen.insert(patient).inserted { freshPatients.append(s.patient) }
            if s.type == .eventCorrected, firstCorrectionLine[patient] == nil { firstCorrectionLine[patient] = line }
        }
        return Checked(entry: BatchValidator.Entry(line: line, submission: s, id: id, isDuplicate: duplicate), idIndex: idIndex)
    }

    /// Whether pass 2 has read as many lines as pass 1 (and drawn every generated id).
    public var sawEveryLine: Bool { checkedLines == facts.parsedLines && nextGenerated == facts.generated.count }

    /// The line of the batch's new event with this id, if it is one (after pass 2).
    public func freshLine(of id: String) -> Int? {
        guard let i = facts.ids.find(id), facts.ids.entries[i].flags & BatchIDTable.Entry.fresh != 0 else { return nil }
        return Int(facts.ids.entries[i].line)
    }

    /// The first line of the batch's new corrections of `patient`, if any.
    public func firstCorrectionLine(of patient: String) -> Int? {
        facts.patientIndex[patient].flatMap { firstCorrectionLine[$0] }
    }

    /// The batch's ids, for its outcomes.
    public var ids: BatchIDs { BatchIDs(table: facts.ids) }
}

/// A line read again in pass 2 is not the one pass 1 read (the input changed while it was appended).
public struct BatchInputChanged: Error, Sendable, CustomStringConvertible {
    /// The line where pass 2 found a difference (or the last line read).
    public var line: Int
    /// The error at `line`.
    public init(line: Int) { self.line = line }
    public var description: String {
        "line \(line): the input changed while it was being appended (it is read twice): append a file that nothing else writes; nothing was written"
    }
}

/// The ids of a batch, each once: an outcome names its id by index.
public struct BatchIDs: Sendable {
    let entries: [BatchIDTable.Entry]
    let others: [String]

    init(table: BatchIDTable) {
        entries = table.entries
        others = table.others
    }

    /// The id with this index.
    public func id(_ index: Int) -> String { BatchIDTable.id(entries[index], others) }
}
