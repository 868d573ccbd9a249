/// An instant in UTC, to the second, as seconds since 1970-01-01T00:00:00Z.
///
/// The ledger keeps every time as a `Timestamp` and writes it as `YYYY-MM-DDTHH:MM:SSZ`.
/// Conversions use the proleptic Gregorian calendar and need no time-zone database.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since the Unix epoch.
    public var seconds: Int64

    /// Creates a timestamp from seconds since the Unix epoch.
    public init(seconds: Int64) { self.seconds = seconds }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.seconds < b.seconds }

    /// The canonical UTC text, `YYYY-MM-DDTHH:MM:SSZ`.
    public var description: String { iso8601 }

    /// The canonical UTC text, `YYYY-MM-DDTHH:MM:SSZ`.
    public var iso8601: String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secs = seconds - days * 86_400
        let (y, m, d) = CivilDate.fromDays(days)
        guard (0...9999).contains(y) else {
            return CivilDate.pad(y, 4) + "-" + CivilDate.pad(m, 2) + "-" + CivilDate.pad(d, 2) + "T"
                + CivilDate.pad(secs / 3600, 2) + ":" + CivilDate.pad(secs % 3600 / 60, 2) + ":" + CivilDate.pad(secs % 60, 2) + "Z"
        }
        // Written digit by digit into a fixed buffer: times are formatted for every event and every output row.
        return String(unsafeUninitializedCapacity: 20) { buffer in
            func put(_ v: Int64, _ width: Int, at offset: Int) {
                var v = v
                for i in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[i] = UInt8(48 + v % 10)
                    v /= 10
                }
            }
            put(y, 4, at: 0); buffer[4] = 45
            put(m, 2, at: 5); buffer[7] = 45
            put(d, 2, at: 8); buffer[10] = 84
            put(secs / 3600, 2, at: 11); buffer[13] = 58
            put(secs % 3600 / 60, 2, at: 14); buffer[16] = 58
            put(secs % 60, 2, at: 17); buffer[19] = 90
            return 20
        }
    }

    /// The UTC calendar date, `YYYY-MM-DD`.
    public var dateString: String { String(iso8601.prefix(10)) }

    /// The start (UTC midnight) of this instant's day.
    public var startOfDay: Timestamp {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return Timestamp(seconds: days * 86_400)
    }

    /// This instant moved by a number of seconds.
    public func adding(seconds delta: Int64) -> Timestamp { Timestamp(seconds: seconds + delta) }

    /// This instant moved by a (possibly fractional) number of days, rounded down to the second
    /// (clamped to the years 0001-9999, see ``init(clampingSeconds:)``).
    public func adding(days: Double) -> Timestamp {
        Timestamp(clampingSeconds: Double(seconds) + days * 86_400)
    }

    /// The latest instant the ledger writes: 9999-12-31T23:59:59Z.
    public static let latest = Timestamp(seconds: 253_402_300_799)
    /// The earliest instant the ledger writes: 0001-01-01T00:00:00Z.
    public static let earliest = Timestamp(seconds: -62_135_596_800)

    /// An instant from fractional seconds since the epoch, rounded down and clamped to
    /// ``earliest``...``latest`` (an extrapolation at a tiny rate never traps; non-finite means latest).
    public init(clampingSeconds value: Double) {
        guard value.isFinite else {
            self = value < 0 ? Timestamp.earliest : Timestamp.latest
            return
        }
        let clamped = min(max(value.rounded(.down), Double(Timestamp.earliest.seconds)), Double(Timestamp.latest.seconds))
        self.init(seconds: Int64(clamped))
    }

    /// Parses an ISO 8601 date-time with an explicit offset (`Z`, `+hh:mm` or `-hh:mm`),
    /// e.g. `2026-03-01T09:30:00+01:00`. Fractional seconds are accepted only when they are zero:
    /// the ledger records whole seconds and never rounds a time silently.
    /// Returns nil when the text is not such a time; see ``parseError(_:)`` for why.
    public static func parse(_ text: String) -> Timestamp? {
        if case .success(let t) = parseResult(text) { return t }
        return nil
    }

    /// Why `text` is not an acceptable time, or nil when it is.
    public static func parseError(_ text: String) -> String? {
        if case .failure(let e) = parseResult(text) { return e.message }
        return nil
    }

    struct ParseFailure: Error { var message: String }

    static func parseResult(_ text: String) -> Result<Timestamp, ParseFailure> {
        let b = Array(text.utf8)
        let expected = "expected an ISO 8601 time with an offset, like 2026-03-01T09:30:00Z or 2026-03-01T09:30:00+01:00"
        guard b.count >= 20 else { return .failure(ParseFailure(message: expected)) }
        func num(_ from: Int, _ len: Int) -> Int? {
            var v = 0
            for i in from..<(from + len) {
                guard i < b.count, b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = num(0, 4), b[4] == UInt8(ascii: "-"), let mo = num(5, 2), b[7] == UInt8(ascii: "-"),
              let d = num(8, 2), b[10] == UInt8(ascii: "T"),
              let h = num(11, 2), b[13] == UInt8(ascii: ":"), let mi = num(14, 2), b[16] == UInt8(ascii: ":"),
              let s = num(17, 2)
        else { return .failure(ParseFailure(message: expected)) }
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if b[i] != 48 { return .failure(ParseFailure(message: "sub-second precision is not recorded: give whole seconds")) }
                i += 1
            }
            if i == start { return .failure(ParseFailure(message: expected)) }
        }
        guard i < b.count else { return .failure(ParseFailure(message: "missing UTC offset: end the time with Z or +hh:mm")) }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2), oh < 24, om < 60 else {
                return .failure(ParseFailure(message: "invalid UTC offset: use Z or +hh:mm"))
            }
            offset = sign * (oh * 3600 + om * 60)
            i += 6
        } else {
            return .failure(ParseFailure(message: "missing UTC offset: end the time with Z or +hh:mm"))
        }
        guard i == b.count else { return .failure(ParseFailure(message: expected)) }
        guard (1...12).contains(mo), d >= 1, d <= CivilDate.daysInMonth(y, mo), h < 24, mi < 60, s < 60 else {
            return .failure(ParseFailure(message: "no such date or time"))
        }
        let days = CivilDate.toDays(y, mo, d)
        let t = Timestamp(seconds: days * 86_400 + Int64(h * 3600 + mi * 60 + s - offset))
        // The range applies to the UTC value, which is what the ledger records and re-reads: a local time
        // of 1900-01-01T00:00:00+14:00 is 1899-12-31T10:00:00Z, outside it.
        guard Timestamp.acceptedRange.contains(t) else {
            return .failure(ParseFailure(message: "\(text.prefix(40)) is \(t.iso8601) in UTC, outside the accepted range \(Timestamp.acceptedRange.lowerBound.iso8601) to \(Timestamp.acceptedRange.upperBound.iso8601)"))
        }
        return .success(t)
    }

    /// The instants a time read from outside may take, judged on the UTC value:
    /// 1900-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    public static let acceptedRange = Timestamp(seconds: -2_208_988_800)...Timestamp.latest

    /// Parses the canonical UTC form the ledger writes (``iso8601``), of any year from 0 to 99999: how events
    /// recorded under rule set 1, whose local times were range-checked before normalization, are read back.
    public static func parseRecordedUTC(_ text: String) -> Timestamp? {
        let b = Array(text.utf8)
        guard b.count == 20 || b.count == 21, b.last == UInt8(ascii: "Z") else { return nil }
        let w = b.count - 16  // digits of the year
        func num(_ from: Int, _ len: Int) -> Int? {
            var v = 0
            for i in from..<(from + len) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = num(0, w), b[w] == 45, let m = num(w + 1, 2), b[w + 3] == 45, let d = num(w + 4, 2), b[w + 6] == 84,
              let h = num(w + 7, 2), b[w + 9] == 58, let mi = num(w + 10, 2), b[w + 12] == 58, let s = num(w + 13, 2),
              (1...12).contains(m), d >= 1, d <= CivilDate.daysInMonth(y, m), h < 24, mi < 60, s < 60 else { return nil }
        return Timestamp(seconds: CivilDate.toDays(y, m, d) * 86_400 + Int64(h * 3600 + mi * 60 + s))
    }

    /// Parses a calendar date `YYYY-MM-DD` as UTC midnight of that day.
    public static func parseDate(_ text: String) -> Timestamp? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            var v = 0
            for i in from..<(from + len) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = num(0, 4), let m = num(5, 2), let d = num(8, 2), y >= 1900, (1...12).contains(m), d >= 1,
              d <= CivilDate.daysInMonth(y, m) else { return nil }
        return Timestamp(seconds: CivilDate.toDays(y, m, d) * 86_400)
    }

    /// Parses either a full time with offset or a date (`YYYY-MM-DD`, meaning its UTC midnight).
    public static func parseTimeOrDate(_ text: String) -> Timestamp? {
        parse(text) ?? parseDate(text)
    }
}

/// Proleptic Gregorian calendar arithmetic (H. Hinnant's days-from-civil algorithms).
enum CivilDate {
    static func toDays(_ y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func fromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
