import Crypto

/// Hashing of canonical bytes: event chain hashes and content digests, as lowercase hex SHA-256.
public enum ChainHash {
    /// The `prev` of a site's first event.
    public static let genesis = String(repeating: "0", count: 64)

    /// The hash of an event: SHA-256 over `prev` (hex), a newline, and the event's canonical bytes.
    public static func eventHash(prev: String, canonical: [UInt8]) -> String {
        var h = SHA256()
        var prev = prev
        prev.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        h.update(data: newline)
        h.update(data: canonical)
        return h.finalize().withUnsafeBytes { hex($0) }
    }

    private static let newline: [UInt8] = [0x0A]

    /// SHA-256 of `bytes`, lowercase hex.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).withUnsafeBytes { hex($0) }
    }

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { hex($0) }
    }

    /// Lowercase hex of `bytes`, written straight into the string's storage.
    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var i = 0
            for b in bytes {
                out[i] = digit(b >> 4)
                out[i + 1] = digit(b & 0x0F)
                i += 2
            }
            return i
        }
    }

    @inline(__always) private static func digit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

    /// Whether `hex` is hex digits (either case) of whole bytes: `bytes(hex:) != nil`, without building the bytes.
    public static func isHex(_ hex: String) -> Bool {
        var hex = hex
        return hex.withUTF8 { $0.count % 2 == 0 && $0.allSatisfy(Identifiers.isHex) }
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
