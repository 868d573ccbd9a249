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
    /// The volume the programmed rate should have delivered since the last fill (not capped at what was there), mL.
    public var programmedSinceFillMl: Double = 0
    /// The boluses given since the last fill, mL (at the concentration the pump was told).
    public var bolusesSinceFillMl: Double = 0
    /// After a refill that showed over-infusion: the projection at the rate observed over that fill interval.
    public var observed: ObservedTrack?
}

/// The reservoir projected at the observed rate (the programmed rate in force times `ratio`), from the
/// over-infusion refill on.
public struct ObservedTrack: Sendable, Hashable {
    /// Volume actually delivered over the last fill interval / the volume the programmed rate should have delivered.
    public var ratio: Double
    public var volumeMl: Double
    public var lowReachedAt: Double?
    public var emptyReachedAt: Double?
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
    /// The previous fill (implant, replacement or refill) this refill reconciles.
    public var previousFillAt: Timestamp
    /// Volume delivered over the fill interval / volume the programmed rate should have delivered; nil when none should have.
    public var observedRatio: Double?
    /// The expected or the measured residual was 0: the pump ran dry before this refill.
    public var ranDry: Bool
    /// When the projection reached 0 (the start of the dry interval); nil when unknown (drug was expected but none was left).
    public var dryFrom: Timestamp?
    /// Flagged with more left than expected.
    public var isUnderDelivery: Bool { flagged && discrepancyMl > 0 }
    /// Flagged with less left than expected.
    public var isOverInfusion: Bool { flagged && discrepancyMl < 0 }
}

/// An event that started a condition: which event, and when it occurred.
public struct EventMark: Sendable, Hashable {
    public var eventID: String
    public var at: Timestamp
}

/// What pump interrogations have reported about the pump in place (cleared by a replacement).
public struct InterrogationState: Sendable, Hashable {
    /// The first elective replacement indicator reported.
    public var eri: EventMark?
    public var endOfService: EventMark?
    /// The latest motor stall or critical alarm (cleared by an interrogation reporting `no-alarm`).
    public var deliveryFault: EventMark?
    public var deliveryFaultFinding: String?
    /// The latest low-reservoir alarm (cleared by a refill or an interrogation reporting `no-alarm`).
    public var lowReservoirAlarm: EventMark?
    /// The volume the projection expected when that alarm was reported, mL.
    public var lowReservoirAlarmProjectedMl: Double?
}

/// An `alert.acknowledged` event.
public struct AcknowledgementRecord: Sendable, Hashable {
    public var eventID: String
    public var at: Timestamp
    public var by: String?
    public var code: String
    public var eventIDs: [String]
    public var until: Timestamp?
}

/// A refill that changed the concentration, waiting for a bridge bolus.
public struct PendingBridge: Sendable, Hashable {
    public var refillEventID: String
    public var at: Timestamp
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
    /// The low-alarm volume the pump started with.
    public var lowAlarmMl: Double = DeviceCatalogue.fallbackLowAlarmMl
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
    /// A later catheter revision or pump replacement (closes a delivery problem).
    public var deviceFixedAt: Timestamp?
    public var deviceFixEventID: String?
    /// `withdrawal`, `catheter-malfunction` or `pump-malfunction`: delivery is or was interrupted.
    public var isDeliveryProblem: Bool { AdverseEventRecord.deliveryCategories.contains(category) }
    public static let deliveryCategories: Set<String> = ["withdrawal", "catheter-malfunction", "pump-malfunction"]
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
    /// The latest refill that showed under-delivery, until a catheter revision, a pump replacement or a refill within threshold.
    public var openUnderDelivery: RefillRecord?
    public var pendingBridge: PendingBridge?
    public var interrogation = InterrogationState()
    /// The explant that ended therapy (cleared by a new implant).
    public var explant: EventMark?
    public var acknowledgements: [AcknowledgementRecord] = []
    public var refills: [RefillRecord] = []
    public var dosePeriods: [DosePeriod] = []
    public var pumps: [PumpPeriod] = []
    public var adverseEvents: [AdverseEventRecord] = []
    public var assessments: [AssessmentRecord] = []
    /// The time of the last event folded (nil when none).
    public var lastEventAt: Timestamp?

    public init(patient: String) { self.patient = patient }
}
