import TherapyLedgerCore

/// Calendar arithmetic on UTC days (proleptic Gregorian), without Foundation's calendars: the same
/// bytes on every machine and in every locale.
enum CivilDate {
    /// The UTC year, month (1-12) and day (1-31) of `t`.
    static func components(_ t: Timestamp) -> (year: Int64, month: Int64, day: Int64) {
        // Howard Hinnant's civil_from_days.
        let z = floorDiv(t.seconds, 86_400) + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// UTC midnight of `year`-`month`-`day`.
    static func midnight(year: Int64, month: Int64, day: Int64) -> Timestamp {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Timestamp(seconds: (era * 146_097 + doe - 719_468) * 86_400)
    }

    /// The first instant of each month that lies in `start...end`.
    static func monthStarts(from start: Timestamp, through end: Timestamp) -> [Timestamp] {
        var (y, m, _) = components(start)
        var out: [Timestamp] = []
        var t = midnight(year: y, month: m, day: 1)
        while t <= end {
            if t >= start { out.append(t) }
            m += 1
            if m > 12 { m = 1; y += 1 }
            t = midnight(year: y, month: m, day: 1)
        }
        return out
    }

    /// `YYYY-MM` of `t`.
    static func monthLabel(_ t: Timestamp) -> String { String(t.iso8601.prefix(7)) }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
