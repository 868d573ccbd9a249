/// The events of one patient after corrections, in clinical order.
///
/// A correction says the original was wrong all along, so it applies at every as-of time: a void removes
/// its target, an amend replaces the target's facts (and data). Several corrections of one target apply
/// in causal order (clock sum, site, seq), the last one winning; two of them that are concurrent are a
/// conflict (see ``ConflictDetector``). Corrections and the originals stay in the timeline, marked.
public struct EffectiveEvents: Sendable {
    /// The status of an event in the timeline.
    public enum Status: String, Sendable {
        case active, voided, amended, superseded
    }

    /// Effective events (corrections applied, voided removed, corrections themselves excluded), in clinical order.
    public var events: [ProjectionEvent]
    /// Every event, in clinical order, as recorded.
    public var all: [ProjectionEvent]
    /// Status by event id of every event that is not simply active (a missing id means `active`).
    public var status: [String: Status]
    /// The correction that decided each corrected event's current state, by target id.
    public var decidingCorrection: [String: String]

    /// Applies corrections to `events` (one patient's, any order).
    public init(_ input: [ProjectionEvent]) {
        let sorted = input.sorted(by: ProjectionEvent.clinicalOrder)
        // Most histories hold no correction: then every event is active and effective as recorded.
        if !sorted.contains(where: { $0.type == .eventCorrected }) {
            self.events = sorted
            self.all = sorted
            self.status = [:]
            self.decidingCorrection = [:]
            return
        }
        var corrections: [String: [ProjectionEvent]] = [:]
        for e in sorted where e.type == .eventCorrected {
            if let target = e.facts.ref { corrections[target, default: []].append(e) }
        }
        var status: [String: Status] = [:]
        var deciding: [String: String] = [:]
        var effective: [ProjectionEvent] = []
        effective.reserveCapacity(sorted.count)
        for e in sorted {
            if e.type == .eventCorrected { continue }
            guard let list = corrections[e.id] else {
                effective.append(e)
                continue
            }
            let ordered = list.sorted(by: ProjectionEvent.causalOrder)
            for c in ordered.dropLast() { status[c.id] = .superseded }
            guard let last = ordered.last else { continue }
            deciding[e.id] = last.id
            if last.facts.action == "void" {
                status[e.id] = .voided
            } else {
                status[e.id] = .amended
                var amended = e
                var f = last.facts
                // The correction's own columns hold its target; keep the original's reference
                // (an amend cannot move an adverse-event resolution to another report: void and re-record).
                f.ref = e.facts.ref
                f.action = nil
                amended.facts = f
                if let d = last.data?["data"] { amended.data = d }
                effective.append(amended)
            }
        }
        self.events = effective
        self.all = sorted
        self.status = status
        self.decidingCorrection = deciding
    }
}
