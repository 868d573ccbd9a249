/// An event as the ledger recorded it: the submission plus the recording site, its per-site `seq`,
/// `recordedAt`, the site's vector `clock`, and the hash chain (`prev`, `hash`).
///
/// ``canonical`` holds the exact bytes that are stored, hashed, exported and verified: the canonical
/// JSON of every field but `hash`. They are never re-serialized to verify.
public struct RecordedEvent: Sendable, Hashable {
    public var id: String
    public var type: EventType
    public var patient: String
    public var occurredAt: Timestamp
    public var author: String
    public var reason: String?
    public var data: JSONValue
    /// The site that recorded the event.
    public var site: String
    /// The event's position in its site's chain: 1, 2, 3... without gaps.
    public var seq: Int64
    /// When the site recorded it (UTC).
    public var recordedAt: Timestamp
    /// The recording site's vector clock, its own entry being `seq`.
    public var clock: VectorClock
    /// The hash of the same site's previous event (``ChainHash/genesis`` for seq 1).
    public var prev: String
    /// SHA-256 over `prev` and ``canonical``.
    public var hash: String
    /// The canonical bytes.
    public var canonical: [UInt8]
    /// The typed facts (for an amend: of the amended data).
    public var facts: EventFacts
    /// SHA-256 of the submission part (see ``Submission/contentDigest(id:)``).
    public var contentDigest: String
    /// The rule set the event was recorded under (see ``RuleSet``): the `rules` member, 1 when absent.
    public var rules: Int = RuleSet.current
    /// What the current rules would refuse in an event recorded under older ones (empty for current events):
    /// `verify` reports these as notes, never as problems.
    public var ruleNotes: [String] = []

    /// Who recorded the event: the authenticated server user, or the operating-system user of a CLI append.
    /// Nil for events of format 1 (recorded before attribution existed). Covered by the hash; `author`
    /// stays the clinician responsible, who may be another person.
    public var recordedBy: String? = nil

    /// The event format that carries ``recordedBy`` (as `"format":2` in the canonical bytes). Events
    /// without a `format` member are format 1.
    public static let attributedFormat = 2

    /// Whether `name` can be a ``recordedBy``: 1-128 characters, no control characters.
    public static func isRecorderName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 128 && !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// The members the ledger adds when recording; the rest is the submission.
    static let recordingFields: Set<String> = ["site", "seq", "recordedAt", "clock", "prev", "recordedBy", "format", "rules"]

    /// Records a submission: assigns the recording fields, computes the canonical bytes and the hash.
    /// With `recordedBy`, the event is of format ``attributedFormat``; without, of format 1.
    public static func seal(_ s: Submission, id: String, site: String, seq: Int64, recordedAt: Timestamp, clock: VectorClock, prev: String,
                            recordedBy: String? = nil) -> RecordedEvent {
        seal(s, id: id, site: site, seq: seq, recordedAt: recordedAt, clock: clock, prev: prev, recordedBy: recordedBy, hashing: true)
    }

    static func seal(_ s: Submission, id: String, site: String, seq: Int64, recordedAt: Timestamp, clock: VectorClock, prev: String,
                     recordedBy: String?, hashing: Bool, rules: Int = RuleSet.current) -> RecordedEvent {
        sealed(s, RecordedEventEncoder.encode(s, id: id, site: site, seq: seq, recordedAt: recordedAt, clock: clock, prev: prev,
                                              recordedBy: recordedBy, rules: rules),
               id: id, site: site, seq: seq, recordedAt: recordedAt, clock: clock, prev: prev, recordedBy: recordedBy, hashing: hashing, rules: rules)
    }

    private static func sealed(_ s: Submission, _ encoded: RecordedEventEncoder.Output, id: String, site: String, seq: Int64, recordedAt: Timestamp,
                               clock: VectorClock, prev: String, recordedBy: String?, hashing: Bool, rules: Int) -> RecordedEvent {
        RecordedEvent(
            id: id, type: s.type, patient: s.patient, occurredAt: s.occurredAt, author: s.author, reason: s.reason,
            data: s.data, site: site, seq: seq, recordedAt: recordedAt, clock: clock, prev: prev,
            hash: hashing ? ChainHash.eventHash(prev: prev, canonical: encoded.canonical) : "", canonical: encoded.canonical, facts: s.facts,
            contentDigest: encoded.contentDigest, rules: rules, recordedBy: recordedBy)
    }

