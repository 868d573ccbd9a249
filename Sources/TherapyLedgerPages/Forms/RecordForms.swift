import TherapyLedgerCore

/// One form that records an event: its type and its inputs, in the order the schema lists them.
public struct RecordForm: Sendable {
    public var type: EventType
    /// What the form records, for links and headings ("Record a refill").
    public var title: String
    /// The submission's `occurredAt`, `author` (and `reason` where required) first, then the data's properties.
    public var fields: [FormField]

    public func field(_ name: String) -> FormField? { fields.first { $0.name == name } }
}

/// The record forms, read from the JSON Schemas (``EmbeddedSchemas``, copies of `schemas/data/`): each data
/// property an input named after it, enums as choices, numbers with the schema's bounds, required marked. So a
/// form offers only what the schema, and the validator that agrees with it, accepts.
public enum RecordForms {
    /// The event types a clinic records day to day, in the order the patient page links them.
    public static let types: [(EventType, String)] = [
        (.reservoirRefilled, "Record a refill"), (.doseProgrammed, "Record a dose programming"), (.bolusDelivered, "Record a bolus"),
        (.adverseEventReported, "Report an adverse event"), (.adverseEventResolved, "Record an adverse event's resolution"),
        (.assessmentRecorded, "Record an assessment"), (.alertAcknowledged, "Acknowledge an alert"), (.eventCorrected, "Correct an event"),
    ]

    /// Every form; empty only if an embedded schema could not be read (a test checks it never is).
    public static let all: [RecordForm] = types.compactMap { try? form($0.0, title: $0.1) }

    /// The form of the event type named `name`, if it is one of ``types``.
    public static func form(named name: String) -> RecordForm? { all.first { $0.type.rawValue == name } }

    /// The types that need a `reason` (event-rules.schema.json: corrections, acknowledgements, conflict resolutions).
    static let reasonRequired: Set<EventType> = [.eventCorrected, .alertAcknowledged, .conflictResolved]

    /// Why an embedded schema cannot be turned into a form.
    public struct SchemaError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    static func form(_ type: EventType, title: String) throws -> RecordForm {
        let path = "data/\(type.rawValue).schema.json"
        guard let text = EmbeddedSchemas.files[path], let common = EmbeddedSchemas.files["common.schema.json"] else {
            throw SchemaError(description: "schemas/\(path) is not embedded: run scripts/embed_schemas.py")
        }
        let schema = try JSONParser.parse(text)
        let defs = try JSONParser.parse(common)["$defs"]?.objectValue ?? [:]
        guard let properties = schema["properties"]?.objectValue else { throw SchemaError(description: "schemas/\(path) has no properties") }
        var required = Set<String>()
        if case .array(let names)? = schema["required"] { required = Set(names.compactMap { $0.stringValue }) }
        var fields = [
            FormField(name: "occurredAt", kind: .time, required: true,
                      help: "When it happened: ISO 8601 with an offset, e.g. 2026-03-01T09:00:00Z or 2026-03-01T10:00:00+01:00; at most a day ahead.",
                      defaultValue: nil, inData: false),
            FormField(name: "author", kind: .text(maxLength: 64), required: true,
                      help: "The clinician responsible: 1-64 letters, digits, '.', '_', '@' or '-'. You are recorded as the one who entered it.",
                      defaultValue: nil, inData: false),
        ]
        if reasonRequired.contains(type) {
            fields.append(FormField(name: "reason", kind: .text(maxLength: 2000), required: true, help: "Why (free text, 1-2000 characters).",
                                    defaultValue: nil, inData: false))
        }
        // In the order the schema file lists them (a parsed object forgets it).
        let listed = text[(text.firstRange(of: "\"properties\"")?.upperBound ?? text.startIndex)...]
        func position(_ name: String) -> String.Index { listed.firstRange(of: "\"\(name)\": {")?.lowerBound ?? text.endIndex }
        let names = properties.keys.sorted { (position($0), $0) < (position($1), $1) }
        for name in names {
            guard var property = properties[name]?.objectValue else { continue }
            var refName: String?
            if let ref = property["$ref"]?.stringValue, let hash = ref.firstRange(of: "#/$defs/") {
                let def = String(ref[hash.upperBound...])
                refName = def
                for (k, v) in defs[def]?.objectValue ?? [:] where property[k] == nil { property[k] = v }
            }
            fields.append(FormField(name: name, kind: try kind(property, refName: refName, in: path, name: name), required: required.contains(name),
                                    help: property["description"]?.stringValue ?? "", defaultValue: property["default"]?.stringValue, inData: true))
        }
        return RecordForm(type: type, title: title, fields: fields)
    }

    static func kind(_ p: [String: JSONValue], refName: String?, in path: String, name: String) throws -> FormField.Kind {
        if case .array(let values)? = p["enum"] { return .choice(values.compactMap(\.stringValue)) }
        switch p["type"]?.stringValue {
        case "number", "integer":
            return .number(minimum: p["minimum"]?.numberValue ?? p["exclusiveMinimum"]?.numberValue, maximum: p["maximum"]?.numberValue,
                           integer: p["type"]?.stringValue == "integer")
        case "boolean":
            return .boolean
        case "array":
            return .eventIDs
        case "object":
            return .object
        case "string":
            if p["format"]?.stringValue == "date" { return .date }
            if refName == "uuid" { return .eventID }
            if refName == "offsetDateTime" { return .time }
            return .text(maxLength: p["maxLength"]?.numberValue.map { Int($0) })
        default:
            throw SchemaError(description: "schemas/\(path): property \(name) has a type the forms do not know: add it to RecordForms.kind")
        }
    }
}

extension RecordForm {
    /// The one submission line the form's values make (JSON Lines, newline-terminated): `type` and `patient`
    /// from the form and the URL, every non-empty input as its field (numbers as numbers), data's inputs in `data`.
    public func submission(patient: String, values: [String: String]) -> [UInt8] {
        var line: [String: JSONValue] = ["type": .string(type.rawValue), "patient": .string(patient)]
        var data: [String: JSONValue] = [:]
        for f in fields {
            guard let v = f.value(values[f.name] ?? "") else { continue }
            if f.inData { data[f.name] = v } else { line[f.name] = v }
        }
        line["data"] = .object(data)
        return CanonicalJSON.encode(.object(line)) + [0x0A]
    }

    /// The input a validator error belongs to (`data.residualMl` -> `residualMl`, `data.data.x` -> `data`), or nil.
    public func input(for errorField: String) -> String? {
        var path = Substring(errorField)
        if path.hasPrefix("data.") { path = path.dropFirst(5) }
        let name = String(path.prefix { $0 != "." && $0 != "[" })
        guard let field = field(name), field.inData || path == name else { return nil }
        return field.name
    }
}
