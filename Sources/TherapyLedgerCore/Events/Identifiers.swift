/// Rules and generation for the identifiers the ledger uses.
public enum Identifiers {
    /// Whether `s` is a UUID in the 8-4-4-4-12 hex form (either case).
    public static func isUUID(_ s: String) -> Bool {
        guard s.utf8.count == 36 else { return false }
        var s = s
        return s.withUTF8 { b in
            for (i, c) in b.enumerated() {
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    if c != UInt8(ascii: "-") { return false }
                } else if !isHex(c) {
                    return false
                }
            }
            return true
        }
    }

    static func isHex(_ c: UInt8) -> Bool {
        (48...57).contains(c) || (97...102).contains(c) || (65...70).contains(c)
    }

    /// A patient id: 1-64 characters of letters, digits, `.`, `_` and `-`, starting with a letter or digit.
    public static func isPatientID(_ s: String) -> Bool { isToken(s, max: 64, extra: "._-") }

    /// An author id: 1-64 characters of letters, digits, `.`, `_`, `@` and `-`.
    public static func isAuthorID(_ s: String) -> Bool { isToken(s, max: 64, extra: "._@-") }

    /// A site name: 1-32 of lowercase letters, digits and `-`.
    public static func isSiteName(_ s: String) -> Bool {
        let b = s.utf8
        guard (1...32).contains(b.count) else { return false }
        return b.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// Checked on every line of every batch: no allocation (the string's own UTF-8, `extra` a few characters).
    static func isToken(_ s: String, max: Int, extra: StaticString) -> Bool {
        guard (1...max).contains(s.utf8.count) else { return false }
        var s = s
        return s.withUTF8 { b in
            guard let first = b.first, isAlphanumeric(first) else { return false }
            return b.allSatisfy { c in
                isAlphanumeric(c) || extra.withUTF8Buffer { $0.contains(c) }
            }
        }
    }

    static func isAlphanumeric(_ c: UInt8) -> Bool {
        (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c)
    }

    /// A time-ordered UUID (version 7, RFC 9562) from a time in milliseconds and 10 random bytes.
    public static func uuidV7(milliseconds: UInt64, random: [UInt8]) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - i))) }
        for i in 0..<10 { bytes[6 + i] = i < random.count ? random[i] : 0 }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
