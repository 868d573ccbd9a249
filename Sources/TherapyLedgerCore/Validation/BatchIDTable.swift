/// The ids of one batch, in the little memory a batch of millions of lines allows: each id once, as 16 bytes
/// when it is a lowercase UUID (every submitted id is one: ``Submission`` lowercases them; other strings, such
/// as a test environment's generated ids, are kept as strings), with the first line that has it, its type and
/// patient (an index into the batch's patients). An open-addressing table of 4-byte slots finds them.
public struct BatchIDTable: Sendable {
    /// One id's first occurrence.
    struct Entry: Sendable {
        /// The UUID's bytes, big-endian halves; for a non-UUID id, `hi` is its index in `others`.
        var hi: UInt64
        var lo: UInt64
        var line: UInt32
        /// The first occurrence's place among the parsed lines (0-based).
        var ordinal: UInt32
        var patient: UInt32
        var type: UInt8
        var flags: UInt8

        static let isString: UInt8 = 1
        /// Another parsed line of the batch has the same id.
        static let repeated: UInt8 = 2
        /// The line is recorded as a new event by this batch.
        static let fresh: UInt8 = 4
    }

    var entries: [Entry] = []
    var others: [String] = []
    /// Entry index + 1 (0 is an empty slot); the count is a power of two, at most half full.
    var slots: [UInt32] = []
    /// Per-table random seed (ids come from users: no precomputed collisions).
    let seed: UInt64 = UInt64.random(in: .min ... .max)

    /// An empty table.
    public init() {}

    /// The number of distinct ids.
    public var count: Int { entries.count }

    /// The 128 bits of a lowercase UUID string (`8-4-4-4-12` hex digits), or nil for any other string.
    static func uuidBits(_ id: String) -> (hi: UInt64, lo: UInt64)? {
        var s = id
        return s.withUTF8 { uuidBits($0) }
    }

    private static func uuidBits(_ b: UnsafeBufferPointer<UInt8>) -> (hi: UInt64, lo: UInt64)? {
        guard b.count == 36 else { return nil }
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        var digits = 0
        for i in 0..<36 {
            let c = b[i]
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == UInt8(ascii: "-") else { return nil }
                continue
            }
            let v: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = UInt64(c - UInt8(ascii: "a") + 10)
            default: return nil
            }
            if digits < 16 { hi = hi << 4 | v } else { lo = lo << 4 | v }
            digits += 1
        }
        return (hi, lo)
    }

    /// The lowercase UUID string of 128 bits.
    static func uuidString(hi: UInt64, lo: UInt64) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            var k = 0
            for i in 0..<32 {
                if i == 8 || i == 12 || i == 16 || i == 20 { out[k] = UInt8(ascii: "-"); k += 1 }
                let word = i < 16 ? hi : lo
                let shift = UInt64(60 - 4 * (i % 16))
                let v = UInt8(truncatingIfNeeded: (word >> shift) & 0xF)
                out[k] = v < 10 ? 0x30 + v : 0x57 + v
                k += 1
            }
            return 36
        }
    }

    /// The id of an entry.
    func id(of index: Int) -> String { Self.id(entries[index], others) }

    static func id(_ e: Entry, _ others: [String]) -> String {
        if e.flags & Entry.isString != 0 { return others[Int(e.hi)] }
        return uuidString(hi: e.hi, lo: e.lo)
    }

    private func hash(_ id: String, _ bits: (hi: UInt64, lo: UInt64)?) -> Int {
        var h = Hasher()
        h.combine(seed)
        if let bits { h.combine(bits.hi); h.combine(bits.lo) } else { h.combine(id) }
        return h.finalize()
    }

    private func matches(_ e: Entry, _ id: String, _ bits: (hi: UInt64, lo: UInt64)?) -> Bool {
        if let bits { return e.flags & Entry.isString == 0 && e.hi == bits.hi && e.lo == bits.lo }
        return e.flags & Entry.isString != 0 && others[Int(e.hi)] == id
    }

    /// The index of the entry for `id`, if any.
    func find(_ id: String) -> Int? {
        guard !slots.isEmpty else { return nil }
        let bits = Self.uuidBits(id)
        let mask = slots.count - 1
        var i = hash(id, bits) & mask
        while slots[i] != 0 {
            let index = Int(slots[i] - 1)
            if matches(entries[index], id, bits) { return index }
            i = (i + 1) & mask
        }
        return nil
    }

    /// The entry for `id`: the existing one (marked repeated), or a new one for this first occurrence.
    mutating func insert(_ id: String, line: UInt32, ordinal: UInt32, patient: UInt32, type: EventType) -> (index: Int, isNew: Bool) {
        if entries.count * 2 >= slots.count { grow() }
        let bits = Self.uuidBits(id)
        let mask = slots.count - 1
        var i = hash(id, bits) & mask
        while slots[i] != 0 {
            let index = Int(slots[i] - 1)
            if matches(entries[index], id, bits) {
                entries[index].flags |= Entry.repeated
                return (index, false)
            }
            i = (i + 1) & mask
        }
        var e = Entry(hi: bits?.hi ?? UInt64(others.count), lo: bits?.lo ?? 0, line: line, ordinal: ordinal, patient: patient, type: UInt8(type.code), flags: 0)
        if bits == nil {
            e.flags |= Entry.isString
            others.append(id)
        }
        entries.append(e)
        slots[i] = UInt32(entries.count)
        return (entries.count - 1, true)
    }

    private mutating func grow() {
        let size = max(16, slots.count * 2)  // small to start: import checks each event as a batch of its own
        var fresh = [UInt32](repeating: 0, count: size)
        let mask = size - 1
        for (k, e) in entries.enumerated() {
            let bits: (hi: UInt64, lo: UInt64)? = e.flags & Entry.isString != 0 ? nil : (e.hi, e.lo)
            let id = bits == nil ? others[Int(e.hi)] : ""
            var i = hash(id, bits) & mask
            while fresh[i] != 0 { i = (i + 1) & mask }
            fresh[i] = UInt32(k + 1)
        }
        slots = fresh
    }
}

/// A SHA-256 digest as 32 raw bytes (a content digest is compared, never shown, while a batch is checked).
struct Digest32: Sendable, Hashable {
    var a: UInt64 = 0, b: UInt64 = 0, c: UInt64 = 0, d: UInt64 = 0

    /// From the 64 lowercase hex digits of ``ChainHash/sha256Hex(_:)``.
    init(hex: String) {
        var words: [UInt64] = [0, 0, 0, 0]
        for (i, ch) in hex.utf8.prefix(64).enumerated() {
            let v = ch <= UInt8(ascii: "9") ? UInt64(ch &- UInt8(ascii: "0")) : UInt64(ch &- UInt8(ascii: "a") &+ 10)
            words[i / 16] = words[i / 16] << 4 | (v & 0xF)
        }
        (a, b, c, d) = (words[0], words[1], words[2], words[3])
    }

    /// The 64 lowercase hex digits.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for word in [a, b, c, d] {
            for k in stride(from: 60, through: 0, by: -4) { out.append(digits[Int((word >> UInt64(k)) & 0xF)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
