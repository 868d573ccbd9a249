/// An event as projections see it: the envelope, the clock and the typed facts; `data` only when a
/// caller needs text (timeline summaries, exports). Built from stored fact columns without decoding JSON.
public struct ProjectionEvent: Sendable, Hashable {
    // Scalars live inline; strings, clock, facts and data live in one shared, copy-on-write box, so that
    // copying or sorting an event (replays copy millions) costs one reference count, not a dozen.
    public var type: EventType
    public var occurredAt: Timestamp
    public var recordedAt: Timestamp
    public var seq: Int64
    /// The sum of the clock's entries (kept even when `clock` is left empty): the causal tie-break.
    public var clockSum: Int64
    private var box: Box

    private final class Box: @unchecked Sendable {
        // Mutated only through `mutate`, which copies the box first unless this value owns it alone.
        var id: String
        var patient: String
        var site: String
        var clock: VectorClock
        var facts: EventFacts
        var author: String?
        var reason: String?
        var data: JSONValue?
        var quarantineRule: String?

        init(id: String, patient: String, site: String, clock: VectorClock, facts: EventFacts, author: String?, reason: String?, data: JSONValue?,
             quarantineRule: String? = nil) {
            self.id = id
            self.patient = patient
            self.site = site
            self.clock = clock
            self.facts = facts
            self.author = author
            self.reason = reason
            self.data = data
            self.quarantineRule = quarantineRule
        }

        func copy() -> Box {
            Box(id: id, patient: patient, site: site, clock: clock, facts: facts, author: author, reason: reason, data: data, quarantineRule: quarantineRule)
        }
    }

    private mutating func mutate(_ change: (Box) -> Void) {
        if !isKnownUniquelyReferenced(&box) { box = box.copy() }
        change(box)
    }

    public var id: String {
        get { box.id }
        set { mutate { $0.id = newValue } }
    }
    public var patient: String {
        get { box.patient }
        set { mutate { $0.patient = newValue } }
    }
    public var site: String {
        get { box.site }
        set { mutate { $0.site = newValue } }
    }
    /// The recording site's clock. May be left empty for event types that take no part in conflict
    /// detection (anything but dose-setting events, corrections and conflict resolutions).
    public var clock: VectorClock {
        get { box.clock }
        set { mutate { $0.clock = newValue } }
    }
    public var facts: EventFacts {
        get { box.facts }
        set { mutate { $0.facts = newValue } }
    }
    public var author: String? {
        get { box.author }
        set { mutate { $0.author = newValue } }
    }
    public var reason: String? {
        get { box.reason }
        set { mutate { $0.reason = newValue } }
    }
    /// Why the event is quarantined (an imported event that failed the checks against its causal past), or nil:
    /// a quarantined event stays in the chain but no projection folds it (see ``EffectiveEvents``).
    public var quarantineRule: String? {
        get { box.quarantineRule }
        set { mutate { $0.quarantineRule = newValue } }
    }
    /// The event's data (for text); nil on the fast replay path.
    public var data: JSONValue? {
        get { box.data }
        set { mutate { $0.data = newValue } }
    }

    public init(id: String, type: EventType, patient: String, occurredAt: Timestamp, recordedAt: Timestamp, site: String, seq: Int64,
                clock: VectorClock, clockSum: Int64? = nil, facts: EventFacts, author: String? = nil, reason: String? = nil, data: JSONValue? = nil) {
        self.type = type
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.seq = seq
        self.clockSum = clockSum ?? clock.sum
        self.box = Box(id: id, patient: patient, site: site, clock: clock, facts: facts, author: author, reason: reason, data: data)
    }

    public static func == (a: ProjectionEvent, b: ProjectionEvent) -> Bool {
        a.type == b.type && a.occurredAt == b.occurredAt && a.recordedAt == b.recordedAt && a.seq == b.seq && a.clockSum == b.clockSum
            && (a.box === b.box || (a.id == b.id && a.patient == b.patient && a.site == b.site && a.clock == b.clock && a.facts == b.facts
                && a.author == b.author && a.reason == b.reason && a.data == b.data && a.quarantineRule == b.quarantineRule))
    }

    public func hash(into h: inout Hasher) {
        h.combine(id)
        h.combine(type)
        h.combine(site)
        h.combine(seq)
        h.combine(occurredAt)
    }

    /// From a fully decoded recorded event, with its data.
    public init(_ e: RecordedEvent) {
        self.init(id: e.id, type: e.type, patient: e.patient, occurredAt: e.occurredAt, recordedAt: e.recordedAt, site: e.site,
                  seq: e.seq, clock: e.clock, facts: e.facts, author: e.author, reason: e.reason, data: e.data)
    }

    /// Whether the type needs its clock (conflict detection and resolution).
    public static func needsClock(_ type: EventType) -> Bool {
        type.isDoseSetting || type == .eventCorrected || type == .conflictResolved
    }

    /// Whether this event has seen `other` (its clock covers it).
    public func hasSeen(_ other: ProjectionEvent) -> Bool { clock.covers(site: other.site, seq: other.seq) }

    /// The clinical order: `occurredAt`, then causality (a clock's sum grows along every causal
    /// chain), then site, then seq. Never arrival order.
    public static func clinicalOrder(_ a: ProjectionEvent, _ b: ProjectionEvent) -> Bool {
        if a.occurredAt != b.occurredAt { return a.occurredAt < b.occurredAt }
        return causalOrder(a, b)
    }

    /// The causal order used to apply corrections: clock sum, then site, then seq.
    public static func causalOrder(_ a: ProjectionEvent, _ b: ProjectionEvent) -> Bool {
        let sa = a.clockSum, sb = b.clockSum
        if sa != sb { return sa < sb }
        if a.site != b.site { return a.site < b.site }
        return a.seq < b.seq
    }
}
