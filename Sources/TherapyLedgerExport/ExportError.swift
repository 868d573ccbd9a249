/// Why an export could not run (bad arguments, unknown patient, unwritable output).
public struct ExportError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What was wrong and what to do.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
