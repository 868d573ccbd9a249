import TherapyLedgerCore

/// How fields are written: fixed decimals, half away from zero; times as UTC text or relative days.
struct FieldFormat {
    let relativeTo: Timestamp?
    let relative: Bool

    init(relativeTo: Timestamp?, relative: Bool) {
        self.relativeTo = relativeTo
        self.relative = relative
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, or days since the first implant (4 decimals; empty when never implanted).
    func time(_ t: Timestamp?) -> String {
        guard let t else { return "" }
        guard relative else { return utc(t) }
        guard let origin = relativeTo else { return "" }
        return Rounding.fixed(Double(t.seconds - origin.seconds) / 86_400, decimals: 4)
    }

    /// The same text as ``Timestamp/iso8601`` (years 0-9999), built in one buffer without intermediate
    /// strings (civil date from days: H. Hinnant's algorithm, proleptic Gregorian).
    func utc(_ t: Timestamp) -> String {
        let s = t.seconds
        let days = s >= 0 ? s / 86_400 : (s - 86_399) / 86_400
        let secs = Int(s - days * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        let y = Int(yoe + era * 400 + (m <= 2 ? 1 : 0))
        guard (0...9999).contains(y) else { return t.iso8601 }
        return String(unsafeUninitializedCapacity: 20) { b in
            func two(_ v: Int, _ at: Int) {
                b[at] = 0x30 + UInt8(v / 10)
                b[at + 1] = 0x30 + UInt8(v % 10)
            }
            two(y / 100, 0); two(y % 100, 2); b[4] = 0x2D
            two(m, 5); b[7] = 0x2D
            two(d, 8); b[10] = 0x54
            two(secs / 3600, 11); b[13] = 0x3A
            two(secs % 3600 / 60, 14); b[16] = 0x3A
            two(secs % 60, 17); b[19] = 0x5A
            return 20
        }
    }

    static func volume(_ v: Double) -> String { Rounding.fixed(v, decimals: 2) }
    static func dose(_ v: Double) -> String { Rounding.fixed(v, decimals: 1) }
    static func rate(_ v: Double) -> String { Rounding.fixed(v, decimals: 4) }
    static func concentration(_ v: Double) -> String { Rounding.fixed(v, decimals: 2) }
    static func percent(_ v: Double) -> String { Rounding.fixed(v, decimals: 1) }

    /// Whether `text` quotes a calendar date (`NNNN-NN-NN`): such text is emptied under relative dates.
    static func quotesDate(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count >= 10 else { return false }
        func digit(_ i: Int) -> Bool { b[i] >= 0x30 && b[i] <= 0x39 }
        for i in 0...(b.count - 10)
        where digit(i) && digit(i + 1) && digit(i + 2) && digit(i + 3) && b[i + 4] == 0x2D && digit(i + 5) && digit(i + 6) && b[i + 7] == 0x2D
            && digit(i + 8) && digit(i + 9) {
            return true
        }
        return false
    }
}
