/// A table of a chart's numbers, in a `<details>` (open or closed): the chart's text alternative in
/// full, and what tests compare with the CSV exports.
enum DataTable {
    static func render(_ b: inout HTMLBuilder, caption: String, cssClass: String, header: [String], rows: [[String]], open: Bool) {
        b.element("details", [("class", cssClass), ("open", open ? "" : nil)]) { b in
            b.element("summary", text: "\(caption) (\(rows.count) row\(rows.count == 1 ? "" : "s"))")
            b.element("table") { b in
                b.element("thead") { b in
                    b.element("tr") { b in for h in header { b.element("th", [("scope", "col")], text: h) } }
                }
                b.newline()
                b.element("tbody") { b in
                    for row in rows {
                        b.element("tr") { b in for cell in row { b.element("td", text: cell) } }
                        b.newline()
                    }
                }
            }
        }
        b.newline()
    }
}
