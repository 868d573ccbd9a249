/// The events of one patient after corrections, in clinical order.
///
/// A correction says the original was wrong all along, so it applies at every as-of time: a void removes
/// its target, an amend replaces the target's facts (and data). Several corrections of one target apply
/// in causal order (clock sum, site, seq), the last one winning; two of them that are concurrent are a
/// conflict (see ``ConflictDetector``). Corrections and the originals stay in the timeline, marked.
///
/// Event ids are unique per site only (README, "Event ids across sites"): two sites may record one id. Events
/// of a patient sharing an id are an id collision. Where they are the same submission (same type, times,
/// facts, author, reason and data: one submission sent to two sites), the first in causal order counts and
/// the others are `duplicate`: in the timeline, out of every projection, so that one submission is never
/// counted twice. Where they differ, every one of them counts. A correction naming a shared id applies to
/// the event of that id recorded at the correction's own site, else to the first in causal order.
public struct EffectiveEvents: Sendable {
    /// The status of an event in the timeline.
    public enum Status: String, Sendable {
        case active, voided, amended, superseded
        /// The same submission as an earlier event with this id recorded at another site: not counted.
        case duplicate
    }

    /// Events of one patient that share an id (in causal order), and whether they are one submission.
    public struct Collision: Sendable, Hashable {
        public var id: String
        public var events: [ProjectionEvent]
        /// Whether every event is the same submission (all but the first are `duplicate`).
        public var identical: Bool
    }

    /// Effective events (corrections applied, voided removed, corrections and duplicates excluded), in clinical order.
    public var events: [ProjectionEvent]
    /// Every event, in clinical order, as recorded.
    public var all: [ProjectionEvent]
    /// Every event but the duplicates, in clinical order: what conflict detection looks at.
    public var distinct: [ProjectionEvent]
    /// Status by event id of every event that is not simply active (a missing id means `active`). For an id
    /// several events share, use ``status(of:)``.
    public var status: [String: Status]
    /// The correction that decided each corrected event's current state, by target id.
    public var decidingCorrection: [String: String]
    /// The id collisions among the events, in id order.
    public var collisions: [Collision]
    /// The status and deciding correction of events whose id another event shares, by ``key(_:)``.
    private var statusByKey: [String: Status] = [:]
    private var decidingByKey: [String: String] = [:]

    /// An event's key, unique in the network: `site:seq`.
    public static func key(_ e: ProjectionEvent) -> String { "\(e.site):\(e.seq)" }

    /// The status of one event (each event of an id collision has its own).
    public func status(of e: ProjectionEvent) -> Status {
        if collisions.isEmpty { return status[e.id] ?? .active }
        if let s = statusByKey[Self.key(e)] { return s }
        if collisions.contains(where: { $0.id == e.id }) { return .active }
        return status[e.id] ?? .active
    }

    /// The correction that decided one event's state, if any.
    public func decidingCorrection(of e: ProjectionEvent) -> String? {
        if collisions.isEmpty { return decidingCorrection[e.id] }
        if let c = decidingByKey[Self.key(e)] { return c }
        if collisions.contains(where: { $0.id == e.id }) { return nil }
        return decidingCorrection[e.id]
    }

    /// Whether two events are the same submission (recorded at different sites).
    static func sameSubmission(_ a: ProjectionEvent, _ b: ProjectionEvent) -> Bool {
        a.type == b.type && a.patient == b.patient && a.occurredAt == b.occurredAt && a.facts == b.facts && a.author == b.author
            && a.reason == b.reason && a.data == b.data
    }

    /// Quarantined events (see ``ProjectionEvent/quarantineRule``), in clinical order: in neither `events` nor `all`.
    public var quarantined: [ProjectionEvent] = []

    /// Applies corrections to `events` (one patient's, any order). Quarantined events are set apart first.
    public init(_ given: [ProjectionEvent]) {
        var input = given
        if given.contains(where: { $0.quarantineRule != nil }) {
            input = given.filter { $0.quarantineRule == nil }
            quarantined = given.filter { $0.quarantineRule != nil }.sorted(by: ProjectionEvent.clinicalOrder)
        }
        let all = input.sorted(by: ProjectionEvent.clinicalOrder)
        self.all = all
        // Id collisions (rare): the duplicates of one submission leave the projections.
        var seen = Set<String>(minimumCapacity: all.count)
        var shared = Set<String>()
        for e in all where !seen.insert(e.id).inserted { shared.insert(e.id) }
        var collisions: [Collision] = []
        var duplicateKeys = Set<String>()
        for id in shared.sorted() {
            let group = all.filter { $0.id == id }.sorted(by: ProjectionEvent.causalOrder)
            guard let first = group.first else { continue }
            let identical = group.dropFirst().allSatisfy { Self.sameSubmission($0, first) }
            if identical { for d in group.dropFirst() { duplicateKeys.insert(Self.key(d)) } }
            collisions.append(Collision(id: id, events: group, identical: identical))
        }
        self.collisions = collisions
        let sorted = duplicateKeys.isEmpty ? all : all.filter { !duplicateKeys.contains(Self.key($0)) }
        self.distinct = sorted
        var statusByKey: [String: Status] = [:]
        for k in duplicateKeys { statusByKey[k] = .duplicate }
        // Most histories hold no correction: then every event is active and effective as recorded.
        if !sorted.contains(where: { $0.type == .eventCorrected }) {
            self.events = sorted
            self.status = [:]
            self.decidingCorrection = [:]
            self.statusByKey = statusByKey
            return
        }
        // Different events sharing an id: which of them a correction naming it applies to.
        let holders = Dictionary(grouping: sorted.filter { shared.contains($0.id) && $0.type != .eventCorrected }, by: \.id)
        func applies(_ c: ProjectionEvent, to e: ProjectionEvent) -> Bool {
            guard let candidates = holders[e.id], candidates.count > 1 else { return true }
            let target = candidates.first { $0.site == c.site } ?? candidates.min(by: ProjectionEvent.causalOrder)
            return target.map(Self.key) == Self.key(e)
        }
        var corrections: [String: [ProjectionEvent]] = [:]
        for e in sorted where e.type == .eventCorrected {
            if let target = e.facts.ref { corrections[target, default: []].append(e) }
        }
        var status: [String: Status] = [:]
        var deciding: [String: String] = [:]
        var decidingByKey: [String: String] = [:]
        var effective: [ProjectionEvent] = []
        effective.reserveCapacity(sorted.count)
        for e in sorted {
            if e.type == .eventCorrected { continue }
            let list = (corrections[e.id] ?? []).filter { applies($0, to: e) }
            guard !list.isEmpty else {
                effective.append(e)
                continue
            }
            let collided = (holders[e.id]?.count ?? 0) > 1
            let ordered = list.sorted(by: ProjectionEvent.causalOrder)
            for c in ordered.dropLast() { status[c.id] = .superseded }
            guard let last = ordered.last else { continue }
            deciding[e.id] = last.id
            if collided { decidingByKey[Self.key(e)] = last.id }
            if last.facts.action == "void" {
                status[e.id] = .voided
                if collided { statusByKey[Self.key(e)] = .voided }
            } else {
                status[e.id] = .amended
                if collided { statusByKey[Self.key(e)] = .amended }
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
        self.status = status
        self.decidingCorrection = deciding
        self.statusByKey = statusByKey
        self.decidingByKey = decidingByKey
    }
}
