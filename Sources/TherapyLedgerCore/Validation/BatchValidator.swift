/// Validates a batch of submissions as a whole against the ledger: every line's own rules, then the
/// rules between events (enrolment, correction targets, duplicates, reservoir capacity). Lines may
/// come in any order: a line may refer to a later line of the same batch. Two passes: ``BatchFacts``
/// collects what the batch defines, ``BatchChecker`` checks each line with it (a streamed batch runs the
/// same passes chunk by chunk, reading its input twice).
public enum BatchValidator {
    /// One accepted line: its submission and whether it is new or repeats an event already recorded.
    public struct Entry: Sendable {
        /// The 1-based line number in the input.
        public var line: Int
        public var submission: Submission
        /// The id the event has or will have (generated when the submission has none).
        public var id: String
        /// True when an identical event with this id is already recorded (or earlier in the batch).
        public var isDuplicate: Bool
    }

    /// Parses and validates JSON Lines. Blank lines are skipped but counted. Throws ``BatchRejected`` with
    /// every error found; on success returns the entries in input order.
    public static func validate(
        jsonLines: [UInt8], context: some LedgerContext, now: Timestamp, newID: () -> String
    ) throws -> [Entry] {
        let lines = splitLines(jsonLines)
        return try validate(parsed: lines.map { parseLine($0.bytes, line: $0.line, now: now) }, context: context, newID: newID)
    }

    /// The non-blank lines of JSON Lines input with their 1-based numbers (a trailing CR is dropped).
    public static func splitLines(_ bytes: [UInt8]) -> [(line: Int, bytes: ArraySlice<UInt8>)] {
        var out: [(line: Int, bytes: ArraySlice<UInt8>)] = []
        var lineNumber = 0
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            var slice = bytes[start..<end]
            if slice.last == 0x0D { slice = slice.dropLast() }
            if slice.contains(where: { $0 != 0x20 && $0 != 0x09 }) { out.append((lineNumber, slice)) }
            if end >= bytes.count { break }
            start = end + 1
        }
        return out
    }

    /// Parses and validates one line on its own (pure: lines can be parsed in parallel).
    public static func parseLine(_ bytes: ArraySlice<UInt8>, line: Int, now: Timestamp) -> Result<(line: Int, submission: Submission), BatchRejected> {
        guard bytes.count <= Submission.Limits.maxLineBytes else { return lineTooLong(bytes.count, line: line) }
        // Most lines are plain submissions: read straight into their fields. The rest, and every error, go the general way.
        if let s = bytes.withUnsafeBufferPointer({ SubmissionScanner.submission($0, line: line, now: now) }) { return .success((line, s)) }
        return parseLineInGeneral(bytes, line: line, now: now)
    }

    /// ``parseLine(_:line:now:)`` by the JSON value model: the path that words every error (and the reference its
    /// fast path is tested against).
    static func parseLineInGeneral(_ bytes: ArraySlice<UInt8>, line: Int, now: Timestamp) -> Result<(line: Int, submission: Submission), BatchRejected> {
        do {
            let value = try JSONParser.parse(bytes)
            return Submission.parse(value, line: line, now: now).map { (line, $0) }.mapError {
                var partial = PartialSubmission(value, line: line)
                partial?.invalidFields = Set($0.errors.map(\.field))
                return BatchRejected(errors: $0.errors, partial: partial)
            }
        } catch {
            return .failure(BatchRejected(errors: [FieldError(line: line, field: "", message: error.description)]))
        }
    }

    /// What ``parseLine(_:line:now:)`` returns for a line of `count` bytes, longer than a submission can be
    /// (for readers that do not keep such a line).
    public static func lineTooLong(_ count: Int, line: Int) -> Result<(line: Int, submission: Submission), BatchRejected> {
        .failure(BatchRejected(errors: [FieldError(line: line, field: "", message: "the line is \(count) bytes long; a submission is at most \(Submission.Limits.maxLineBytes) bytes (is this JSON Lines, one event per line?)")]))
    }

    /// Validates lines parsed with ``parseLine(_:line:now:)`` as one batch. Lines that failed their own
    /// checks do not stop the checks against the ledger: every error of every line is reported at once.
    public static func validate(
        parsed results: [Result<(line: Int, submission: Submission), BatchRejected>], context: some LedgerContext, newID: () -> String
    ) throws -> [Entry] {
        var facts = BatchFacts()
        for r in results { try facts.add(r, newID: newID) }
        if facts.isEmpty { throw BatchRejected(errors: [FieldError(field: "", message: "no events in the input")]) }
        var checker = try BatchChecker(facts: facts, context: context)
        var entries: [Entry] = []
        for case .success(let p) in results { entries.append(try checker.check(line: p.line, p.submission).entry) }
        if !checker.errors.isEmpty { throw BatchRejected(errors: checker.errors) }
        return entries
    }

    /// Validates already-parsed submissions as one batch. `refused` are the lines of the same batch that
    /// failed their own checks: they are checked against the ledger too (unknown patient), and what they
    /// meant to record (an enrolment, a pump, an event id) keeps the other lines from reporting errors
    /// that only follow from them.
    public static func validate(
        _ parsed: [(line: Int, submission: Submission)], context: some LedgerContext, newID: () -> String,
        alongside refused: [PartialSubmission] = []
    ) throws -> [Entry] {
        var facts = BatchFacts()
        for (line, s) in parsed { try facts.add(line: line, s, newID: newID) }
        for r in refused { facts.add(refused: r) }
        var checker = try BatchChecker(facts: facts, context: context)
        var entries: [Entry] = []
        entries.reserveCapacity(parsed.count)
        for (line, s) in parsed { entries.append(try checker.check(line: line, s).entry) }
        if !checker.errors.isEmpty { throw BatchRejected(errors: checker.errors) }
        return entries
    }

    static func fmt(_ n: Double) -> String {
        var o: [UInt8] = []
        CanonicalJSON.writeNumber(n, into: &o)
        return String(decoding: o, as: UTF8.self)
    }
}
