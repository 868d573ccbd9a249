import TherapyLedgerCore

/// What happened to one submitted line.
public struct AppendOutcome: Sendable, Hashable {
    /// The line in the input.
    public var line: Int
    public var id: String
    /// The site and seq it was recorded under; nil for a duplicate.
    public var site: String?
    public var seq: Int64?
    /// True when an identical event was already recorded (nothing written for this line).
    public var isDuplicate: Bool
}

/// The outcomes of one batch, in line order, in 12 bytes each (a batch of a million lines has a million):
/// each names its id by its index among the batch's ids, and its seq by its place among the new events.
public struct AppendOutcomes: RandomAccessCollection, Sendable {
    struct Row: Sendable {
        var id: UInt32
        var line: UInt32
        /// seq minus the site's last seq before the batch; 0 for a duplicate.
        var seqOffset: UInt32
    }

    let ids: BatchIDs
    let site: String
    let baseSeq: Int64
    let rows: [Row]

    /// The first line's outcome (0).
    public var startIndex: Int { 0 }
    /// One past the last line's outcome.
    public var endIndex: Int { rows.count }

    /// The outcome of the `position`-th parsed line (0-based), built from its compact row.
    public subscript(position: Int) -> AppendOutcome {
        let r = rows[position]
        let isDuplicate = r.seqOffset == 0
        return AppendOutcome(line: Int(r.line), id: ids.id(Int(r.id)), site: isDuplicate ? nil : site,
                             seq: isDuplicate ? nil : baseSeq + Int64(r.seqOffset), isDuplicate: isDuplicate)
    }

    /// How many lines were recorded as new events.
    public var appended: Int { rows.reduce(0) { $0 + ($1.seqOffset == 0 ? 0 : 1) } }
}