    /// The encoder over the JSON value model that ``RecordedEventEncoder`` replaced: the envelope as a dictionary,
    /// encoded by ``CanonicalJSON`` (keys sorted), the content digest cut out of its bytes. Kept as the reference the
    /// byte-level encoder is tested against.
    static func referenceSeal(_ s: Submission, id: String, site: String, seq: Int64, recordedAt: Timestamp, clock: VectorClock, prev: String,
                              recordedBy: String?, rules: Int = RuleSet.current) -> RecordedEvent {
        var o = s.envelope(id: id)
        if let recordedBy {
            o["recordedBy"] = .string(recordedBy)
            o["format"] = .number(Double(attributedFormat))
        }
        o["site"] = .string(site)
        o["seq"] = .number(Double(seq))
        o["recordedAt"] = .string(recordedAt.iso8601)
        o["clock"] = clock.json
        o["prev"] = .string(prev)
        if rules >= 2 { o["rules"] = .number(Double(rules)) }  // rule set 1 events have no member
        let canonical = CanonicalJSON.encode(.object(o))
        let digest = ChainHash.sha256Hex(CanonicalJSON.removingTopLevelMembers(canonical, keys: recordingFields))
        return RecordedEvent(
            id: id, type: s.type, patient: s.patient, occurredAt: s.occurredAt, author: s.author, reason: s.reason,
            data: s.data, site: site, seq: seq, recordedAt: recordedAt, clock: clock, prev: prev,
            hash: ChainHash.eventHash(prev: prev, canonical: canonical), canonical: canonical, facts: s.facts,
            contentDigest: digest, rules: rules, recordedBy: recordedBy)
    }

    /// An event sealed but for its chain link: everything that does not depend on the previous event's hash
    /// (canonical bytes with a placeholder `prev`, content digest), so a batch can be prepared on all cores.
    public struct Presealed: Sendable {
        var event: RecordedEvent
        var prevOffset: Int
        /// The clock's text (``VectorClock/description``), written while presealing so that the ordered insert
        /// need not write it.
        public let clockText: String

        /// The recorded event once the previous event's hash is known.
        public func sealed(prev: String) -> RecordedEvent {
            var copy = self
            return copy.seal(prev: prev)
        }

        /// ``sealed(prev:)`` in place: the canonical bytes are changed where they are, not copied, when this value
        /// holds them alone (as an element of an array the caller owns does).
        public mutating func seal(prev: String) -> RecordedEvent {
            guard prev.utf8.count == 64, prevOffset >= 0, prevOffset + 64 <= event.canonical.count else {
                return RecordedEvent.seal(event, prev: prev)
            }
            let offset = prevOffset
            event.canonical.withUnsafeMutableBufferPointer { bytes in
                _ = UnsafeMutableBufferPointer(rebasing: bytes[offset..<(offset + 64)]).initialize(from: prev.utf8)
            }
            event.prev = prev
            event.hash = ChainHash.eventHash(prev: prev, canonical: event.canonical)
            return event
        }
    }

    /// Prepares ``seal(_:id:site:seq:recordedAt:clock:prev:)`` without `prev`; see ``Presealed``.
    public static func preseal(_ s: Submission, id: String, site: String, seq: Int64, recordedAt: Timestamp, clock: VectorClock,
                               recordedBy: String? = nil) -> Presealed {
        let encoded = RecordedEventEncoder.encode(s, id: id, site: site, seq: seq, recordedAt: recordedAt, clock: clock, prev: ChainHash.genesis,
                                                  recordedBy: recordedBy, rules: RuleSet.current)
        let e = sealed(s, encoded, id: id, site: site, seq: seq, recordedAt: recordedAt, clock: clock, prev: ChainHash.genesis,
                       recordedBy: recordedBy, hashing: false, rules: RuleSet.current)
        return Presealed(event: e, prevOffset: encoded.prevOffset, clockText: clock.description)
    }

