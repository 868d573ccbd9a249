/// The typed facts of one event that projections need, derived from its `data` at append time and
/// kept in columns so that a replay never decodes JSON.
///
/// Which fields are set depends on the event type (see ``DataValidator``). For `event.corrected`
/// with action `amend`, the quantity fields hold the amended data's facts (of the target's type).
public struct EventFacts: Sendable, Hashable {
    /// `dailyDoseMcg` (implant, programming, replacement).
    public var dailyDoseMcg: Double?
    /// `bolusMcg` (trial) or `doseMcg` (bolus).
    public var bolusMcg: Double?
    /// `concentrationMcgPerMl` (implant, replacement, refill).
    public var concentrationMcgPerMl: Double?
    /// `fillMl` (implant, replacement) or `addedMl` (refill).
    public var volumeMl: Double?
    /// `residualMl` (refill).
    public var residualMl: Double?
    /// `reservoirMl` (implant, replacement).
    public var reservoirMl: Double?
    /// `lowAlarmMl` as given (implant, replacement, programming); nil when not given.
    public var lowAlarmMl: Double?
    /// `nextRefillDue` (refill), as UTC midnight of that date; an acknowledgement's `until` (UTC).
    public var nextRefillDue: Timestamp?
    /// `grade` (adverse event report).
    public var grade: Int?
    /// `serious` (adverse event report).
    public var serious: Bool?
    /// The type's main label: indication, trial response, dose mode, bolus kind, adverse-event category,
    /// resolution outcome, an assessment's Ashworth score, an interrogation's finding or an acknowledged alert's code.
    public var label: String?
    /// A second label: enrolment origin, adverse event `relatedTo`, a pump's model, or an assessment's Penn score.
    public var label2: String?
    /// The referenced event: a correction's `target` or a resolution's `report`.
    public var ref: String?
    /// A correction's action (`void` or `amend`).
    public var action: String?
    /// The events a `conflict.resolved` reviewed, or those behind an acknowledged alert.
    public var refs: [String]

    /// Facts with nothing set.
    public init(
        dailyDoseMcg: Double? = nil, bolusMcg: Double? = nil, concentrationMcgPerMl: Double? = nil,
        volumeMl: Double? = nil, residualMl: Double? = nil, reservoirMl: Double? = nil, lowAlarmMl: Double? = nil,
        nextRefillDue: Timestamp? = nil, grade: Int? = nil, serious: Bool? = nil, label: String? = nil,
        label2: String? = nil, ref: String? = nil, action: String? = nil, refs: [String] = []
    ) {
        self.dailyDoseMcg = dailyDoseMcg
        self.bolusMcg = bolusMcg
        self.concentrationMcgPerMl = concentrationMcgPerMl
        self.volumeMl = volumeMl
        self.residualMl = residualMl
        self.reservoirMl = reservoirMl
        self.lowAlarmMl = lowAlarmMl
        self.nextRefillDue = nextRefillDue
        self.grade = grade
        self.serious = serious
        self.label = label
        self.label2 = label2
        self.ref = ref
        self.action = action
        self.refs = refs
    }
}
