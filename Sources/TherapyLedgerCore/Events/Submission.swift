/// A validated event submission: what a clinician or system asks the ledger to record.
///
/// Parsed from one JSON Lines line:
/// `{"id"?, "type", "patient", "occurredAt", "author", "reason"?, "data"}`.
/// `occurredAt` is normalized to UTC whole seconds; ids are lowercased.
public struct Submission: Sendable, Hashable {
    /// The event id, or nil for the ledger to assign a time-ordered one.
    public var id: String?
    public var type: EventType
    public var patient: String
    /// When it happened, clinically.
    public var occurredAt: Timestamp
    public var author: String
    public var reason: String?
    /// The type's data, as given (defaults are applied in ``facts``, not written into the record).
    public var data: JSONValue
    /// The typed facts of `data`. For an amend, the amended data's facts, filled in by batch validation.
    public var facts: EventFacts

    /// Creates a submission from already-validated parts.
    public init(id: String?, type: EventType, patient: String, occurredAt: Timestamp, author: String, reason: String?, data: JSONValue, facts: EventFacts) {
        self.id = id
        self.type = type
        self.patient = patient
        self.occurredAt = occurredAt
        self.author = author
        self.reason = reason
        self.data = data
        self.facts = facts
    }

    static let envelopeFields: Set<String> = ["id", "type", "patient", "occurredAt", "author", "reason", "data"]
    static let recordedFields: Set<String> = ["site", "seq", "recordedAt", "clock", "prev", "hash", "rules"]

    /// Parses and validates one submission line. `now` bounds `occurredAt` (at most a day ahead).
    public static func parse(_ value: JSONValue, line: Int?, now: Timestamp) -> Result<Submission, BatchRejected> {
        var notes: [FieldError] = []
        return parse(value, line: line, now: now, rules: RuleSet.current, notes: &notes)
    }