    static func seal(_ e: RecordedEvent, prev: String) -> RecordedEvent {
        let s = Submission(id: e.id, type: e.type, patient: e.patient, occurredAt: e.occurredAt, author: e.author, reason: e.reason, data: e.data, facts: e.facts)
        return seal(s, id: e.id, site: e.site, seq: e.seq, recordedAt: e.recordedAt, clock: e.clock, prev: prev, recordedBy: e.recordedBy)
    }

    /// Why recorded bytes could not be decoded.
    public struct DecodeError: Error, Sendable, CustomStringConvertible {
        /// What was wrong, naming the field.
        public var message: String
        public var description: String { message }
    }

    /// Decodes recorded canonical bytes, checking that they are canonical and that the submission part is
    /// valid. `targetType` resolves the type of a correction's target (needed for an amend's facts).
    /// The hash is computed from the bytes, so a decoded event is self-consistent by construction;
    /// chain linkage (`prev`) is checked by the caller.
    public static func decode(_ bytes: [UInt8], targetType: (String) -> EventType?) -> Result<RecordedEvent, DecodeError> {
        // The one-scan path takes what it can; whatever it leaves (anything it is not sure of) is decided below.
        if let event = RecordedEventDecoder.decode(bytes, targetType: targetType) { return .success(event) }
        return referenceDecode(bytes, targetType: targetType)
    }

    /// ``decode(_:targetType:)`` over the JSON value model: parse, re-encode to prove canonical form, take the
    /// recording members out of a dictionary. It words every refusal; the tests compare the two paths.
    static func referenceDecode(_ bytes: [UInt8], targetType: (String) -> EventType?) -> Result<RecordedEvent, DecodeError> {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { return .failure(DecodeError(message: error.description)) }
        guard CanonicalJSON.encode(value) == bytes else {
            return .failure(DecodeError(message: "the stored bytes are not in canonical form"))
        }
        guard case .object(var o) = value else { return .failure(DecodeError(message: "not a JSON object")) }
        guard case .string(let site)? = o.removeValue(forKey: "site"), Identifiers.isSiteName(site) else {
            return .failure(DecodeError(message: "site: missing or not a site name"))
        }
        guard let seqD = o.removeValue(forKey: "seq")?.integer(in: IntegerLimits.seq) else {
            return .failure(DecodeError(message: "seq: missing or not a positive integer"))
        }
        let rules: Int
        switch o.removeValue(forKey: "rules") {
        case .none: rules = 1
        case .some(.number(let n)) where n >= 2 && n == n.rounded() && n < 1e6:
            guard RuleSet.known.contains(Int(n)) else {
                return .failure(DecodeError(message: "rules: recorded under rule set \(Int(n)), newer than this software knows (\(RuleSet.known.upperBound)): upgrade therapy-ledger"))
            }
            rules = Int(n)
        case .some: return .failure(DecodeError(message: "rules: not a rule set number (2 or more; absent for rule set 1)"))
        }
        // The recording time is the ledger's own canonical UTC text; whether it is plausible (its range, never
        // before the site's previous event) is judged against the site's history (see ``ImportCheck``).
        guard case .string(let rec)? = o.removeValue(forKey: "recordedAt"), let recordedAt = Timestamp.parseRecordedUTC(rec), recordedAt.iso8601 == rec else {
            return .failure(DecodeError(message: "recordedAt: missing or not a UTC time"))
        }
        guard let clockV = o.removeValue(forKey: "clock"), let clock = VectorClock(json: clockV), clock[site] == seqD else {
            return .failure(DecodeError(message: "clock: missing, malformed, or its own entry is not the event's seq"))
        }
        guard case .string(let prev)? = o.removeValue(forKey: "prev"), prev.utf8.count == 64, ChainHash.bytes(hex: prev) != nil else {
            return .failure(DecodeError(message: "prev: missing or not a SHA-256 hex digest"))
        }
        var recordedBy: String?
        if let format = o.removeValue(forKey: "format") {
            guard format == .number(Double(attributedFormat)) else {
                return .failure(DecodeError(message: "format: \(CanonicalJSON.string(format)) is not an event format this version reads (1 or \(attributedFormat)); upgrade therapy-ledger"))
            }
            guard case .string(let by)? = o.removeValue(forKey: "recordedBy"), isRecorderName(by) else {
                return .failure(DecodeError(message: "recordedBy: missing or not a name, in an event of format \(attributedFormat)"))
            }
            recordedBy = by
        } else if o["recordedBy"] != nil {
            return .failure(DecodeError(message: "recordedBy: present in an event without \"format\":\(attributedFormat)"))
        }
        guard case .string(let id)? = o["id"], Identifiers.isUUID(id), id == id.lowercased() else {
            return .failure(DecodeError(message: "id: missing or not a lowercase UUID"))
        }
        // Validate the submission part with the same rules as an append (no future bound: it was checked then).
        let submission: Submission
        var notes: [FieldError] = []
        switch Submission.parse(.object(o), line: nil, now: Timestamp(seconds: Int64.max / 2), rules: rules, notes: &notes) {
        case .success(let s): submission = s
        case .failure(let e): return .failure(DecodeError(message: e.errors.map(\.description).joined(separator: "; ")))
        }
        guard JSONValue.object(submission.envelope(id: id)) == .object(o) else {
            return .failure(DecodeError(message: "the submission fields are not in their normalized form"))
        }
        var facts = submission.facts
        var amendNotes: [String] = []
        if submission.type == .eventCorrected, facts.action == "amend", let target = facts.ref {
            // An amend that cannot apply (no such target, data that does not fit it) is kept as recorded: the
            // import checks quarantine it (see ``ImportCheck``); verify notes it.
            if let t = targetType(target) {
                switch amendFacts(submission, targetType: t, rules: rules, notes: &notes) {
                case .success(let f): facts = f
                case .failure(let e): amendNotes = e.errors.map { "the amend cannot apply to its target: \($0.description)" }
                }
            } else {
                amendNotes = ["the amend's target \(target) is not in the ledger"]
            }
        }
        let hash = ChainHash.eventHash(prev: prev, canonical: bytes)
        return .success(RecordedEvent(
            id: id, type: submission.type, patient: submission.patient, occurredAt: submission.occurredAt,
            author: submission.author, reason: submission.reason, data: submission.data, site: site, seq: seqD,
            recordedAt: recordedAt, clock: clock, prev: prev, hash: hash, canonical: bytes, facts: facts,
            contentDigest: ChainHash.sha256Hex(CanonicalJSON.removingTopLevelMembers(bytes, keys: recordingFields)),
            rules: rules, ruleNotes: notes.map { "rule set \(RuleSet.current) would refuse it (recorded under rule set \(rules)): \($0.description)" } + amendNotes,
            recordedBy: recordedBy))
    }

