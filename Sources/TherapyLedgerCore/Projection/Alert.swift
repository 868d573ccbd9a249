/// A clinical alert: a stable code, a severity, the events behind it and a plain message.
public struct Alert: Sendable, Hashable {
    public enum Severity: String, Sendable, Comparable {
        case info, warning, critical
        var rank: Int { self == .critical ? 2 : self == .warning ? 1 : 0 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    public var code: String
    public var severity: Severity
    public var eventIDs: [String]
    public var message: String
    /// When the condition began (UTC, whole seconds).
    public var raisedAt: Timestamp

    /// Most urgent first: severity, then when raised, then code.
    public static func urgency(_ a: Alert, _ b: Alert) -> Bool {
        if a.severity != b.severity { return a.severity > b.severity }
        if a.raisedAt != b.raisedAt { return a.raisedAt < b.raisedAt }
        if a.code != b.code { return a.code < b.code }
        return a.eventIDs.lexicographicallyPrecedes(b.eventIDs)
    }
}
