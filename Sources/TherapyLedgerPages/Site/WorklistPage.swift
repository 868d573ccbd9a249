import TherapyLedgerCore

/// The served worklist (`GET /`): the worklist report's table, in worklist order, each patient linked to its
/// page, and a form to look at another horizon or time.
public enum WorklistPage {
    /// `asOfText`/`withinText`: the query as given (nil: the defaults), to refill the form.
    public static func render(_ input: WorklistReportInput, viewer: PageViewer, asOfText: String?, withinText: String?) -> String {
        let within = Rounding.fixed(input.withinDays, decimals: input.withinDays == input.withinDays.rounded() ? 0 : 1)
        return SitePage.render(title: "Worklist", heading: "Worklist", viewer: viewer, subtitle: { b in
            b.element("p", [("class", "subtitle")],
                      text: "As of \(input.asOf.iso8601)\(input.knownAt.map { ", as the ledger knew it at \($0.iso8601)" } ?? ""): every patient with an open alert or a low-alarm, empty or refill-due date within \(within) days, most urgent first. \(input.items.count) patient\(input.items.count == 1 ? " needs" : "s need") attention.")
        }) { b in
            b.element("form", [("id", "worklist-options"), ("method", "get"), ("action", "/"), ("class", "inline-form")]) { b in
                b.element("label", [("for", "within")], text: "Within (days)")
                b.empty("input", [("id", "within"), ("name", "within"), ("type", "number"), ("min", "1"), ("max", "3650"), ("step", "any"),
                                  ("value", withinText ?? within)])
                b.element("label", [("for", "asOf")], text: "As of (ISO 8601, empty: now)")
                b.empty("input", [("id", "asOf"), ("name", "asOf"), ("type", "text"), ("value", asOfText ?? ""), ("placeholder", "2026-03-01T09:00:00Z")])
                b.element("button", [("type", "submit")], text: "Show")
            }
            if input.items.isEmpty {
                b.element("p", [("id", "worklist-empty")], text: "No patient needs attention.")
            } else {
                WorklistReport.table(&b, input, served: true)
            }
        }
    }
}
