/// Errors of the ledger store: what went wrong, with the file and what to do.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and what to do about it.
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
