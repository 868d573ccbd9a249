/// One thing wrong with a submitted event: where (line and field path) and what was expected.
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line of the batch, when the event came from a file.
    public var line: Int?
    /// The field path, e.g. `data.fillMl`; empty for the whole line.
    public var field: String
    /// What was wrong and what is expected.
    public var message: String

    /// Creates an error for a field.
    public init(line: Int? = nil, field: String, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var s = ""
        if let line { s += "line \(line): " }
        if !field.isEmpty { s += "\(field): " }
        return s + message
    }
}

/// A batch refused as a whole: every error found, in line order. Nothing was written.
public struct BatchRejected: Error, Sendable, CustomStringConvertible {
    /// The errors, ordered by line.
    public var errors: [FieldError]
    /// The input's name (a file path or `-`), when known.
    public var source: String?
    /// For a single line refused by its own checks: what could be read of its envelope, so that batch
    /// validation can still check it (and the other lines) against the ledger.
    public var partial: PartialSubmission?

    /// Creates the rejection.
    public init(errors: [FieldError], source: String? = nil, partial: PartialSubmission? = nil) {
        self.errors = errors.sorted { ($0.line ?? 0, $0.field) < ($1.line ?? 0, $1.field) }
        self.source = source
        self.partial = partial
    }

    public var description: String {
        let shown = errors.prefix(50)
        var lines = ["batch rejected, nothing written: \(errors.count) error\(errors.count == 1 ? "" : "s")\(source.map { " in \($0)" } ?? "")"]
        lines += shown.map { "  \($0)" }
        if errors.count > shown.count { lines.append("  ... and \(errors.count - shown.count) more") }
        return lines.joined(separator: "\n")
    }
}
