/// The fast path of ``BatchValidator/parseLine(_:line:now:)``: reads a submission line in one scan, straight into
/// its fields, without a JSON value of the envelope (no dictionary to build, hash and look up member by member).
/// Only `data` becomes a JSON value, which ``DataValidator`` reads and the record keeps.
///
/// It accepts only what the general path accepts, with the same submission: a line it is not sure of (an escape,
/// a byte outside ASCII, a member repeated or unknown, a value of the wrong type, anything the rules refuse)
/// gives nil, and the general path decides, with its own words for every error.
enum SubmissionScanner {
    static func submission(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, now: Timestamp) -> Submission? {
        var s = Scan(buffer: bytes)
        var id: String?, typeName: String?, patient: String?, occurred: String?, author: String?, reason: String?
        var data: JSONValue?
        s.skipWhitespace()
        guard s.take(UInt8(ascii: "{")) else { return nil }
        s.skipWhitespace()
        if !s.take(UInt8(ascii: "}")) {
            while true {
                s.skipWhitespace()
                guard let key = s.keyCode() else { return nil }
                s.skipWhitespace()
                guard s.take(UInt8(ascii: ":")) else { return nil }
                s.skipWhitespace()
                switch key {
                case .id:
                    guard id == nil, let v = s.string() else { return nil }
                    id = v
                case .type:
                    guard typeName == nil, let v = s.string() else { return nil }
                    typeName = v
                case .patient:
                    guard patient == nil, let v = s.string() else { return nil }
                    patient = v
                case .occurredAt:
                    guard occurred == nil, let v = s.string() else { return nil }
                    occurred = v
                case .author:
                    guard author == nil, let v = s.string() else { return nil }
                    author = v
                case .reason:
                    guard reason == nil, let v = s.string() else { return nil }
                    reason = v
                case .data:
                    guard data == nil, s.peek == UInt8(ascii: "{"), let v = s.value(depth: 1) else { return nil }
                    data = v
                }
                s.skipWhitespace()
                if s.take(UInt8(ascii: ",")) { continue }
                guard s.take(UInt8(ascii: "}")) else { return nil }
                break
            }
        }
        s.skipWhitespace()
        guard s.index == bytes.count else { return nil }

        // The envelope's rules, as ``Submission/parse(_:line:now:rules:notes:)`` applies them.
        if let given = id, !Identifiers.isUUID(given) { return nil }
        guard let typeName, let type = EventType.named(typeName),
              let patient, Identifiers.isPatientID(patient),
              let occurred, let occurredAt = Timestamp.parse(occurred), occurredAt.seconds <= now.seconds + 86_400,
              let author, Identifiers.isAuthorID(author),
              let data else { return nil }
        if let reason, reason.isEmpty || reason.unicodeScalars.count > 2000 { return nil }
        if type.requiresReason && reason == nil { return nil }
        var notes: [FieldError] = []
        guard case .success(let facts) = DataValidator.validate(type, data: data, line: line, rules: RuleSet.current, notes: &notes),
              notes.isEmpty else { return nil }
        let normalizedID = id.map { $0.utf8.contains(where: { (65...90).contains($0) }) ? $0.lowercased() : $0 }
        return Submission(id: normalizedID, type: type, patient: patient, occurredAt: occurredAt, author: author, reason: reason,
                          data: data, facts: facts)
    }

    /// The envelope's members.
    enum Key { case id, type, patient, occurredAt, author, reason, data }

    /// A scan over JSON text by ``JSONParser``'s grammar (the same whitespace, numbers and literals), giving up
    /// (nil) on whatever it leaves to the general path: escapes, bytes outside ASCII, repeated members.
    struct Scan {
        let buffer: UnsafeBufferPointer<UInt8>
        var index = 0

        var peek: UInt8? { index < buffer.count ? buffer[index] : nil }

        mutating func skipWhitespace() {
            while index < buffer.count {
                let c = buffer[index]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { index += 1 } else { break }
            }
        }

