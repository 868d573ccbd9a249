extension JSONValue {
    /// The number as an integer when it is a whole number inside `range`; nil for anything else (not a
    /// number, a fraction, `1e300`, a negative count).
    ///
    /// Every integer the ledger reads from outside (bundle header counts, seqs of heads and events, clock
    /// entries, heads files) goes through this accessor: converting an out-of-range double with `Int64(_:)`
    /// traps the process, so the range check comes first, on the double.
    public func integer(in range: ClosedRange<Int64>) -> Int64? {
        guard case .number(let n) = self, n.isFinite, n == n.rounded(.towardZero),
              n >= Double(range.lowerBound), n <= Double(range.upperBound) else { return nil }
        // Double(Int64.max) rounds up to 2^63, which Int64 cannot hold: refuse the boundary itself.
        guard n < 9_223_372_036_854_775_807.0 else { return nil }
        return Int64(n)
    }

    /// ``integer(in:)`` for `Int` ranges.
    public func integer(in range: ClosedRange<Int>) -> Int? {
        integer(in: Int64(range.lowerBound)...Int64(range.upperBound)).map { Int($0) }
    }
}

/// Limits on integers read from outside: a value past them is malformed, never converted.
public enum IntegerLimits {
    /// The largest seq the ledger accepts (2^53: every seq below it is exact in a JSON number).
    public static let maxSeq: Int64 = 9_007_199_254_740_992
    /// A seq: 1 to ``maxSeq``.
    public static let seq: ClosedRange<Int64> = 1...maxSeq
    /// A clock entry: 0 (nothing seen) to ``maxSeq``.
    public static let clockEntry: ClosedRange<Int64> = 0...maxSeq
    /// A count of lines in one bundle.
    public static let lineCount: ClosedRange<Int> = 0...(1 << 40)
}
