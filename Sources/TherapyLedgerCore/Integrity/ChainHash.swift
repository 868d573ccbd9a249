import Crypto

/// Hashing of canonical bytes: event chain hashes and content digests, as lowercase hex SHA-256.
public enum ChainHash {
    /// The `prev` of a site's first event.
    public static let genesis = String(repeating: "0", count: 64)

    /// The hash of an event: SHA-256 over `prev` (hex), a newline, and the event's canonical bytes.
    public static func eventHash(prev: String, canonical: [UInt8]) -> String {
        var h = SHA256()
        h.update(data: Array(prev.utf8))
        h.update(data: [0x0A])
        h.update(data: canonical)
        return hex(Array(h.finalize()))
    }

    /// SHA-256 of `bytes`, lowercase hex.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(Array(SHA256.hash(data: bytes)))
    }

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes of a lowercase or uppercase hex string, nil when it is not hex.
    public static func bytes(hex: String) -> [UInt8]? {
        let b = Array(hex.utf8)
        guard b.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(b.count / 2)
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var i = 0
        while i < b.count {
            guard let hi = v(b[i]), let lo = v(b[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
