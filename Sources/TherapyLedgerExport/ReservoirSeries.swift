import TherapyLedgerCore

/// The reservoir at one UTC midnight.
public struct ReservoirDay: Sendable, Hashable {
    /// The midnight (UTC).
    public var date: Timestamp
    public var volumeMl: Double
    public var dailyDoseMcg: Double
    public var rateMlPerDay: Double
    public var lowAlarmMl: Double

    /// `empty` at 0 mL, `low` at or below the low-alarm volume, else `ok`.
    public var status: String { volumeMl <= 0 ? "empty" : volumeMl <= lowAlarmMl ? "low" : "ok" }
}

/// The reservoir volume at every UTC midnight while a pump is implanted, in one pass: O(events + days).
///
/// The value at midnight `m` is the one ``PatientStatus`` gives for a fold with `asOf = m` (events that
/// occurred at or before `m` count): the same arithmetic in the same order, so the numbers agree to the
/// bit (a test checks this against the fold at every midnight). Instead of refolding per day, it walks
/// the effective events once, following the fold's own records (pumps, dose periods, refills) by event
/// id to know which events the fold applied, and extrapolates linearly to each midnight.
public enum ReservoirSeries {
    /// Calls `body` for each midnight in `from...through` (`from` nil: from the first implant) while a
    /// pump is implanted.
    ///
    /// - Parameters:
    ///   - effective: the patient's effective events in clinical order (``EffectiveEvents/events``).
    ///   - projection: ``PatientFold/fold(patient:effective:asOf:)`` of the same events, folded at least
    ///     up to `through`.
    public static func days(effective: [ProjectionEvent], projection p: PatientProjection, from: Timestamp?, through end: Timestamp,
                            _ body: (ReservoirDay) throws -> Void) rethrows {
        var active = false
        var volume = 0.0
        var anchor = Timestamp(seconds: 0)
        var lowAlarm = 2.0
        var period: DosePeriod?
        var nextPump = 0, nextPeriod = 0, nextRefill = 0
        var nextMidnight: Timestamp?

        func emit(before limit: Timestamp, inclusive: Bool) throws {
            while let m = nextMidnight, inclusive ? m <= limit : m < limit {
                if active, let d = period, from.map({ m >= $0 }) ?? true {
                    let v = max(0, volume - d.rateMlPerDay * Double(max(0, m.seconds - anchor.seconds)) / 86_400)
                    try body(ReservoirDay(date: m, volumeMl: v, dailyDoseMcg: d.dailyDoseMcg, rateMlPerDay: d.rateMlPerDay, lowAlarmMl: lowAlarm))
                }
                nextMidnight = m.adding(seconds: 86_400)
            }
        }

        for e in effective {
            let t = e.occurredAt
            if t > end { break }
            try emit(before: t, inclusive: false)
            // The fold's `advance`: the volume falls linearly to this event at the rate in force.
            if active, let d = period, t > anchor {
                volume = max(0, volume - d.rateMlPerDay * Double(t.seconds - anchor.seconds) / 86_400)
                anchor = t
            }
            if nextPump < p.pumps.count, p.pumps[nextPump].eventID == e.id {
                // The fold decided the pump's low alarm (its own, the previous pump's on a replacement, or the model's default).
                lowAlarm = p.pumps[nextPump].lowAlarmMl
                nextPump += 1
                if !active { nextMidnight = ceilingMidnight(t) }
                active = true
                volume = max(0, e.facts.volumeMl ?? 0)
                anchor = t
            } else if active {
                switch e.type {
                case .pumpExplanted:
                    active = false
                    period = nil
                    nextMidnight = nil
                case .doseProgrammed:
                    if e.facts.dailyDoseMcg != nil, let low = e.facts.lowAlarmMl { lowAlarm = low }
                case .bolusDelivered:
                    if let bolus = e.facts.bolusMcg, let d = period { volume = max(0, volume - bolus / d.concentrationMcgPerMl) }
                case .reservoirRefilled:
                    if nextRefill < p.refills.count, p.refills[nextRefill].eventID == e.id {
                        volume = max(0, p.refills[nextRefill].addedMl)
                        nextRefill += 1
                    }
                default:
                    break
                }
            }
            if nextPeriod < p.dosePeriods.count, p.dosePeriods[nextPeriod].eventID == e.id {
                period = p.dosePeriods[nextPeriod]
                nextPeriod += 1
            }
        }
        try emit(before: end, inclusive: true)
    }

    /// The first UTC midnight at or after `t`.
    static func ceilingMidnight(_ t: Timestamp) -> Timestamp {
        let day = t.startOfDay
        return day == t ? t : day.adding(seconds: 86_400)
    }
}
