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
    /// The `alert.acknowledged` in force, if any: the alert stays shown with its severity, ranked below unacknowledged ones.
    public var acknowledgement: Acknowledgement?

    /// Who acknowledged an alert, when, and until when.
    public struct Acknowledgement: Sendable, Hashable {
        public var eventID: String
        public var by: String?
        public var at: Timestamp
        public var until: Timestamp?
    }

    /// An alert; `acknowledgement` is set by ``PatientStatus`` from the `alert.acknowledged` events in force.
    public init(code: String, severity: Severity, eventIDs: [String], message: String, raisedAt: Timestamp, acknowledgement: Acknowledgement? = nil) {
        self.code = code
        self.severity = severity
        self.eventIDs = eventIDs
        self.message = message
        self.raisedAt = raisedAt
        self.acknowledgement = acknowledgement
    }

    /// Every alert code the projections raise (README alert table, `schemas/status.schema.json`).
    public static let codes: [String] = [
        "reservoir-empty", "reservoir-low", "low-before-refill", "refill-overdue", "refill-interval-exceeded", "refill-under-delivery",
        "refill-over-infusion", "reservoir-ran-dry", "dose-step-large", "dose-out-of-range", "serious-adverse-event-open", "delivery-problem",
        "overdose-suspected", "concentration-change", "bridge-bolus-missing", "pump-end-of-life", "pump-eri", "pump-end-of-service",
        "pump-low-reservoir-alarm", "explant-withdrawal-watch", "concurrent-programming", "concurrent-correction",
        "id-collision",
        "event-quarantined",
    ]

    /// The alert for an imported event kept in the chain but out of every projection (see ``EffectiveEvents/quarantined``).
    public static func quarantined(_ e: ProjectionEvent) -> Alert {
        Alert(code: "event-quarantined", severity: .critical, eventIDs: [e.id],
              message: "event \(e.site):\(e.seq) (\(e.type.rawValue)) is quarantined, left out of every projection: \(e.quarantineRule ?? "it failed the import checks"). "
                + "Ask site \(e.site) to correct it; the status shown is computed without it",
              raisedAt: e.recordedAt)
    }

    /// Most urgent first: severity, then when raised, then code.
    public static func urgency(_ a: Alert, _ b: Alert) -> Bool {
        if a.severity != b.severity { return a.severity > b.severity }
        if a.raisedAt != b.raisedAt { return a.raisedAt < b.raisedAt }
        if a.code != b.code { return a.code < b.code }
        return a.eventIDs.lexicographicallyPrecedes(b.eventIDs)
    }
}
