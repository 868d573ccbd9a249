/// Why an export could not run; the message says what was wrong and what to do.
public struct ExportError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
