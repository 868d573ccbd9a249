/// What a refill recorded at a given time would be measured against: the residual the projection expects
/// then, and the discrepancy beyond which the refill is flagged. The fold's refill rule uses the same
/// ``thresholdMl(shouldHaveDeliveredMl:)``, so the form's preview and the rule cannot disagree.
public struct RefillExpectation: Sendable, Hashable {
    /// The time of the (prospective) refill.
    public var at: Timestamp
    /// The volume the projection expects in the reservoir at `at`, mL.
    public var expectedResidualMl: Double
    /// What should have been delivered since the last fill: the last fill minus the expected residual, mL.
    public var shouldHaveDeliveredMl: Double
    /// A measured residual further than this from the expected one is flagged, mL.
    public var thresholdMl: Double

    /// |measured - expected| above this is flagged: 1.0 mL, or 14.5 % of what should have been delivered when more.
    public static func thresholdMl(shouldHaveDeliveredMl: Double) -> Double { max(1.0, 0.145 * max(0, shouldHaveDeliveredMl)) }

    /// The expectation of a refill at `t`, from `projection` folded up to `t` (``PatientFold/fold(patient:effective:asOf:)``
    /// with `asOf: t`); nil when no refill would be measured then (no active therapy, pump or dose).
    public static func at(_ t: Timestamp, projection: PatientProjection) -> RefillExpectation? {
        var p = projection
        guard p.therapy == .active, p.dose != nil, p.reservoir != nil else { return nil }
        // As the fold does before applying an event at t.
        PatientFold.advance(&p, to: t)
        guard let r = p.reservoir else { return nil }
        let expected = r.volumeMl
        let shouldHaveDelivered = r.lastFillMl - expected
        return RefillExpectation(at: t, expectedResidualMl: expected, shouldHaveDeliveredMl: shouldHaveDelivered,
                                 thresholdMl: thresholdMl(shouldHaveDeliveredMl: shouldHaveDelivered))
    }
}
