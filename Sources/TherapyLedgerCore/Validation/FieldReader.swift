/// Reads typed fields out of a JSON object, recording a ``FieldError`` for each missing, mistyped,
/// out-of-range or unknown field instead of stopping at the first.
struct FieldReader {
    let object: [String: JSONValue]
    let path: String
    let line: Int?
    var errors: [FieldError] = []
    /// The members asked for, in the order asked (a few: compared in turn, cheaper than hashing each).
    var seen: [String] = []
    /// The event type whose schema file documents this object, named in unknown-field errors (its name is built
    /// only for such an error).
    var schemaType: EventType?
    /// The rule set the object is judged by (see ``RuleSet``).
    var rules: Int = RuleSet.current
    /// What rules newer than ``rules`` would have refused (errors under the current rule set).
    var notes: [FieldError] = []

    init(_ object: [String: JSONValue], path: String, line: Int?) {
        self.object = object
        self.path = path
        self.line = line
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    mutating func fail(_ key: String, _ message: String) {
        errors.append(FieldError(line: line, field: fieldPath(key), message: message))
    }

    /// A rule introduced in rule set `since`: an error under it and later, a note for older events.
    mutating func fail(since: Int, _ key: String, _ message: String) {
        if rules >= since { fail(key, message) } else { notes.append(FieldError(line: line, field: fieldPath(key), message: message)) }
    }

    private mutating func value(_ key: String, required: Bool) -> JSONValue? {
        seen.append(key)
        guard let v = object[key] else {
            if required { fail(key, "missing: this field is required") }
            return nil
        }
        if v == .null {
            fail(key, "null is not a value here: give a value or leave the field out")
            return nil
        }
        return v
    }

    /// A number within `range`; `exclusiveMin` refuses the lower bound itself. `clinical` is the range rule set 2
    /// added (see ``DataValidator``): a value outside it is refused, or noted in an older event.
    mutating func number(_ key: String, required: Bool, min: Double, exclusiveMin: Bool = false, max: Double, unit: String,
                         clinical: ClosedRange<Double>? = nil) -> Double? {
        guard let v = value(key, required: required) else { return nil }
        guard case .number(let n) = v else {
            fail(key, "expected a number (\(unit)), got \(v.typeName)")
            return nil
        }
        if exclusiveMin ? n <= min : n < min {
            let low = exclusiveMin ? "greater than \(fmt(min))" : "at least \(fmt(min))"
            fail(key, "expected a number \(low) \(unit), got \(fmt(n))")
            return nil
        }
        if n > max {
            fail(key, "expected at most \(fmt(max)) \(unit), got \(fmt(n))")
            return nil
        }
        if let clinical, !clinical.contains(n) {
            fail(since: 2, key, "expected \(fmt(clinical.lowerBound)) to \(fmt(clinical.upperBound)) \(unit) (the clinical range), got \(fmt(n))")
            if rules >= 2 { return nil }
        }
        return n
    }

    mutating func integer(_ key: String, required: Bool, range: ClosedRange<Int>) -> Int? {
        guard let v = value(key, required: required) else { return nil }
        guard case .number(let n) = v, n == n.rounded(), n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
            fail(key, "expected an integer from \(range.lowerBound) to \(range.upperBound), got \(describe(v))")
            return nil
        }
        return Int(n)
    }

    mutating func bool(_ key: String, required: Bool) -> Bool? {
        guard let v = value(key, required: required) else { return nil }
        guard case .bool(let b) = v else {
            fail(key, "expected true or false, got \(v.typeName)")
            return nil
        }
        return b
    }

    mutating func string(_ key: String, required: Bool, maxLength: Int = 200) -> String? {
        guard let v = value(key, required: required) else { return nil }
        guard case .string(let s) = v else {
            fail(key, "expected a string, got \(v.typeName)")
            return nil
        }
        if s.isEmpty || s.unicodeScalars.count > maxLength {
            fail(key, "expected a non-empty string of at most \(maxLength) characters")
            return nil
        }
        if s.utf8.contains(0) {
            fail(key, "contains the NUL character (\\u0000): remove it (text fields may not hold it)")
            return nil
        }
        return s
    }

    mutating func oneOf(_ key: String, required: Bool, _ allowed: [String]) -> String? {
        guard let v = value(key, required: required) else { return nil }
        guard case .string(let s) = v, allowed.contains(s) else {
            fail(key, "expected one of \(allowed.joined(separator: " | ")), got \(describe(v))")
            return nil
        }
        return s
    }

    mutating func uuid(_ key: String, required: Bool) -> String? {
        guard let v = value(key, required: required) else { return nil }
        guard case .string(let s) = v, Identifiers.isUUID(s) else {
            fail(key, "expected an event id (a UUID like 0190c3e2-7f4a-7b1c-9d2e-3f4a5b6c7d8e), got \(describe(v))")
            return nil
        }
        return s.utf8.contains(where: { (65...90).contains($0) }) ? s.lowercased() : s
    }

    mutating func date(_ key: String, required: Bool) -> Timestamp? {
        guard let v = value(key, required: required) else { return nil }
        guard case .string(let s) = v, let t = Timestamp.parseDate(s) else {
            fail(key, "expected a date YYYY-MM-DD, got \(describe(v))")
            return nil
        }
        return t
    }

    /// Marks a member as read by the caller itself.
    mutating func markSeen(_ key: String) { seen.append(key) }

    /// Records an error for every member that no read asked for.
    mutating func rejectUnknown() {
        guard object.keys.contains(where: { !seen.contains($0) }) else { return }
        for key in object.keys.sorted() where !seen.contains(key) {
            fail(key, FieldSuggestion.unknownField(key, known: Set(seen).sorted(), given: Set(object.keys), schema: schemaType.map(FieldSuggestion.schemaFile(for:))))
        }
    }

    func has(_ key: String) -> Bool {
        if let v = object[key], v != .null { return true }
        return false
    }

    func describe(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return "\"\(s.prefix(40))\""
        case .number(let n): return fmt(n)
        case .bool(let b): return b ? "true" : "false"
        default: return v.typeName
        }
    }

    func fmt(_ n: Double) -> String {
        String(decoding: { var o: [UInt8] = []; CanonicalJSON.writeNumber(n, into: &o); return o }(), as: UTF8.self)
    }
}
