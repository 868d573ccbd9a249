/// What batch validation needs to know of the ledger it appends to. The store implements it with
/// indexed queries; tests can use ``InMemoryLedgerContext``.
public protocol LedgerContext {
    /// Whether the ledger holds a `patient.enrolled` for `patient`.
    func isEnrolled(_ patient: String) throws -> Bool
    /// The recorded event with this id, if any.
    func knownEvent(_ id: String) throws -> KnownEvent?
    /// The patient's pump implants and replacements: when, and reservoir capacity in mL.
    func pumps(of patient: String) throws -> [(at: Timestamp, reservoirMl: Double)]
    /// When the patient's pumps were explanted.
    func explants(of patient: String) throws -> [Timestamp]
}

/// The little the validator needs of an event already in the ledger.
public struct KnownEvent: Sendable, Hashable {
    public var id: String
    public var type: EventType
    public var patient: String
    public var contentDigest: String

    public init(id: String, type: EventType, patient: String, contentDigest: String) {
        self.id = id
        self.type = type
        self.patient = patient
        self.contentDigest = contentDigest
    }
}

/// A ``LedgerContext`` over events held in memory.
public struct InMemoryLedgerContext: LedgerContext, Sendable {
    var events: [String: KnownEvent] = [:]
    var enrolled: Set<String> = []
    var pumpsByPatient: [String: [(at: Timestamp, reservoirMl: Double)]] = [:]
    var explantsByPatient: [String: [Timestamp]] = [:]

    /// An empty ledger.
    public init() {}

    /// Adds recorded events.
    public mutating func add(_ recorded: [RecordedEvent]) {
        for e in recorded {
            events[e.id] = KnownEvent(id: e.id, type: e.type, patient: e.patient, contentDigest: e.contentDigest)
            if e.type == .patientEnrolled { enrolled.insert(e.patient) }
            if e.type == .pumpImplanted || e.type == .pumpReplaced, let r = e.facts.reservoirMl {
                pumpsByPatient[e.patient, default: []].append((e.occurredAt, r))
            }
            if e.type == .pumpExplanted { explantsByPatient[e.patient, default: []].append(e.occurredAt) }
        }
    }

    public func isEnrolled(_ patient: String) -> Bool { enrolled.contains(patient) }
    public func knownEvent(_ id: String) -> KnownEvent? { events[id] }
    public func pumps(of patient: String) -> [(at: Timestamp, reservoirMl: Double)] { pumpsByPatient[patient] ?? [] }
    public func explants(of patient: String) -> [Timestamp] { explantsByPatient[patient] ?? [] }
}
