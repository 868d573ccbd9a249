import TherapyLedgerCore

/// One input of a record form, read from the JSON Schema of the event type's data (or one of the
/// submission's own fields: `occurredAt`, `author`, `reason`).
public struct FormField: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A number; `integer` for JSON Schema's integer type. Bounds as the schema gives them.
        case number(minimum: Double?, maximum: Double?, integer: Bool)
        /// One of the schema's `enum` values.
        case choice([String])
        case boolean
        /// A calendar date, `YYYY-MM-DD`.
        case date
        /// A time with an offset (ISO 8601).
        case time
        /// Free text up to `maxLength` characters (a text area above 200).
        case text(maxLength: Int?)
        /// An event id (UUID).
        case eventID
        /// Several event ids, separated by spaces or commas (an array in the submission).
        case eventIDs
        /// A JSON object, typed as JSON text (an amend's corrected data).
        case object
    }

    /// The schema property's name: the input's `name` and `id`.
    public var name: String
    public var kind: Kind
    public var required: Bool
    /// The schema's description of the property (the input's help text).
    public var help: String
    /// The schema's default, if any.
    public var defaultValue: String?
    /// Whether the value goes into `data` (else it is a field of the submission itself).
    public var inData: Bool

    /// The JSON value of what was typed (trimmed; nil when empty, so that the field is left out). Text that is
    /// not of the field's type is passed on as a string, for the validator to refuse in its own words.
    public func value(_ text: String) -> JSONValue? {
        let t = FormField.trim(text)
        guard !t.isEmpty else { return nil }
        switch kind {
        case .number:
            if let d = Double(t), d.isFinite, !t.lowercased().contains("x") { return .number(d) }
            return .string(t)
        case .boolean:
            return t == "true" ? .bool(true) : t == "false" ? .bool(false) : .string(t)
        case .eventIDs:
            return .array(t.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }).map { .string(String($0)) })
        case .object:
            return (try? JSONParser.parse(t)) ?? .string(t)
        case .choice, .date, .time, .text, .eventID:
            return .string(t)
        }
    }

    /// `text` without leading and trailing white space.
    static func trim(_ text: String) -> String {
        let white: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{A0}" }
        let scalars = Array(text.unicodeScalars)
        var start = 0, end = scalars.count
        while start < end, white(scalars[start]) { start += 1 }
        while end > start, white(scalars[end - 1]) { end -= 1 }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[start..<end])
        return String(out)
    }
}
