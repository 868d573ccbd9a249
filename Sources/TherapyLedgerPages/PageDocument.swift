/// The skeleton of every page: doctype, language, character set, viewport, title and the style sheet,
/// then the page's header, main content and footer. No script, font or image from anywhere else.
public enum PageDocument {
    /// Where a document's style sheet and script come from.
    public enum Assets: Sendable {
        /// The style sheet inline and no script: a self-contained file (the offline report).
        case inline
        /// The style sheet and the script served by the same server (the served pages, whose
        /// Content-Security-Policy allows nothing inline).
        case linked(stylesheet: String, script: String)
    }

    /// A whole HTML document; `body` writes what goes inside `<body>`.
    public static func render(title: String, assets: Assets = .inline, _ body: (inout HTMLBuilder) -> Void) -> String {
        var b = HTMLBuilder()
        b.raw("<!DOCTYPE html>\n")
        b.raw("<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        b.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        b.element("title", text: title)
        switch assets {
        case .inline:
            b.raw("\n<style>\n")
            b.raw(PageStyle.css)
            b.raw("\n</style>\n</head>\n<body>\n")
        case .linked(let stylesheet, let script):
            b.newline()
            b.empty("link", [("rel", "stylesheet"), ("href", stylesheet)])
            b.newline()
            b.element("script", [("src", script), ("defer", "")], text: "")
            b.raw("\n</head>\n<body>\n")
        }
        body(&b)
        b.raw("\n</body>\n</html>\n")
        return b.output
    }
}
