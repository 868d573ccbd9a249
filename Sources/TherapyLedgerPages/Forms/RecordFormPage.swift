import TherapyLedgerCore

/// What a record form shows besides its inputs: the values to fill in, the errors of the last submit, and for a
/// refill the expected residual and discrepancy threshold at the time entered.
public struct RecordFormState: Sendable {
    /// The text of each input, by field name.
    public var values: [String: String]
    /// The validator's messages, by the input they belong to.
    public var fieldErrors: [String: [String]] = [:]
    /// Messages tied to no input.
    public var formErrors: [String] = []
    /// For a refill: the expectation at the time entered (nil: none could be computed), and why not.
    public var expectation: RefillExpectation?
    public var expectationNote: String?

    public init(values: [String: String]) { self.values = values }
}

/// A record form page (`GET /patients/{id}/record/{type}`), re-rendered with the user's values and the
/// validator's errors after a refused submit.
public enum RecordFormPage {
    public static func render(_ form: RecordForm, patient: String, viewer: PageViewer, state: RecordFormState) -> String {
        SitePage.render(title: "\(form.title) for \(patient)", heading: "\(form.title) for patient \(patient)", viewer: viewer, subtitle: { b in
            b.element("p", [("class", "subtitle")]) { b in
                b.text("Records one \(form.type.rawValue) event for ")
                b.element("a", [("href", SitePaths.patient(patient))], text: "patient \(patient)")
                b.text(". Fields marked required must be filled; the ledger checks every value before anything is written.")
            }
        }) { b in
            b.element("div", [("id", "form-errors"), ("role", "alert")]) { b in
                if !state.formErrors.isEmpty {
                    b.element("p", text: "The event was not recorded:")
                    b.element("ul") { b in for m in state.formErrors { b.element("li", text: m) } }
                } else if !state.fieldErrors.isEmpty {
                    b.element("p", text: "The event was not recorded: correct the fields marked below.")
                }
            }
            b.element("form", [("id", "record-form"), ("method", "post"), ("action", SitePaths.record(patient, form.type.rawValue)), ("class", "stacked"),
                               ("data-expected-residual", form.type == .reservoirRefilled ? SitePaths.expectedResidual(patient) : nil)]) { b in
                SitePage.csrfInput(&b, viewer)
                for field in form.fields {
                    input(&b, field, value: state.values[field.name] ?? field.defaultValue ?? "", errors: state.fieldErrors[field.name] ?? [])
                    if field.name == "occurredAt", form.type == .reservoirRefilled { expectation(&b, state) }
                }
                b.element("button", [("type", "submit")], text: "Record")
                b.text(" ")
                b.element("a", [("href", SitePaths.patient(patient))], text: "Cancel")
            }
        }
    }

    /// The refill's expected residual and threshold, for the time entered (updated by pages.js when it changes).
    static func expectation(_ b: inout HTMLBuilder, _ state: RecordFormState) {
        b.element("div", [("class", "expectation"), ("aria-live", "polite")]) { b in
            b.element("p") { b in
                b.text("Expected residual at that time: ")
                b.element("output", [("id", "expected-residual"), ("for", "occurredAt")],
                          text: state.expectation.map { "\(FormNumbers.volume($0.expectedResidualMl)) mL" } ?? state.expectationNote ?? "-")
            }
            b.element("p") { b in
                b.text("A measured residual further from it than ")
                b.element("output", [("id", "discrepancy-threshold"), ("for", "occurredAt")],
                          text: state.expectation.map { "\(FormNumbers.volume($0.thresholdMl)) mL" } ?? "-")
                b.text(" is flagged (1 mL, or 14.5 % of what should have been delivered since the last fill when more).")
            }
        }
    }

