/// An event as projections see it: the envelope, the clock and the typed facts; `data` only when a
/// caller needs text (timeline summaries, exports). Built from stored fact columns without decoding JSON.
public struct ProjectionEvent: Sendable, Hashable {
    public var id: String
    public var type: EventType
    public var patient: String
    public var occurredAt: Timestamp
    public var recordedAt: Timestamp
    public var site: String
    public var seq: Int64
    /// The recording site's clock. May be left empty for event types that take no part in conflict
    /// detection (anything but dose-setting events, corrections and conflict resolutions).
    public var clock: VectorClock
    /// The sum of the clock's entries (kept even when `clock` is left empty): the causal tie-break.
    public var clockSum: Int64
    public var facts: EventFacts
    public var author: String?
    public var reason: String?
    /// The event's data (for text); nil on the fast replay path.
    public var data: JSONValue?

    public init(id: String, type: EventType, patient: String, occurredAt: Timestamp, recordedAt: Timestamp, site: String, seq: Int64,
                clock: VectorClock, clockSum: Int64? = nil, facts: EventFacts, author: String? = nil, reason: String? = nil, data: JSONValue? = nil) {
        self.id = id
        self.type = type
        self.patient = patient
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.site = site
        self.seq = seq
        self.clock = clock
        self.clockSum = clockSum ?? clock.sum
        self.facts = facts
        self.author = author
        self.reason = reason
        self.data = data
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

    /// Whether neither event has seen the other.
    public func isConcurrent(with other: ProjectionEvent) -> Bool {
        other.site != site && !hasSeen(other) && !other.hasSeen(self)
    }

    /// The clinical order: `occurredAt`, then causality (a clock's sum grows along every causal
    /// chain), then site, then seq. Never arrival order.
    public static func clinicalOrder(_ a: ProjectionEvent, _ b: ProjectionEvent) -> Bool {
        if a.occurredAt != b.occurredAt { return a.occurredAt < b.occurredAt }
        let sa = a.clockSum, sb = b.clockSum
        if sa != sb { return sa < sb }
        if a.site != b.site { return a.site < b.site }
        return a.seq < b.seq
    }

    /// The causal order used to apply corrections: clock sum, then site, then seq.
    public static func causalOrder(_ a: ProjectionEvent, _ b: ProjectionEvent) -> Bool {
        let sa = a.clockSum, sb = b.clockSum
        if sa != sb { return sa < sb }
        if a.site != b.site { return a.site < b.site }
        return a.seq < b.seq
    }
}
