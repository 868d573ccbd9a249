/// A vector clock: for each site, the highest seq of that site's events integrated.
///
/// An event's clock is its site's clock when it was recorded, with the event's own seq as the
/// site's entry. Event A happened before B exactly when B's clock covers A (`B.clock[A.site] >= A.seq`).
public struct VectorClock: Sendable, Hashable, CustomStringConvertible {
    /// Site -> highest seq integrated. Sites with nothing integrated are absent.
    public private(set) var entries: [String: Int64]

    /// An empty clock, or one with the given entries (zero entries are dropped).
    public init(_ entries: [String: Int64] = [:]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    /// The highest seq of `site` integrated, 0 when none.
    public subscript(site: String) -> Int64 {
        get { entries[site] ?? 0 }
        set { entries[site] = newValue > 0 ? newValue : nil }
    }

    /// Whether the clock has integrated event `seq` of `site`.
    public func covers(site: String, seq: Int64) -> Bool { self[site] >= seq }

    /// Whether every entry of `other` is covered by this clock.
    public func dominates(_ other: VectorClock) -> Bool {
        other.entries.allSatisfy { self[$0.key] >= $0.value }
    }

    /// The entry-wise maximum of two clocks.
    public func merged(with other: VectorClock) -> VectorClock {
        var out = self
        for (site, seq) in other.entries where seq > out[site] { out[site] = seq }
        return out
    }

    /// The sum of all entries: strictly greater for an event than for any event it has seen,
    /// so it orders causally related events consistently with causality.
    public var sum: Int64 { entries.values.reduce(0, +) }

    /// The clock as a JSON object.
    public var json: JSONValue { .object(entries.mapValues { .number(Double($0)) }) }

    /// Parses a clock from a JSON object of site names to non-negative integers.
    public init?(json: JSONValue) {
        guard case .object(let o) = json else { return nil }
        var e: [String: Int64] = [:]
        for (k, v) in o {
            guard Identifiers.isSiteName(k), let n = v.integer(in: IntegerLimits.clockEntry) else { return nil }
            e[k] = n
        }
        self.init(e)
    }

    /// Canonical JSON text, e.g. `{"north":120,"south":48}`.
    /// Written as ``CanonicalJSON`` writes ``json`` (keys sorted by their UTF-8 bytes), without building the JSON
    /// value: every recorded event's clock column is this text.
    public var description: String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(2 + 24 * entries.count)
        for (i, entry) in entries.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            CanonicalJSON.writeString(entry.key, into: &out)
            out.append(UInt8(ascii: ":"))
            // An entry is a whole number of at most 16 digits (``IntegerLimits/clockEntry``): canonical JSON writes its digits.
            if (0...IntegerLimits.maxSeq).contains(entry.value) {
                Self.writeDigits(entry.value, into: &out)
            } else {
                CanonicalJSON.writeNumber(Double(entry.value), into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func writeDigits(_ n: Int64, into out: inout [UInt8]) {
        var digits: (UInt64, UInt64) = (0, 0)  // up to 16 digits, in 16 bytes on the stack
        var count = 0
        var rest = UInt64(n)
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[count] = UInt8(truncatingIfNeeded: rest % 10) + 0x30
                rest /= 10
                count += 1
            } while rest > 0 && count < 16
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(d[i]) }
        }
    }

    /// Parses the canonical text of a clock (`{"north":120,"south":48}`, as ``description`` writes it)
    /// without building JSON values; nil for anything else. Meant for clocks the ledger wrote itself
    /// (its fact columns, checked by `verify`): site names are not re-validated.
    public init?(canonical text: String) {
        var entries: [String: Int64] = [:]
        var utf8 = text.utf8[...]
        guard utf8.first == UInt8(ascii: "{"), utf8.last == UInt8(ascii: "}") else { return nil }
        utf8 = utf8.dropFirst().dropLast()
        while !utf8.isEmpty {
            guard utf8.first == UInt8(ascii: "\"") else { return nil }
            utf8 = utf8.dropFirst()
            guard let q = utf8.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            let site = String(decoding: utf8[..<q], as: UTF8.self)
            utf8 = utf8[utf8.index(after: q)...]
            guard utf8.first == UInt8(ascii: ":") else { return nil }
            utf8 = utf8.dropFirst()
            var n: Int64 = 0
            var digits = 0
            while let c = utf8.first, c >= 48, c <= 57, digits < 18 {
                n = n * 10 + Int64(c - 48)
                digits += 1
                utf8 = utf8.dropFirst()
            }
            guard digits > 0, !site.isEmpty else { return nil }
            entries[site] = n
            if utf8.first == UInt8(ascii: ",") { utf8 = utf8.dropFirst() } else if !utf8.isEmpty { return nil }
        }
        self.init(entries)
    }
}
