/// The worklist order, most urgent first (README, "worklist"):
/// 1. the highest alert severity, and within it, patients with an unacknowledged alert of that severity before those whose
///    alerts of that severity are all acknowledged (never below a lower severity);
/// 2. the time the patient runs out of drug: the projected empty time, the earlier of the programmed and observed projections;
/// 3. the low-alarm time (the earlier of the two projections);
/// 4. the next refill due date, only to break ties;
/// 5. the patient id.
public enum WorklistOrder {
    /// Whether `a` comes before `b`.
    public static func precedes(_ a: PatientStatus, _ b: PatientStatus) -> Bool {
        let ka = key(a), kb = key(b)
        if ka.severity != kb.severity { return ka.severity > kb.severity }
        if ka.acknowledged != kb.acknowledged { return !ka.acknowledged }
        for (x, y) in [(a.earliestEmptyAt, b.earliestEmptyAt), (a.earliestLowAlarmAt, b.earliestLowAlarmAt), (a.nextRefillDue, b.nextRefillDue)] {
            let sx = x?.seconds ?? Int64.max, sy = y?.seconds ?? Int64.max
            if sx != sy { return sx < sy }
        }
        return a.patient < b.patient
    }

    /// The severity rank (-1: no alert) and whether every alert of that severity is acknowledged.
    static func key(_ s: PatientStatus) -> (severity: Int, acknowledged: Bool) {
        guard let top = s.alerts.map(\.severity).max() else { return (-1, false) }
        let acknowledged = s.alerts.allSatisfy { $0.severity != top || $0.acknowledgement != nil }
        return (top.rank, acknowledged)
    }
}
