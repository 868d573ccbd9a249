/// Why a bundle was refused. Nothing was written (fork evidence aside): the message names the site and
/// the missing or bad range, and what to do.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
