/// What could be read of the envelope of a line that failed its own checks: enough for the batch
/// checks that depend on the ledger (unknown patient, what the batch itself enrols or implants) to
/// still run, so that a batch reports every error of every line in one pass.
public struct PartialSubmission: Sendable, Hashable {
    /// The 1-based line number in the input.
    public var line: Int?
    /// The line's id, when it is a valid UUID (lowercased).
    public var id: String?
    /// The event type, when it is a known one.
    public var type: EventType?
    /// The patient, when it is a valid patient id.
    public var patient: String?
    /// When it happened, when that is a valid time.
    public var occurredAt: Timestamp?
    /// The numbers of `data` that are positive, by field name: what the ledger checks (a refill's volumes
    /// against the reservoir) can still be checked for them.
    public var volumes: [String: Double] = [:]
    /// The fields the line's own checks already refused (not checked again).
    public var invalidFields: Set<String> = []

    /// Creates a partial envelope from its parts.
    public init(line: Int?, id: String?, type: EventType?, patient: String?, occurredAt: Timestamp?) {
        self.line = line
        self.id = id
        self.type = type
        self.patient = patient
        self.occurredAt = occurredAt
    }

    /// Reads what is valid of a submission's envelope; nil when `value` is not an object.
    public init?(_ value: JSONValue, line: Int?) {
        guard case .object(let o) = value else { return nil }
        self.line = line
        if case .string(let s)? = o["id"], Identifiers.isUUID(s) { id = s.lowercased() }
        if case .string(let s)? = o["type"] { type = EventType(rawValue: s) }
        if case .string(let s)? = o["patient"], Identifiers.isPatientID(s) { patient = s }
        if case .string(let s)? = o["occurredAt"] { occurredAt = Timestamp.parse(s) }
        if case .object(let data)? = o["data"] {
            for (key, v) in data { if case .number(let n) = v, n > 0, n.isFinite { volumes[key] = n } }
        }
    }
}
