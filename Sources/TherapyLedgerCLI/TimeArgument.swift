import ArgumentParser
import TherapyLedgerCore

/// Parses a `--as-of` / `--known-at` style argument: an ISO 8601 time with offset, or a date (its UTC midnight).
enum TimeArgument {
    static func parse(_ text: String?, option: String) throws -> Timestamp? {
        guard let text else { return nil }
        if let t = Timestamp.parseTimeOrDate(text) { return t }
        throw ValidationError("\(option) \(text): expected a time like 2026-03-01T09:30:00Z (with an offset) or a date like 2026-03-01")
    }
}
