/// Checks a patient's effective history (corrections applied, see ``EffectiveEvents``) for states that cannot
/// exist: a fill, programming, bolus or interrogation without a pump in place, a volume larger than the
/// reservoir in place, a low-reservoir alarm at or above it.
///
/// Batch validation checks each new line against the recorded events; a correction changes the history those
/// checks were made against (amending an implant to a smaller reservoir after a larger refill, voiding an
/// implant with refills after it). Append refuses, and import quarantines, an event whose history this check
/// finds a new problem in: compare ``problems(in:)`` before and after.
public enum HistoryCheck {
    /// One impossible state: the effective event it is found at, and the rule it breaks.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var eventID: String
        public var type: EventType
        public var occurredAt: Timestamp
        public var rule: String
        public var description: String { "\(type.rawValue) \(eventID) at \(occurredAt.iso8601): \(rule)" }
    }

    /// The problems of one patient's effective history.
    public static func problems(in effective: EffectiveEvents) -> [Problem] {
        var out: [Problem] = []
        var reservoir: Double?  // the pump in place, by its capacity
        for e in effective.events {
            func fail(_ rule: String) { out.append(Problem(eventID: e.id, type: e.type, occurredAt: e.occurredAt, rule: rule)) }
            let f = e.facts
            switch e.type {
            case .pumpImplanted, .pumpReplaced:
                reservoir = f.reservoirMl
            case .pumpExplanted:
                reservoir = nil
            case .reservoirRefilled:
                guard let capacity = reservoir else { fail("no pump is in place at this time"); continue }
                if let added = f.volumeMl, added > capacity { fail("adding \(BatchValidator.fmt(added)) mL overfills the \(BatchValidator.fmt(capacity)) mL reservoir") }
                if let residual = f.residualMl, residual > capacity { fail("a residual of \(BatchValidator.fmt(residual)) mL is more than the \(BatchValidator.fmt(capacity)) mL reservoir holds") }
            case .doseProgrammed, .bolusDelivered, .pumpInterrogated:
                guard let capacity = reservoir else { fail("no pump is in place at this time"); continue }
                if e.type == .doseProgrammed, let low = f.lowAlarmMl, low >= capacity {
                    fail("the low-reservoir alarm volume (\(BatchValidator.fmt(low)) mL) is not below the \(BatchValidator.fmt(capacity)) mL reservoir")
                }
            default:
                break
            }
        }
        return out
    }

    /// The problems `after` has that `before` has not (an event's problem counts as old when `before` had it already).
    public static func introduced(before: EffectiveEvents, after: EffectiveEvents) -> [Problem] {
        introduced(before: problems(in: before), after: problems(in: after))
    }

    /// The problems of `after` that `before` has not, from problems already found (see ``problems(in:)``).
    public static func introduced(before: [Problem], after: [Problem]) -> [Problem] {
        let old = Set(before.map { ProblemKey(eventID: $0.eventID, rule: $0.rule) })
        return after.filter { !old.contains(ProblemKey(eventID: $0.eventID, rule: $0.rule)) }
    }

    private struct ProblemKey: Hashable {
        var eventID: String
        var rule: String
    }
}