    /// Parses and validates a submission by the rules of rule set `rules` (see ``RuleSet``): what newer rules
    /// would refuse is added to `notes` instead of refused.
    public static func parse(_ value: JSONValue, line: Int?, now: Timestamp, rules: Int, notes: inout [FieldError]) -> Result<Submission, BatchRejected> {
        guard case .object(let o) = value else {
            return .failure(BatchRejected(errors: [FieldError(line: line, field: "", message: "expected a JSON object, got \(value.typeName)")]))
        }
        // Each member looked up once.
        let idValue = o["id"], typeValue = o["type"], patientValue = o["patient"], occurredAtValue = o["occurredAt"]
        let authorValue = o["author"], reasonValue = o["reason"], dataValue = o["data"]
        var errors: [FieldError] = []
        func fail(_ field: String, _ message: String) { errors.append(FieldError(line: line, field: field, message: message)) }

        var id: String?
        if let v = idValue {
            if case .string(let s) = v, Identifiers.isUUID(s) { id = s.utf8.contains(where: { (65...90).contains($0) }) ? s.lowercased() : s } else { fail("id", "expected a UUID like 0190c3e2-7f4a-7b1c-9d2e-3f4a5b6c7d8e, or no id for the ledger to assign one") }
        }
        var type: EventType?
        switch typeValue {
        case .none, .some(.null): fail("type", "missing: this field is required")
        case .some(.string(let s)):
            type = EventType.named(s)
            if type == nil {
                let close = FieldSuggestion.closest(to: s, among: EventType.allCases.map(\.rawValue))
                fail("type", "unknown event type \"\(s.prefix(40))\": \(close.map { "did you mean \($0)? " } ?? "")expected one of \(EventType.allCases.map(\.rawValue).joined(separator: ", ")) (`therapy-ledger example TYPE` prints one)")
            }
        case .some(let v): fail("type", "expected a string, got \(v.typeName)")
        }
        var patient: String?
        switch patientValue {
        case .none, .some(.null): fail("patient", "missing: this field is required")
        case .some(.string(let s)) where Identifiers.isPatientID(s): patient = s
        case .some: fail("patient", "expected a patient id: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        var occurredAt: Timestamp?
        switch occurredAtValue {
        case .none, .some(.null): fail("occurredAt", "missing: this field is required")
        case .some(.string(let s)):
            if let t = Timestamp.parse(s) {
                if t.seconds > now.seconds + 86_400 {
                    fail("occurredAt", "\(t.iso8601) is more than a day in the future: check the date")
                } else {
                    occurredAt = t
                }
            } else if rules < 2, let t = Timestamp.parseRecordedUTC(s) {
                // Rule set 1 range-checked the local time, before normalizing it to UTC.
                notes.append(FieldError(line: line, field: "occurredAt", message: Timestamp.parseError(s) ?? "outside the accepted range"))
                occurredAt = t
            } else {
                fail("occurredAt", Timestamp.parseError(s) ?? "invalid time")
            }
        case .some(let v): fail("occurredAt", "expected an ISO 8601 time string, got \(v.typeName)")
        }
        var author: String?
        switch authorValue {
        case .none, .some(.null): fail("author", "missing: this field is required")
        case .some(.string(let s)) where Identifiers.isAuthorID(s): author = s
        case .some: fail("author", "expected an author id: 1-64 letters, digits, '.', '_', '@' or '-'")
        }
        var reason: String?
        switch reasonValue {
        case .none: break
        case .some(.string(let s)) where !s.isEmpty && s.unicodeScalars.count <= 2000 && !s.utf8.contains(0): reason = s
        case .some: fail("reason", "expected a non-empty string of at most 2000 characters, without the NUL character (\\u0000)")
        }
        if let type, type.requiresReason, reason == nil, reasonValue == nil {
            fail("reason", "required for \(type.rawValue): say why")
        }
        // Unknown members are looked for (in sorted order, for the errors) only when there are more members than known ones.
        func present(_ v: JSONValue?) -> Int { v == nil ? 0 : 1 }
        let known = present(idValue) + present(typeValue) + present(patientValue) + present(occurredAtValue) + present(authorValue)
            + present(reasonValue) + present(dataValue)
        for key in (o.count > known ? o.keys.sorted() : []) where !envelopeFields.contains(key) {
            if recordedFields.contains(key) {
                fail(key, "assigned by the ledger when the event is recorded: remove it from the submission")
            } else {
                fail(key, FieldSuggestion.unknownField(key, known: ["id", "type", "patient", "occurredAt", "author", "reason", "data"], given: Set(o.keys), schema: FieldSuggestion.submissionSchemaFile))
            }
        }
        var facts = EventFacts()
        let data = dataValue ?? .null
        if let type {
            if dataValue == .null {
                fail("data", "null is not a value here: give a data object")
            } else if type != .pumpExplanted, dataValue == nil {
                fail("data", "missing: \(type.rawValue) needs a data object")
            } else {
                switch DataValidator.validate(type, data: data, line: line, rules: rules, notes: &notes) {
                case .success(let f): facts = f
                case .failure(let e): errors += e.errors
                }
            }
        }
        guard errors.isEmpty, let type, let patient, let occurredAt, let author else {
            return .failure(BatchRejected(errors: errors))
        }
        let normalizedData: JSONValue = data == .null ? .object([:]) : data
        return .success(Submission(id: id, type: type, patient: patient, occurredAt: occurredAt, author: author, reason: reason, data: normalizedData, facts: facts))
    }

    /// The submission's own fields as a JSON object, with the given id.
    public func envelope(id: String) -> [String: JSONValue] {
        var o: [String: JSONValue] = [
            "id": .string(id), "type": .string(type.rawValue), "patient": .string(patient),
            "occurredAt": .string(occurredAt.iso8601), "author": .string(author), "data": data,
        ]
        if let reason { o["reason"] = .string(reason) }
        return o
    }

    /// SHA-256 of the canonical submission with the given id: equal for the same content.
    public func contentDigest(id: String) -> String {
        ChainHash.sha256Hex(CanonicalJSON.encode(.object(envelope(id: id))))
    }
}
