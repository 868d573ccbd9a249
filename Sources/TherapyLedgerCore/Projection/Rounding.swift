/// Output rounding. Quantities are computed in full precision and rounded only when written:
/// volumes to 0.01 mL, doses to 0.1 mcg, rates to 0.0001 mL/day, percentages to 0.1 %,
/// half away from zero.
public enum Rounding {
    public static func volume(_ v: Double) -> Double { round(v, 100) }
    public static func dose(_ v: Double) -> Double { round(v, 10) }
    public static func rate(_ v: Double) -> Double { round(v, 10_000) }
    public static func percent(_ v: Double) -> Double { round(v, 10) }
    public static func concentration(_ v: Double) -> Double { round(v, 100) }

    static func round(_ v: Double, _ scale: Double) -> Double {
        let r = (v * scale).rounded(.toNearestOrAwayFromZero) / scale
        return r == 0 ? 0 : r
    }

    /// A number as fixed-point text with `decimals` digits (for CSV and human output); empty for infinity
    /// or NaN, which validation keeps out (no output ever says `inf` or `nan`).
    public static func fixed(_ v: Double, decimals: Int) -> String {
        var scale: Double = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (v * scale).rounded(.toNearestOrAwayFromZero)
        // Beyond 2^53 fixed-point digits are meaningless (and would not fit an Int64): write the number as is.
        guard scaled.isFinite, abs(scaled) < 9_007_199_254_740_992 else { return v.isFinite ? "\(v)" : "" }
        // Digits written right to left into a small buffer (this runs for every number of every output row).
        var n = UInt64(abs(scaled))
        var buffer = [UInt8](repeating: 0, count: 24 + decimals)
        var i = buffer.count
        var written = 0
        repeat {
            if written == decimals && decimals > 0 {
                i -= 1
                buffer[i] = UInt8(ascii: ".")
            }
            i -= 1
            buffer[i] = UInt8(48 + n % 10)
            n /= 10
            written += 1
        } while n > 0 || written <= decimals
        if scaled < 0 {
            i -= 1
            buffer[i] = UInt8(ascii: "-")
        }
        return String(decoding: buffer[i...], as: UTF8.self)
    }
}
