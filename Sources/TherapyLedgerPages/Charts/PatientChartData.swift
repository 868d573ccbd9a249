import TherapyLedgerCore
import TherapyLedgerExport

/// What a patient's three charts show, computed from the projections alone (pure): the last 12 months
/// before the as-of time, and the reservoir projected on from it.
///
/// The series are the exports' own: the reservoir days are the rows `export reservoir --as-of T` writes
/// (``ReservoirSeries``), the dose periods those of `export doses --as-of T`, the assessments those of
/// `export assessments --as-of T`, so the charts and the CSV files always agree.
public struct PatientChartData: Sendable {
    /// The start of the time axis: 365 days before `asOf`.
    public var start: Timestamp
    public var asOf: Timestamp
    /// The end of the time axis: past `asOf`, far enough to show the projection to empty (at most 180 days on).
    public var end: Timestamp
    /// The reservoir at every UTC midnight in `start...asOf` while a pump was implanted.
    public var reservoirDays: [ReservoirDay]
    /// Refills in `start...asOf`, with their expected and measured residuals.
    public var refills: [RefillRecord]
    /// The largest reservoir of a pump in place during the window, mL (the y axis runs to it).
    public var capacityMl: Double
    /// The projection from `asOf` at the programmed rate, and at the observed rate after an over-infusion refill.
    public var projection: Projection?
    public var observedProjection: Projection?
    /// The low-alarm volume in force at `asOf` (nil without a pump).
    public var lowAlarmMl: Double?
    /// The dose periods that overlap the window (the one in force at `start` included).
    public var dosePeriods: [DosePeriod]
    /// Assessments in `start...asOf`.
    public var assessments: [AssessmentRecord]

    /// A straight projection of the reservoir from `asOf`.
    public struct Projection: Sendable, Hashable {
        public var volumeMl: Double
        public var rateMlPerDay: Double
        /// When it reaches the low-alarm volume and empties.
        public var lowAlarmAt: Timestamp?
        public var emptyAt: Timestamp?
    }

    /// Days shown before the as-of time, and the longest projection after it.
    public static let windowDays = 365.0
    public static let maxProjectionDays = 180.0

    /// The charts of a patient's `events` (as the ledger knew them at `knownAt`) at `asOf`.
    public init(events: [ProjectionEvent], status: PatientStatus) {
        let asOf = status.asOf
        self.asOf = asOf
        let start = asOf.adding(days: -Self.windowDays)
        self.start = start
        let effective = EffectiveEvents(Projector.known(events, at: status.knownAt))
        let p = PatientFold.fold(patient: status.patient, effective: effective.events, asOf: asOf)
        var days: [ReservoirDay] = []
        ReservoirSeries.days(effective: effective.events, projection: p, from: start, through: asOf) { days.append($0) }
        reservoirDays = days
        refills = p.refills.filter { $0.at >= start && $0.at <= asOf }
        capacityMl = p.pumps.filter { ($0.endedAt ?? asOf) >= start }.map(\.reservoirMl).max() ?? 20
        dosePeriods = p.dosePeriods.filter { ($0.to ?? asOf) >= start && $0.from <= asOf }
        assessments = p.assessments.filter { $0.at >= start && $0.at <= asOf }
        var end = asOf.adding(days: 30)
        if status.therapy == .active, let v = status.volumeMl, let d = status.dose {
            lowAlarmMl = status.pump?.lowAlarmMl
            projection = Projection(volumeMl: v, rateMlPerDay: d.rateMlPerDay, lowAlarmAt: status.lowAlarmAt, emptyAt: status.emptyAt)
            if let rate = status.observedRateMlPerDay, let empty = status.observedEmptyAt, empty > asOf {
                let volume = rate * Double(empty.seconds - asOf.seconds) / 86_400
                observedProjection = Projection(volumeMl: volume, rateMlPerDay: rate, lowAlarmAt: status.observedLowAlarmAt, emptyAt: empty)
            }
            if let empty = status.earliestEmptyAt, empty > asOf {
                end = max(end, min(empty.adding(days: 7), asOf.adding(days: Self.maxProjectionDays)))
            }
        } else {
            lowAlarmMl = nil
            projection = nil
            observedProjection = nil
        }
        self.end = end
    }

    /// Where a projection stands at `t` (never below 0).
    static func volume(_ p: Projection, from asOf: Timestamp, at t: Timestamp) -> Double {
        max(0, p.volumeMl - p.rateMlPerDay * Double(t.seconds - asOf.seconds) / 86_400)
    }
}
