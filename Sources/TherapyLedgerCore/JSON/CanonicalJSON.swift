/// The ledger's canonical JSON form: object keys sorted by their UTF-8 bytes, no insignificant
/// whitespace, strings escaped minimally (only `"`, `\` and control characters), and numbers in one form.
///
/// Numbers: an integral value within ±2^53 is written without a fraction (`18`, not `18.0`);
/// any other value is written in Swift's shortest round-trip form (`0.1`, `1e-05`). The same value
/// therefore always has the same bytes, which is what hashes and signatures cover.
public enum CanonicalJSON {
    /// The canonical bytes of `value`.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    /// The canonical text of `value`.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    /// Appends the canonical bytes of `value` to `out`.
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): writeNumber(n, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // Members sorted by their keys' UTF-8 bytes (no lookup per key afterwards).
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (i, member) in sorted.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends the canonical form of a number.
    public static func writeNumber(_ n: Double, into out: inout [UInt8]) {
        // JSON has no infinity or NaN: such a value (which validation keeps out) is written as null.
        guard n.isFinite else { out.append(contentsOf: "null".utf8); return }
        if n == n.rounded(), abs(n) <= 9_007_199_254_740_992 {
            if n == 0 { out.append(UInt8(ascii: "0")); return }
            out.append(contentsOf: String(Int64(n)).utf8)
        } else {
            out.append(contentsOf: n.description.utf8)
        }
    }

    /// Appends a JSON string literal with minimal escaping.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Fast path: nothing to escape (the usual case) is copied in one go, from contiguous UTF-8.
        var s = s
        let plain = s.withUTF8 { bytes in
            for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in s.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The canonical bytes of an object without some of its top-level members, cut out of `bytes`
    /// (canonical JSON of an object) without re-serializing: equal to encoding the object minus those keys.
    public static func removingTopLevelMembers(_ bytes: [UInt8], keys: Set<String>) -> [UInt8] {
        guard bytes.first == UInt8(ascii: "{") else { return bytes }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(bytes.count)
        var i = 1
        var first = true
        while i < bytes.count, bytes[i] != UInt8(ascii: "}") {
            let memberStart = i
            // Key.
            guard bytes[i] == 0x22 else { return bytes }
            var j = i + 1
            while j < bytes.count, bytes[j] != 0x22 { j += bytes[j] == 0x5C ? 2 : 1 }
            let key = String(decoding: bytes[(i + 1)..<j], as: UTF8.self)
            j += 2  // closing quote and colon
            // Value: skip to the comma or closing brace at depth 0.
            var depth = 0
            var inString = false
            while j < bytes.count {
                let c = bytes[j]
                if inString {
                    if c == 0x5C { j += 2; continue }
                    if c == 0x22 { inString = false }
                } else if c == 0x22 {
                    inString = true
                } else if c == 0x7B || c == 0x5B {
                    depth += 1
                } else if c == 0x7D || c == 0x5D {
                    if depth == 0 { break }
                    depth -= 1
                } else if c == 0x2C, depth == 0 {
                    break
                }
                j += 1
            }
            if !keys.contains(key) {
                if !first { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: bytes[memberStart..<j])
                first = false
            }
            i = j < bytes.count && bytes[j] == 0x2C ? j + 1 : j
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The offset of the first occurrence of `needle` in `bytes`, or nil.
    public static func firstOffset(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard let first = needle.first, needle.count <= bytes.count else { return nil }
        return bytes.withUnsafeBufferPointer { hay -> Int? in
            needle.withUnsafeBufferPointer { n -> Int? in
                var i = 0
                let last = hay.count - n.count
                while i <= last {
                    if hay[i] == first {
                        var k = 1
                        while k < n.count, hay[i + k] == n[k] { k += 1 }
                        if k == n.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }

    /// The offset of the comma that starts the top-level member `key` (`,"key":`) in the canonical bytes of
    /// an object, or nil when the object has no such member after its first one.
    public static func topLevelMemberOffset(_ key: String, in bytes: [UInt8]) -> Int? {
        let marker = Array(",\"\(key)\":".utf8)
        var depth = 0
        var inString = false
        var escaped = false
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if inString {
                if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
            } else if c == 0x22 {
                inString = true
            } else if c == 0x7B || c == 0x5B {
                depth += 1
            } else if c == 0x7D || c == 0x5D {
                depth -= 1
            } else if depth == 1, c == 0x2C, bytes[i...].starts(with: marker) {
                return i
            }
            i += 1
        }
        return nil
    }
}
