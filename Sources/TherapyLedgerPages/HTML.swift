/// The one HTML escaping function every page and chart uses.
public enum HTML {
    /// `text` safe as element content and as a double- or single-quoted attribute value:
    /// `&`, `<`, `>`, `"` and `'` become character references. Every other character is kept as is
    /// (the documents are UTF-8), except control characters that HTML forbids, which become U+FFFD.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            default:
                // C0 controls (but tab and LF), DEL and C1 controls are parse errors in HTML.
                if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// Builds an HTML (or inline SVG) document as text. Content and attribute values passed as `String`
/// are escaped; only ``raw(_:)`` inserts markup as is. Attributes keep the order given, and one whose
/// value is nil is left out, so the same input always gives the same bytes.
public struct HTMLBuilder: Sendable {
    public private(set) var output = ""

    public init() {}

    /// Appends markup verbatim (for trusted, fixed text such as the style sheet).
    public mutating func raw(_ markup: String) { output += markup }

    /// Appends escaped text.
    public mutating func text(_ text: String) { output += HTML.escape(text) }

    /// An element with escaped attributes and content built by `body`.
    public mutating func element(_ name: String, _ attributes: [(String, String?)] = [], _ body: (inout HTMLBuilder) -> Void) {
        open(name, attributes)
        body(&self)
        output += "</\(name)>"
    }

    /// An element whose content is `text`, escaped.
    public mutating func element(_ name: String, _ attributes: [(String, String?)] = [], text: String) {
        open(name, attributes)
        output += HTML.escape(text)
        output += "</\(name)>"
    }

    /// A void element (`<meta>`, `<br>`) or, for SVG, a self-closed one (`<line/>`).
    public mutating func empty(_ name: String, _ attributes: [(String, String?)] = [], selfClosing: Bool = false) {
        output += "<\(name)"
        appendAttributes(attributes)
        output += selfClosing ? "/>" : ">"
    }

    /// A newline, to keep the source readable (and diffs of golden files small).
    public mutating func newline() { output += "\n" }

    private mutating func open(_ name: String, _ attributes: [(String, String?)]) {
        output += "<\(name)"
        appendAttributes(attributes)
        output += ">"
    }

    private mutating func appendAttributes(_ attributes: [(String, String?)]) {
        for (key, value) in attributes {
            guard let value else { continue }
            output += " \(key)=\"\(HTML.escape(value))\""
        }
    }
}
