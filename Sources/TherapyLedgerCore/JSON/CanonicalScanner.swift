/// Reads JSON that must already be in the ledger's canonical form (see ``CanonicalJSON``) in one scan: the
/// value it holds, or nil when the bytes are not exactly what ``CanonicalJSON/encode(_:)`` writes for that
/// value (whitespace, keys out of order or repeated, an escape that is not the minimal one, a number not in
/// its one form, invalid UTF-8, trailing bytes), or not JSON at all.
///
/// A value returned is one whose canonical encoding is the scanned bytes, byte for byte: the check that
/// re-encoding the parsed value gives the same bytes, without re-encoding. Callers that need the reason for
/// a nil parse the bytes with ``JSONParser`` (which names what is wrong).
public struct CanonicalScanner {
    let buffer: UnsafeBufferPointer<UInt8>
    /// The offset of the next byte to read.
    public var index: Int

    /// A scanner over `buffer`, from its first byte.
    public init(_ buffer: UnsafeBufferPointer<UInt8>, at index: Int = 0) {
        self.buffer = buffer
        self.index = index
    }

    /// The canonical value held by the whole of `bytes`, or nil.
    public static func parse(_ bytes: [UInt8]) -> JSONValue? {
        bytes.withUnsafeBufferPointer { b -> JSONValue? in
            var s = CanonicalScanner(b)
            guard let v = s.value(depth: 0), s.index == b.count else { return nil }
            return v
        }
    }

    /// Whether the next bytes are `text` (consumed when they are).
    @inline(__always)
    public mutating func expect(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard index + n <= buffer.count else { return false }
        let p = text.utf8Start
        for k in 0..<n where buffer[index + k] != p[k] { return false }
        index += n
        return true
    }

    /// The next byte, or nil at the end.
    public var peek: UInt8? { index < buffer.count ? buffer[index] : nil }

    /// A canonical value (nesting below 64 levels, as ``JSONParser`` allows).
    public mutating func value(depth: Int) -> JSONValue? {
        guard depth < 64, index < buffer.count else { return nil }
        switch buffer[index] {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""): return string().map { .string($0) }
        case UInt8(ascii: "t"): return expect("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return expect("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return expect("null") ? .null : nil
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number().map { .number($0) }
        default: return nil
        }
    }

    mutating func object(depth: Int) -> JSONValue? {
        index += 1
        if peek == UInt8(ascii: "}") { index += 1; return .object([:]) }
        var members = [String: JSONValue](minimumCapacity: 8)  // grown one by one, it reallocates and rehashes 4 times
        var previousKey: String?
        while true {
            guard peek == UInt8(ascii: "\""), let key = string() else { return nil }
            // Strictly ascending by UTF-8 bytes: sorted, and no key twice.
            if let previousKey, !previousKey.utf8.lexicographicallyPrecedes(key.utf8) { return nil }
            guard peek == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let v = value(depth: depth + 1) else { return nil }
            members[key] = v
            previousKey = key
            guard let c = peek else { return nil }
            index += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { return .object(members) }
            return nil
        }
    }

    mutating func array(depth: Int) -> JSONValue? {
        index += 1
        var items: [JSONValue] = []
        if peek == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            guard let v = value(depth: depth + 1) else { return nil }
            items.append(v)
            guard let c = peek else { return nil }
            index += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "]") { return .array(items) }
            return nil
        }
    }

    /// A string literal as ``CanonicalJSON/writeString(_:into:)`` writes it: raw bytes but `"`, `\` and control
    /// characters; `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f` and `\u00xx` (lowercase hex) for the other control
    /// characters; valid UTF-8.
    public mutating func string() -> String? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        index += 1
        let start = index
        var high: UInt8 = 0
        while index < buffer.count {
            let c = buffer[index]
            if c == UInt8(ascii: "\"") {
                let s = Self.strictString(UnsafeBufferPointer(rebasing: buffer[start..<index]), ascii: high < 0x80)
                index += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { return nil }
            high |= c
            index += 1
        }
        // With escapes: decode them, allowing only the minimal ones.
        var bytes = Array(buffer[start..<index])
        while index < buffer.count {
            let c = buffer[index]
            if c == UInt8(ascii: "\"") {
                index += 1
                return bytes.withUnsafeBufferPointer { Self.strictString($0, ascii: false) }
            }
            if c < 0x20 { return nil }
            if c != UInt8(ascii: "\\") { bytes.append(c); index += 1; continue }
            guard index + 1 < buffer.count else { return nil }
            let e = buffer[index + 1]
            index += 2
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "u"):
                guard index + 4 <= buffer.count, buffer[index] == 0x30, buffer[index + 1] == 0x30,
                      let hi = Self.lowerHex(buffer[index + 2]), hi < 2, let lo = Self.lowerHex(buffer[index + 3]) else { return nil }
                let v = hi << 4 | lo
                // Those with a short escape are never written as \u00xx.
                guard v != 0x08, v != 0x09, v != 0x0A, v != 0x0C, v != 0x0D else { return nil }
                bytes.append(v)
                index += 4
            default:
                return nil
            }
        }
        return nil
    }

    static func lowerHex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        default: return nil
        }
    }

    /// The string of these UTF-8 bytes, or nil when they are not valid UTF-8 (as ``JSONParser`` decides).
    static func strictString(_ bytes: UnsafeBufferPointer<UInt8>, ascii: Bool) -> String? {
        let s = String(decoding: bytes, as: UTF8.self)
        if ascii { return s }
        return s.utf8.elementsEqual(bytes) ? s : nil
    }

    /// A number in its one canonical form (see ``CanonicalJSON/writeNumber(_:into:)``).
    public mutating func number() -> Double? {
        let start = index
        var negative = false
        if peek == UInt8(ascii: "-") { negative = true; index += 1 }
        // Integers of up to 15 digits, without a leading zero, are exact doubles written as themselves.
        var v: Int64 = 0
        var digits = 0
        while index < buffer.count, buffer[index] >= 48, buffer[index] <= 57 {
            v = v &* 10 &+ Int64(buffer[index] - 48)
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        let integral = index == buffer.count || !(buffer[index] == UInt8(ascii: ".") || buffer[index] == UInt8(ascii: "e") || buffer[index] == UInt8(ascii: "E"))
        if integral && digits <= 15 {
            let leadingZero = buffer[start + (negative ? 1 : 0)] == 48
            if leadingZero { return digits == 1 && !negative ? 0 : nil }  // "0" only; never "-0", "01"
            return Double(negative ? -v : v)
        }
        // Anything else: as JSON, then exactly the bytes the canonical writer gives its value.
        if index < buffer.count, buffer[index] == UInt8(ascii: ".") {
            index += 1
            let d = index
            while index < buffer.count, buffer[index] >= 48, buffer[index] <= 57 { index += 1 }
            guard index > d else { return nil }
        }
        if index < buffer.count, buffer[index] == UInt8(ascii: "e") || buffer[index] == UInt8(ascii: "E") {
            index += 1
            if index < buffer.count, buffer[index] == UInt8(ascii: "+") || buffer[index] == UInt8(ascii: "-") { index += 1 }
            let d = index
            while index < buffer.count, buffer[index] >= 48, buffer[index] <= 57 { index += 1 }
            guard index > d else { return nil }
        }
        let text = UnsafeBufferPointer(rebasing: buffer[start..<index])
        guard let n = Double(String(decoding: text, as: UTF8.self)), n.isFinite else { return nil }
        var written: [UInt8] = []
        CanonicalJSON.writeNumber(n, into: &written)
        return written.elementsEqual(text) ? n : nil
    }
}
