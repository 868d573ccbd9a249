import TherapyLedgerCore

/// What a pseudonymized export may carry: an allow-list, applied to every event before any row is made.
///
/// Kept: numbers, booleans, times, event ids, and strings of fields that validation restricts to an
/// enumeration (origin, indication, mode, category...). A pump model is kept only as the name of a known model
/// in the device catalogue (`schemas/devices/catalogue.json`), never as recorded: `"SynchroMed II SN 123 for
/// J. Doe"` is exported as `SynchroMed II`; an unknown model becomes empty. A drug is kept only when it is a
/// known drug (baclofen). Everything else that is text (serial numbers, lots, catheter tips, descriptions,
/// authors, reasons, and any field added later that is not on this list) is emptied, so free text cannot leak
/// through a projection, a timeline summary or an alert message.
public enum PseudonymizedFields {
    /// Data fields whose string values are kept: enumerations, event ids (UUIDs) and times, as validated on append and import.
    public static let keptStrings: Set<String> = [
        "indication", "origin", "response", "mode", "kind", "category", "relatedTo", "outcome", "ashworth", "action",
        "finding", "code", "target", "report", "events", "until", "nextRefillDue",
    ]
    /// The field holding a device model: kept as the catalogue's name of a known model.
    public static let deviceModelField = "pumpModel"
    /// The field holding the drug: kept when it is one of ``knownDrugs``.
    public static let drugField = "drug"
    /// Drugs whose name is kept.
    public static let knownDrugs: Set<String> = ["baclofen"]

    /// The catalogue name of a known device model, else the empty string.
    public static func deviceModel(_ recorded: String?) -> String {
        DeviceCatalogue.model(for: recorded)?.name ?? ""
    }

    static func drug(_ recorded: String?) -> String {
        recorded.map { knownDrugs.contains($0.lowercased()) ? $0.lowercased() : "" } ?? ""
    }

    /// The events with every field that is not allow-listed emptied (authors and reasons removed).
    public static func sanitize(_ events: [ProjectionEvent]) -> [ProjectionEvent] {
        var types: [String: EventType] = [:]
        for e in events { types[e.id] = e.type }
        return events.map { event in
            var e = event
            e.author = nil
            e.reason = nil
            if let data = e.data { e.data = sanitize(data, key: nil) }
            // Facts that hold text: the pump's model and drug, a bolus's lot (also in an amend of such an event).
            let type = e.type == .eventCorrected ? e.facts.ref.flatMap { types[$0] } ?? e.type : e.type
            var f = e.facts
            switch type {
            case .pumpImplanted, .pumpReplaced:
                if f.label2 != nil { f.label2 = deviceModel(f.label2) }
                if f.label != nil { f.label = drug(f.label) }
            case .bolusDelivered:
                f.label2 = nil
            default:
                break
            }
            e.facts = f
            return e
        }
    }

    /// A data value with the allow-list applied; `key` is the member name the value sits under.
    static func sanitize(_ value: JSONValue, key: String?) -> JSONValue {
        switch value {
        case .null, .bool, .number: return value
        case .string(let s):
            guard let key else { return .string("") }
            if key == deviceModelField { return .string(deviceModel(s)) }
            if key == drugField { return .string(drug(s)) }
            return keptStrings.contains(key) ? value : .string("")
        case .array(let items): return .array(items.map { sanitize($0, key: key) })
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for (k, v) in members { out[k] = sanitize(v, key: k) }
            return .object(out)
        }
    }
}
