/// Pass 1 of batch validation: what a whole batch defines, collected line by line and kept compact, so that a
/// batch can be streamed (pass 2, ``BatchChecker``, checks each line against the ledger and these facts).
///
/// Lines may come in any order, so a line may refer to a later line: the ids of every parsed line (with the
/// first line, type and patient of each), the batch's enrolments, pumps and explants per patient, and what the
/// lines refused on their own meant to define. Pass 1 needs no ledger. It computes a content digest only for enrolments
/// (whether one repeats an event decides whether it enrols); whether another line repeats an event is decided in
/// pass 2, where the lines are read again: a repeat only adds to the batch's pumps and explants what is already
/// there (the same content), so pass 1 need not know.
public struct BatchFacts: Sendable {
    /// Every parsed line's id, first occurrence first.
    var ids = BatchIDTable()
    /// The batch's patients, in order of first appearance, and their indexes.
    var patients: [String] = []
    var patientIndex: [String: UInt32] = [:]

    /// A parsed `patient.enrolled` line: whether it enrols is decided against the ledger (``BatchChecker``).
    struct Enrolment: Sendable {
        var line: Int
        /// The line's place among the parsed lines (0-based).
        var ordinal: Int
        var patient: UInt32
        var entry: Int
        var isFirst: Bool
        var hasOwnID: Bool
        var digest: Digest32
    }
    var enrolments: [Enrolment] = []
    /// The content digest of each enrolment line that is an id's first occurrence, by entry.
    var enrolmentDigests: [Int: Digest32] = [:]
    var pumps: [UInt32: [(at: Timestamp, reservoirMl: Double)]] = [:]
    var explants: [UInt32: [Timestamp]] = [:]
    /// The lines refused by their own checks, in line order, and their errors.
    var refused: [PartialSubmission] = []
    var errors: [FieldError] = []
    /// The entry of each parsed line without an id (its generated one), in line order.
    var generated: [UInt32] = []
    /// Whether the batch has no line at all (only blank ones): nothing to append.
    public var isEmpty: Bool { parsedLines == 0 && errors.isEmpty }
    /// Parsed and refused lines so far.
    public private(set) var parsedLines = 0
    public private(set) var refusedLines = 0

    /// No lines yet.
    public init() {}

    func patient(_ index: UInt32) -> String { patients[Int(index)] }

    mutating func intern(_ patient: String) -> UInt32 {
        if let i = patientIndex[patient] { return i }
        let i = UInt32(patients.count)
        patients.append(patient)
        patientIndex[patient] = i
        return i
    }

    /// Adds one line as ``BatchValidator/parseLine(_:line:now:)`` returned it. A parsed line without an id gets
    /// `newID()`, in line order.
    public mutating func add(_ result: Result<(line: Int, submission: Submission), BatchRejected>, newID: () -> String) throws(BatchInputTooLarge) {
        switch result {
        case .success(let p): try add(line: p.line, p.submission, newID: newID)
        case .failure(let e):
            errors += e.errors
            refusedLines += 1
            if let p = e.partial { refused.append(p) }
        }
    }

    /// Adds a parsed line.
    public mutating func add(line: Int, _ s: Submission, newID: () -> String) throws(BatchInputTooLarge) {
        guard line >= 0, line < Int(UInt32.max), ids.count < Int(UInt32.max) - 1 else { throw BatchInputTooLarge(line: line) }
        let id = s.id ?? newID()
        let patient = intern(s.patient)
        let (entry, isNew) = ids.insert(id, line: UInt32(line), ordinal: UInt32(parsedLines), patient: patient, type: s.type)
        if s.id == nil { generated.append(UInt32(entry)) }
        let ordinal = parsedLines
        parsedLines += 1
        if s.type == .patientEnrolled {
            let digest = Digest32(hex: s.contentDigest(id: id))
            if isNew { enrolmentDigests[entry] = digest }
            enrolments.append(Enrolment(line: line, ordinal: ordinal, patient: patient, entry: entry, isFirst: isNew, hasOwnID: s.id != nil, digest: digest))
        }
        if s.type == .pumpImplanted || s.type == .pumpReplaced, let r = s.facts.reservoirMl {
            pumps[patient, default: []].append((s.occurredAt, r))
        }
        if s.type == .pumpExplanted { explants[patient, default: []].append(s.occurredAt) }
    }

    /// Adds a line refused by its own checks, known only by what could be read of it (for callers that
    /// have no parse errors to report).
    public mutating func add(refused partial: PartialSubmission) {
        refused.append(partial)
        refusedLines += 1
    }
}

/// A batch with more lines than its compact facts can number (4,294,967,294).
public struct BatchInputTooLarge: Error, Sendable, CustomStringConvertible {
    /// The first line that cannot be numbered.
    public var line: Int
    /// The error at `line`.
    public init(line: Int) { self.line = line }
    public var description: String {
        "line \(line): a batch holds at most \(UInt32.max - 2) lines: split the input into several batches; nothing was written"
    }
}