    /// The facts of an amend: the amended data validated against the target's type, with the
    /// correction's own `ref` and `action` kept.
    public static func amendFacts(_ s: Submission, targetType: EventType, line: Int? = nil) -> Result<EventFacts, BatchRejected> {
        var notes: [FieldError] = []
        return amendFacts(s, targetType: targetType, line: line, rules: RuleSet.current, notes: &notes)
    }

    /// ``amendFacts(_:targetType:line:)`` by the rules of rule set `rules`, adding what newer rules refuse to `notes`.
    public static func amendFacts(_ s: Submission, targetType: EventType, line: Int? = nil, rules: Int, notes: inout [FieldError]) -> Result<EventFacts, BatchRejected> {
        if targetType == .eventCorrected {
            return .failure(BatchRejected(errors: [FieldError(line: line, field: "data.target", message: "a correction cannot be corrected: amend or void the original event instead")]))
        }
        switch DataValidator.validate(targetType, data: s.data["data"], path: "data.data", line: line, rules: rules, notes: &notes) {
        case .success(var f):
            f.ref = s.facts.ref
            f.action = s.facts.action
            return .success(f)
        case .failure(let e):
            return .failure(BatchRejected(errors: e.errors.map {
                var x = $0
                x.message += " (the amended data must fit the target's type, \(targetType.rawValue))"
                return x
            }))
        }
    }

    /// The recorded event as a JSON object: the canonical fields plus `hash`.
    public var json: JSONValue {
        guard case .object(var o) = (try? JSONParser.parse(canonical)) ?? .null else { return .null }
        o["hash"] = .string(hash)
        return .object(o)
    }

    /// The JSON Lines form: the canonical bytes with `"hash"` inserted in sorted position, on one line.
    public var jsonLine: [UInt8] { CanonicalJSON.encode(json) }
}
