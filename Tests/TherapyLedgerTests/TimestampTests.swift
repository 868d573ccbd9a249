import Foundation
import Testing
@testable import TherapyLedgerCore

@Suite struct TimestampTests {
    @Test("offsets are normalized to UTC", arguments: [
        ("2025-03-01T09:30:00Z", "2025-03-01T09:30:00Z"),
        ("2025-03-01T09:30:00+01:00", "2025-03-01T08:30:00Z"),
        ("2025-03-01T09:30:00-05:00", "2025-03-01T14:30:00Z"),
        ("2025-07-01T09:00:00+05:30", "2025-07-01T03:30:00Z"),
        ("2025-01-01T00:30:00+01:00", "2024-12-31T23:30:00Z"),
        ("2024-12-31T23:00:00-02:00", "2025-01-01T01:00:00Z"),
        ("2025-03-01T10:00:00.000-05:00", "2025-03-01T15:00:00Z"),
        ("2025-03-01T10:00:00.0Z", "2025-03-01T10:00:00Z"),
        ("2025-03-01T00:00:00+00:00", "2025-03-01T00:00:00Z"),
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
    ])
    func normalizedToUTC(_ input: String, _ utc: String) throws {
        let t = try #require(Timestamp.parse(input))
        #expect(t.iso8601 == utc)
        #expect(Timestamp.parse(t.iso8601) == t)
    }

    @Test func secondsSinceEpoch() {
        #expect(Timestamp.parse("1970-01-01T00:00:00Z")?.seconds == 0)
        #expect(Timestamp.parse("2000-01-01T00:00:00Z")?.seconds == 946_684_800)
        #expect(Timestamp.parse("1969-12-31T23:59:59Z")?.seconds == -1)
        #expect(Timestamp(seconds: -1).iso8601 == "1969-12-31T23:59:59Z")
        #expect(Timestamp.parse("1900-01-01T00:00:00Z")?.iso8601 == "1900-01-01T00:00:00Z")
    }

    @Test("leap years", arguments: [
        ("2024-02-29T12:00:00Z", true), ("2000-02-29T12:00:00Z", true), ("2025-02-29T12:00:00Z", false),
        ("1900-02-29T12:00:00Z", false), ("2100-02-29T12:00:00Z", false), ("2400-02-29T12:00:00Z", true),
    ])
    func leapYears(_ text: String, _ valid: Bool) {
        #expect((Timestamp.parse(text) != nil) == valid)
        #expect((Timestamp.parseDate(String(text.prefix(10))) != nil) == valid)
    }

    @Test func leapDayArithmetic() throws {
        let t = try #require(Timestamp.parse("2024-02-28T12:00:00Z"))
        #expect(t.adding(days: 1).iso8601 == "2024-02-29T12:00:00Z")
        #expect(t.adding(days: 2).iso8601 == "2024-03-01T12:00:00Z")
        #expect(try #require(Timestamp.parse("2025-02-28T12:00:00Z")).adding(days: 1).iso8601 == "2025-03-01T12:00:00Z")
        #expect(t.startOfDay.iso8601 == "2024-02-28T00:00:00Z")
        #expect(t.dateString == "2024-02-28")
    }

    @Test("invalid times are refused", arguments: [
        "2025-02-30T09:00:00Z", "2025-04-31T09:00:00Z", "2025-13-01T09:00:00Z", "2025-00-10T09:00:00Z",
        "2025-01-00T09:00:00Z", "2025-01-01T24:00:00Z", "2025-01-01T23:60:00Z", "2025-01-01T23:59:60Z",
        "2025-03-01T09:00:00", "2025-03-01", "2025-03-01 09:00:00Z", "2025-03-01T09:00Z", "2025-03-01T09:00:00+0100",
        "2025-03-01T09:00:00+24:00", "2025-03-01T09:00:00+01:60", "2025-03-01T09:00:00.Z", "2025-03-01T09:00:00ZZ",
        "1899-12-31T23:59:59Z", "25-03-01T09:00:00Z", "", "2025-03-01T09:00:00+01:00 ", "x025-03-01T09:00:00Z",
    ])
    func invalidTimes(_ text: String) {
        #expect(Timestamp.parse(text) == nil, "accepted \(text)")
        #expect(Timestamp.parseError(text) != nil)
    }

    @Test func fractionalSecondsOnlyWhenZero() {
        #expect(Timestamp.parse("2025-03-01T09:00:00.000Z")?.iso8601 == "2025-03-01T09:00:00Z")
        #expect(Timestamp.parse("2025-03-01T09:00:00.5Z") == nil)
        #expect(Timestamp.parse("2025-03-01T09:00:00.001+01:00") == nil)
        #expect(Timestamp.parseError("2025-03-01T09:00:00.5Z")?.contains("whole seconds") == true)
    }

    @Test func missingOffsetIsExplained() {
        #expect(Timestamp.parseError("2025-03-01T09:00:00")?.contains("offset") == true)
        #expect(Timestamp.parseError("2025-03-01T09:00:00Z") == nil)
    }

    @Test func dateOnlyParse() {
        #expect(Timestamp.parseDate("2025-04-12")?.iso8601 == "2025-04-12T00:00:00Z")
        #expect(Timestamp.parseDate("2025-4-12") == nil)
        #expect(Timestamp.parseDate("2025-04-31") == nil)
        #expect(Timestamp.parseDate("2025-04-12T00:00:00Z") == nil)
        #expect(Timestamp.parseDate("20250412xx") == nil)
        #expect(Timestamp.parseTimeOrDate("2025-04-12")?.iso8601 == "2025-04-12T00:00:00Z")
        #expect(Timestamp.parseTimeOrDate("2025-04-12T10:00:00+02:00")?.iso8601 == "2025-04-12T08:00:00Z")
    }

    @Test func ordering() throws {
        let a = try #require(Timestamp.parse("2025-03-01T09:00:00+01:00"))
        let b = try #require(Timestamp.parse("2025-03-01T08:30:00Z"))
        #expect(a < b)
        #expect(Timestamp.parse("2025-03-01T10:00:00+01:00") == Timestamp.parse("2025-03-01T09:00:00Z"))
    }
}
