/// The skeleton of every page: doctype, language, character set, viewport, title and the inline style
/// sheet, then the page's header, main content and footer. No script, font or image from anywhere.
public enum PageDocument {
    /// A whole HTML document; `body` writes what goes inside `<body>`.
    public static func render(title: String, _ body: (inout HTMLBuilder) -> Void) -> String {
        var b = HTMLBuilder()
        b.raw("<!DOCTYPE html>\n")
        b.raw("<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        b.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        b.element("title", text: title)
        b.raw("\n<style>\n")
        b.raw(PageStyle.css)
        b.raw("\n</style>\n</head>\n<body>\n")
        body(&b)
        b.raw("\n</body>\n</html>\n")
        return b.output
    }
}
