/// The rules an imported event's recording fields must meet, judged against its site's previous event:
/// what an honest site's own `append` always produces. An event that fails them is quarantined, not refused
/// (see ``EffectiveEvents/quarantined``), so the site's later events still import.
public enum ImportCheck {
    /// The earliest recording time accepted: no ledger recorded anything before 2000.
    public static let earliestRecordedAt = Timestamp(seconds: 946_684_800)
    /// How far ahead of its recording time an event may have occurred (as `append` allows).
    public static let futureAllowance: Int64 = 86_400
    /// How far ahead of the receiver's clock a recording time may be: sites' wall clocks may be days apart
    /// (sync never relies on them), a recording time in 9999 is not a wrong clock.
    public static let clockSkewAllowance: Int64 = 30 * 86_400

    /// Why `event` breaks a recording rule, or nil. `previous` is the same site's previous accepted (not quarantined)
    /// event, its seq and recording time (nil for none); `receivedAt` is the receiver's clock.
    public static func recordingProblem(_ event: RecordedEvent, previous: (seq: Int64, at: Timestamp)?, receivedAt: Timestamp) -> String? {
        let at = event.recordedAt
        if at < earliestRecordedAt || at.seconds > receivedAt.seconds + clockSkewAllowance {
            return "recordedAt \(at.iso8601) is implausible: it must lie between \(earliestRecordedAt.iso8601) and 30 days after this ledger's clock (\(receivedAt.iso8601))"
        }
        if let previous, at < previous.at {
            return "recordedAt \(at.iso8601) is earlier than that of \(event.site):\(previous.seq) (\(previous.at.iso8601)): a site's recording times never go back"
        }
        if !Timestamp.acceptedRange.contains(event.occurredAt) {
            return "occurredAt \(event.occurredAt.iso8601) is outside \(Timestamp.acceptedRange.lowerBound.iso8601) to \(Timestamp.acceptedRange.upperBound.iso8601)"
        }
        if event.occurredAt.seconds > at.seconds + futureAllowance {
            return "occurredAt \(event.occurredAt.iso8601) is more than a day after the event was recorded (\(at.iso8601))"
        }
        return nil
    }
}
