/// The kinds of event the ledger records. The raw value is the `type` field of a submission.
public enum EventType: String, Sendable, CaseIterable, Hashable, Codable {
    /// The type named `name` (its raw value), found by hash instead of comparing with every name in turn.
    public static func named(_ name: String) -> EventType? { byName[name] }

    private static let byName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    case patientEnrolled = "patient.enrolled"
    case trialPerformed = "trial.performed"
    case pumpImplanted = "pump.implanted"
    case doseProgrammed = "dose.programmed"
    case bolusDelivered = "bolus.delivered"
    case reservoirRefilled = "reservoir.refilled"
    case adverseEventReported = "adverse-event.reported"
    case adverseEventResolved = "adverse-event.resolved"
    case catheterRevised = "catheter.revised"
    case pumpReplaced = "pump.replaced"
    case pumpExplanted = "pump.explanted"
    case assessmentRecorded = "assessment.recorded"
    case eventCorrected = "event.corrected"
    case conflictResolved = "conflict.resolved"
    /// What a pump interrogation (programmer read-out) reports: ERI, alarms, motor stall, end of service.
    case pumpInterrogated = "pump.interrogated"
    /// A clinician acknowledges an open alert (it stays shown, ranked below unacknowledged ones).
    case alertAcknowledged = "alert.acknowledged"

    /// Whether the event sets what the pump delivers (implant, programming, refill concentration,
    /// replacement, explant): these form a patient's conflict domain for concurrent programming.
    public var isDoseSetting: Bool {
        switch self {
        case .pumpImplanted, .doseProgrammed, .reservoirRefilled, .pumpReplaced, .pumpExplanted: return true
        default: return false
        }
    }

    /// Whether the envelope's `reason` is required.
    public var requiresReason: Bool {
        self == .eventCorrected || self == .conflictResolved || self == .alertAcknowledged
    }

    /// A small stable number for compact storage.
    public var code: Int {
        switch self {
        case .patientEnrolled: return 1
        case .trialPerformed: return 2
        case .pumpImplanted: return 3
        case .doseProgrammed: return 4
        case .bolusDelivered: return 5
        case .reservoirRefilled: return 6
        case .adverseEventReported: return 7
        case .adverseEventResolved: return 8
        case .catheterRevised: return 9
        case .pumpReplaced: return 10
        case .pumpExplanted: return 11
        case .assessmentRecorded: return 12
        case .eventCorrected: return 13
        case .conflictResolved: return 14
        case .pumpInterrogated: return 15
        case .alertAcknowledged: return 16
        }
    }

    /// The types by code - 1 (every read of a stored event asks).
    private static let byCode: [EventType?] = {
        var table = [EventType?](repeating: nil, count: allCases.map(\.code).max() ?? 0)
        for t in allCases { table[t.code - 1] = t }
        return table
    }()

    /// The type for a stored code.
    public init?(code: Int) {
        guard code >= 1, code <= Self.byCode.count, let t = Self.byCode[code - 1] else { return nil }
        self = t
    }
}
