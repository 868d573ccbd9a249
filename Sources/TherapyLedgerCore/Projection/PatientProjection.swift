/// What therapy a patient is in.
public enum TherapyState: String, Sendable, Hashable {
    case notImplanted = "not-implanted"
    case active
    case explanted
}

/// The pump in place.
public struct PumpState: Sendable, Hashable {
    public var eventID: String
    public var implantedAt: Timestamp
    public var model: String?
    public var reservoirMl: Double
    public var lowAlarmMl: Double
}

/// The dose in force.
public struct DoseState: Sendable, Hashable {
    public var dailyDoseMcg: Double
    /// The concentration the pump was last told (by implant, replacement or programming): its rate uses it.
    public var programmedConcentration: Double
    /// The concentration of the drug now in the reservoir (from the latest fill).
    public var reservoirConcentration: Double
    public var mode: String
    /// When this dose took effect, and the event that set it.
    public var since: Timestamp
    public var eventID: String
    /// mL/day the pump delivers: dose / programmed concentration.
    public var rateMlPerDay: Double { dailyDoseMcg / programmedConcentration }
}

/// The reservoir's volume at a known instant; it falls linearly from there at the rate in force.
public struct ReservoirAnchor: Sendable, Hashable {
    public var at: Timestamp
    public var volumeMl: Double
    /// When the volume last fell to the low-alarm volume (nil while above it).
    public var lowReachedAt: Double?
    /// When the volume last reached 0 (nil while above it).
    public var emptyReachedAt: Double?
    /// The latest fill (implant, replacement or refill): when and how much was put in.
    public var lastFillAt: Timestamp
    public var lastFillMl: Double
    public var lastFillEventID: String
}

/// One refill, with its reconciliation against the projection.
public struct RefillRecord: Sendable, Hashable {
    public var eventID: String
    public var at: Timestamp
    public var site: String
    public var expectedResidualMl: Double
    public var measuredResidualMl: Double
    /// Measured - expected: positive when more is left than expected (under-delivery).
    public var discrepancyMl: Double
    /// The discrepancy in % of the volume that should have been delivered since the previous fill; nil when none should have.
    public var discrepancyPct: Double?
    /// |discrepancy| > max(1.0 mL, 14.5 % of the volume that should have been delivered).
    public var flagged: Bool
    public var addedMl: Double
    public var concentrationMcgPerMl: Double
    public var nextRefillDue: Timestamp?
}

/// A period with one dose, concentration and mode.
public struct DosePeriod: Sendable, Hashable {
    public var from: Timestamp
    public var to: Timestamp?
    public var dailyDoseMcg: Double
    public var concentrationMcgPerMl: Double
    public var mode: String
    public var site: String
    public var author: String?
    public var eventID: String
    public var rateMlPerDay: Double { dailyDoseMcg / concentrationMcgPerMl }
}

/// A pump's time in the patient.
public struct PumpPeriod: Sendable, Hashable {
    public var eventID: String
    public var model: String?
    public var reservoirMl: Double
    public var implantedAt: Timestamp
    public var endedAt: Timestamp?
    /// `replaced` or `explanted` once ended.
    public var endReason: String?
    public var site: String
}

/// An adverse event and its resolution.
public struct AdverseEventRecord: Sendable, Hashable {
    public var eventID: String
    public var reportedAt: Timestamp
    public var category: String
    public var grade: Int
    public var serious: Bool
    public var relatedTo: String?
    public var resolvedAt: Timestamp?
    public var outcome: String?
    public var resolutionEventID: String?
}

/// An assessment and the dose in force when it was made.
public struct AssessmentRecord: Sendable, Hashable {
    public var eventID: String
    public var at: Timestamp
    public var ashworth: String?
    public var pennSpasmFrequency: String?
    public var dailyDoseMcg: Double?
}

/// A refill that changed the concentration without the pump being told.
public struct PendingConcentrationChange: Sendable, Hashable {
    public var refillEventID: String
    public var at: Timestamp
    public var programmed: Double
    public var reservoir: Double
}

/// A dose increase beyond the titration limits.
public struct LargeDoseStep: Sendable, Hashable {
    public var eventID: String
    public var at: Timestamp
    public var fromMcg: Double
    public var toMcg: Double
    public var withinDayOfImplant: Bool
    public var limitPct: Double
}

/// The result of folding one patient's effective events up to a time.
public struct PatientProjection: Sendable, Hashable {
    public var patient: String
    public var origin: String?
    public var indication: String?
    public var therapy: TherapyState = .notImplanted
    public var pump: PumpState?
    public var dose: DoseState?
    public var reservoir: ReservoirAnchor?
    public var lastRefillAt: Timestamp?
    public var lastRefillEventID: String?
    public var nextRefillDue: Timestamp?
    public var pendingConcentrationChange: PendingConcentrationChange?
    public var largeDoseStep: LargeDoseStep?
    public var refills: [RefillRecord] = []
    public var dosePeriods: [DosePeriod] = []
    public var pumps: [PumpPeriod] = []
    public var adverseEvents: [AdverseEventRecord] = []
    public var assessments: [AssessmentRecord] = []
    /// The time of the last event folded (nil when none).
    public var lastEventAt: Timestamp?

    public init(patient: String) { self.patient = patient }
}
