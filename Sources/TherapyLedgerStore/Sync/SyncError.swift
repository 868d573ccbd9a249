/// Why a bundle was refused. Nothing was written, unless ``keptForkEvidence``: the message names the site
/// and the missing or bad range, and what to do.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// Whether the refusal kept evidence of a fork signed by the forking site (rows in `fork_evidence`):
    /// then that, and only that, was written.
    public var keptForkEvidence: Bool
    public init(_ message: String) { self.init(keptForkEvidence: false, message) }
    public init(keptForkEvidence: Bool, _ message: String) {
        self.message = message
        self.keptForkEvidence = keptForkEvidence
    }
    public var description: String { message }
}