    static func input(_ b: inout HTMLBuilder, _ field: FormField, value: String, errors: [String]) {
        let name = field.name
        let errorID = "error-\(name)", helpID = "help-\(name)"
        let described = errors.isEmpty ? helpID : "\(errorID) \(helpID)"
        b.element("div", [("class", "field")]) { b in
            b.element("label", [("for", name)]) { b in
                b.text(label(name))
                if field.required { b.element("span", [("class", "required-mark")], text: " (required)") }
            }
            var attributes: [(String, String?)] = [("id", name), ("name", name), ("required", field.required ? "" : nil),
                                                  ("aria-invalid", errors.isEmpty ? nil : "true"), ("aria-describedby", described)]
            switch field.kind {
            case .choice(let values):
                select(&b, attributes, [("", "choose…")] + values.map { ($0, $0) }, value)
            case .boolean:
                select(&b, attributes, [("", "choose…"), ("true", "yes (true)"), ("false", "no (false)")], value)
            case .number(let minimum, let maximum, let integer):
                // A refused value that is no number is given back as typed, in a text input (a number input cannot hold it).
                if value.isEmpty || FormNumbers.isHTMLNumber(value) {
                    attributes = [("type", "number")] + attributes + [("value", value), ("min", minimum.map(FormNumbers.bound)), ("max", maximum.map(FormNumbers.bound)),
                                                                      ("step", integer ? "1" : "any"), ("inputmode", integer ? "numeric" : "decimal")]
                } else {
                    attributes = [("type", "text")] + attributes + [("value", value), ("inputmode", integer ? "numeric" : "decimal")]
                }
                b.empty("input", attributes)
            case .text(let maxLength) where (maxLength ?? 0) > 200:
                b.element("textarea", attributes + [("maxlength", maxLength.map(String.init)), ("rows", "3")], text: value)
            case .object:
                b.element("textarea", attributes + [("rows", "6"), ("spellcheck", "false")], text: value)
            case .text(let maxLength):
                b.empty("input", [("type", "text")] + attributes + [("value", value), ("maxlength", maxLength.map(String.init))])
            case .date:
                b.empty("input", [("type", "text")] + attributes + [("value", value), ("placeholder", "YYYY-MM-DD"), ("inputmode", "numeric")])
            case .time:
                b.empty("input", [("type", "text")] + attributes + [("value", value), ("placeholder", "2026-03-01T09:00:00Z"), ("spellcheck", "false")])
            case .eventID, .eventIDs:
                b.empty("input", [("type", "text")] + attributes + [("value", value), ("spellcheck", "false"), ("autocomplete", "off")])
            }
            if !errors.isEmpty {
                b.element("p", [("class", "field-error"), ("id", errorID)], text: errors.joined(separator: "; "))
            }
            b.element("p", [("class", "help"), ("id", helpID)], text: field.help)
        }
        b.newline()
    }

    static func select(_ b: inout HTMLBuilder, _ attributes: [(String, String?)], _ options: [(String, String)], _ value: String) {
        b.element("select", attributes) { b in
            for (v, text) in options {
                b.element("option", [("value", v), ("selected", v == value ? "" : nil)], text: text)
            }
        }
    }

    /// `residualMl` as a label: "Residual (mL)".
    static func label(_ name: String) -> String {
        let units: [(String, String)] = [("McgPerMl", " (mcg/mL)"), ("Mcg", " (mcg)"), ("Ml", " (mL)")]
        var base = name, unit = ""
        for (suffix, text) in units where base.hasSuffix(suffix) {
            base = String(base.dropLast(suffix.count))
            unit = text
            break
        }
        if name == "dailyDoseMcg" { unit = " (mcg/day)" }
        var words = ""
        for c in base {
            if c.isUppercase { words += " " + c.lowercased() } else { words.append(c) }
        }
        return (words.prefix(1).uppercased() + words.dropFirst()) + unit
    }
}

/// Numbers as the forms write them.
enum FormNumbers {
    static func volume(_ v: Double) -> String { Rounding.fixed(v, decimals: 2) }
    /// Whether `text` is a valid floating-point number in HTML's sense (`-?D+(.D+)?([eE][+-]?D+)?`).
    static func isHTMLNumber(_ text: String) -> Bool {
        var s = Substring(text)
        func digits() -> Bool {
            let n = s.prefix { $0.isASCII && $0.isNumber }.count
            s = s.dropFirst(n)
            return n > 0
        }
        if s.first == "-" { s = s.dropFirst() }
        guard digits() else { return false }
        if s.first == "." { s = s.dropFirst(); guard digits() else { return false } }
        if s.first == "e" || s.first == "E" {
            s = s.dropFirst()
            if s.first == "+" || s.first == "-" { s = s.dropFirst() }
            guard digits() else { return false }
        }
        return s.isEmpty
    }

    /// A schema bound as an HTML attribute: no needless decimals.
    static func bound(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }
}
