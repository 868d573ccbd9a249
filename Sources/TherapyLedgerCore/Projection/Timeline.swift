/// One line of a patient's timeline: every recorded event in clinical order with a one-line summary,
/// its site, author and status, and the conflicts it is part of.
public struct TimelineEntry: Sendable, Hashable {
    public var event: ProjectionEvent
    public var summary: String
    public var status: EffectiveEvents.Status
    /// The correction that voided or amended it, if any.
    public var correctedBy: String?
    /// Ids of the conflicts it is part of.
    public var conflicts: [String]

    public var json: JSONValue {
        .object([
            "id": .string(event.id), "type": .string(event.type.rawValue), "occurredAt": .string(event.occurredAt.iso8601),
            "recordedAt": .string(event.recordedAt.iso8601), "site": .string(event.site), "seq": .number(Double(event.seq)),
            "author": event.author.map(JSONValue.string) ?? .null, "summary": .string(summary), "status": .string(status.rawValue),
            "correctedBy": correctedBy.map(JSONValue.string) ?? .null, "conflicts": .array(conflicts.map(JSONValue.string)),
        ])
    }
}

/// One-line human summaries of events, built from their typed facts only: they never quote free text,
/// authors, serial or lot numbers, so they are safe in pseudonymized exports.
public enum EventSummary {
    public static func of(_ e: ProjectionEvent) -> String {
        let f = e.facts
        func n(_ v: Double?) -> String { v.map(fmtDose) ?? "?" }
        // Volumes with the documented 2 decimals (0.01 mL).
        func ml(_ v: Double?) -> String { v.map(fmtVol) ?? "?" }
        switch e.type {
        case .patientEnrolled:
            return "enrolled: \(f.label ?? "?") (\(f.label2 ?? "?") origin)"
        case .trialPerformed:
            return "screening trial: \(n(f.bolusMcg)) mcg bolus, \(f.label ?? "?") response"
        case .pumpImplanted, .pumpReplaced:
            let verb = e.type == .pumpImplanted ? "pump implanted" : "pump replaced"
            return "\(verb): \(f.label2 ?? "pump"), \(ml(f.reservoirMl)) mL reservoir, filled \(ml(f.volumeMl)) mL at \(n(f.concentrationMcgPerMl)) mcg/mL, \(n(f.dailyDoseMcg)) mcg/day"
        case .doseProgrammed:
            var s = "dose programmed: \(n(f.dailyDoseMcg)) mcg/day (\(f.label ?? "simple-continuous"))"
            if let low = f.lowAlarmMl { s += ", low alarm \(ml(low)) mL" }
            return s
        case .bolusDelivered:
            return "bolus (\(f.label ?? "?")): \(n(f.bolusMcg)) mcg"
        case .reservoirRefilled:
            var s = "refill: residual \(ml(f.residualMl)) mL withdrawn, added \(ml(f.volumeMl)) mL at \(n(f.concentrationMcgPerMl)) mcg/mL"
            if let due = f.nextRefillDue { s += ", next due \(due.dateString)" }
            return s
        case .adverseEventReported:
            return "adverse event: \(f.label ?? "?"), grade \(f.grade.map(String.init) ?? "?")\(f.serious == true ? ", serious" : "")\(f.label2.map { ", related to \($0)" } ?? "")"
        case .adverseEventResolved:
            return "adverse event resolved: \(f.label ?? "?") (report \(f.ref ?? "?"))"
        case .catheterRevised:
            return "catheter revised"
        case .pumpExplanted:
            return "pump explanted: therapy ended"
        case .assessmentRecorded:
            var parts: [String] = []
            if let a = f.label { parts.append("Ashworth \(a)") }
            if let p = f.label2 { parts.append("Penn \(p)") }
            return "assessment: " + parts.joined(separator: ", ")
        case .eventCorrected:
            return "correction: \(f.action == "void" ? "voided" : "amended") \(f.ref ?? "?")"
        case .conflictResolved:
            return "conflict resolved: reviewed \(f.refs.joined(separator: ", "))"
        case .pumpInterrogated:
            return "pump interrogated: \((f.label ?? "?").replacingOccurrences(of: "-", with: " "))"
        case .alertAcknowledged:
            return "alert acknowledged: \(f.label ?? "?") (events \(f.refs.joined(separator: ", ")))\(f.nextRefillDue.map { " until \($0.iso8601)" } ?? "")"
        }
    }

    static func fmtNumber(_ v: Double) -> String {
        let r = Rounding.volume(v)
        var o: [UInt8] = []
        CanonicalJSON.writeNumber(r, into: &o)
        return String(decoding: o, as: UTF8.self)
    }
}