        mutating func take(_ c: UInt8) -> Bool {
            guard index < buffer.count, buffer[index] == c else { return false }
            index += 1
            return true
        }

        /// The bytes of a string without escapes and in ASCII, after its opening quote; the index after its closing one.
        mutating func stringBytes() -> UnsafeBufferPointer<UInt8>? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < buffer.count {
                let c = buffer[index]
                if c == UInt8(ascii: "\"") {
                    let bytes = UnsafeBufferPointer(rebasing: buffer[start..<index])
                    index += 1
                    return bytes
                }
                if c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { return nil }
                index += 1
            }
            return nil
        }

        mutating func string() -> String? {
            stringBytes().map { String(decoding: $0, as: UTF8.self) }
        }

        /// An envelope member's name; nil for any other.
        mutating func keyCode() -> Key? {
            guard let b = stringBytes() else { return nil }
            func named(_ name: StaticString) -> Bool {
                name.utf8CodeUnitCount == b.count && name.withUTF8Buffer { $0.elementsEqual(b) }
            }
            switch b.count {
            case 2: return named("id") ? .id : nil
            case 4: return named("type") ? .type : named("data") ? .data : nil
            case 6: return named("author") ? .author : named("reason") ? .reason : nil
            case 7: return named("patient") ? .patient : nil
            case 10: return named("occurredAt") ? .occurredAt : nil
            default: return nil
            }
        }

        /// A JSON value, nested less than 64 levels as ``JSONParser`` allows.
        mutating func value(depth: Int) -> JSONValue? {
            guard depth < 64, let c = peek else { return nil }
            switch c {
            case UInt8(ascii: "{"):
                index += 1
                skipWhitespace()
                if take(UInt8(ascii: "}")) { return .object([:]) }
                var members = [String: JSONValue](minimumCapacity: 8)
                while true {
                    skipWhitespace()
                    guard let key = string() else { return nil }
                    skipWhitespace()
                    guard take(UInt8(ascii: ":")) else { return nil }
                    skipWhitespace()
                    guard let v = value(depth: depth + 1), members.updateValue(v, forKey: key) == nil else { return nil }
                    skipWhitespace()
                    if take(UInt8(ascii: ",")) { continue }
                    return take(UInt8(ascii: "}")) ? .object(members) : nil
                }
            case UInt8(ascii: "["):
                index += 1
                skipWhitespace()
                if take(UInt8(ascii: "]")) { return .array([]) }
                var items: [JSONValue] = []
                while true {
                    skipWhitespace()
                    guard let v = value(depth: depth + 1) else { return nil }
                    items.append(v)
                    skipWhitespace()
                    if take(UInt8(ascii: ",")) { continue }
                    return take(UInt8(ascii: "]")) ? .array(items) : nil
                }
            case UInt8(ascii: "\""): return string().map { .string($0) }
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number().map { .number($0) }
            default: return nil
            }
        }

        mutating func literal(_ text: StaticString) -> Bool {
            let n = text.utf8CodeUnitCount
            guard index + n <= buffer.count, text.withUTF8Buffer({ $0.elementsEqual(buffer[index..<(index + n)]) }) else { return false }
            index += n
            return true
        }

        /// A number by RFC 8259's grammar, converted as ``JSONParser`` converts it (finite only).
        mutating func number() -> Double? {
            let start = index
            func digits() -> Int {
                let from = index
                while index < buffer.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[index]) { index += 1 }
                return index - from
            }
            _ = take(UInt8(ascii: "-"))
            if take(UInt8(ascii: "0")) {
                // a leading zero stands alone
            } else if digits() == 0 {
                return nil
            }
            if take(UInt8(ascii: ".")), digits() == 0 { return nil }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                if digits() == 0 { return nil }
            }
            guard let v = Double(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)), v.isFinite else { return nil }
            return v
        }
    }
}
