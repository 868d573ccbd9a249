import TherapyLedgerCore

/// How fields are written: fixed decimals, half away from zero; times as UTC text or relative days. The pages
/// use the same functions, so that a chart's data attributes are the CSV's bytes.
public struct FieldFormat {
    let relativeTo: Timestamp?
    let relative: Bool

    init(relativeTo: Timestamp?, relative: Bool) {
        self.relativeTo = relativeTo
        self.relative = relative
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, or days since the first implant (4 decimals; empty when never implanted).
    func time(_ t: Timestamp?) -> String {
        guard let t else { return "" }
        guard relative else { return t.iso8601 }
        guard let origin = relativeTo else { return "" }
        return Rounding.fixed(Double(t.seconds - origin.seconds) / 86_400, decimals: 4)
    }

    public static func volume(_ v: Double) -> String { Rounding.fixed(v, decimals: 2) }
    public static func dose(_ v: Double) -> String { Rounding.fixed(v, decimals: 1) }
    public static func rate(_ v: Double) -> String { Rounding.fixed(v, decimals: 4) }
    public static func concentration(_ v: Double) -> String { Rounding.fixed(v, decimals: 2) }
    public static func percent(_ v: Double) -> String { Rounding.fixed(v, decimals: 1) }

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
