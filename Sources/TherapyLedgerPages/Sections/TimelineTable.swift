import TherapyLedgerCore

/// The timeline as `timeline` shows it: every event in clinical order, corrections included, an amended
/// event with its effective values, a voided one struck through (and still readable).
enum TimelineTable {
    /// `actions`: links shown beside an event (the served page's "correct" and "resolve"), as (text, href) pairs.
    static func render(_ b: inout HTMLBuilder, _ entries: [TimelineEntry], knownAt: Timestamp?, actions: ((TimelineEntry) -> [(String, String)])? = nil) {
        b.element("section", [("class", "card timeline"), ("aria-labelledby", "timeline-heading")]) { b in
            b.element("h2", [("id", "timeline-heading")], text: "Timeline (\(entries.count) event\(entries.count == 1 ? "" : "s"))")
            if entries.isEmpty {
                b.element("p", text: knownAt == nil ? "No event had occurred by the as-of time." : "No event had occurred by the as-of time, or none was known at the known-at time.")
                return
            }
            let shown = Set(entries.map(\.event.id))
            b.element("table", [("class", "timeline-table")]) { b in
                b.element("thead") { b in
                    b.element("tr") { b in
                        for h in ["occurred", "site:seq", "event", "status", "author"] { b.element("th", [("scope", "col")], text: h) }
                    }
                }
                b.newline()
                b.element("tbody") { b in
                    for e in entries {
                        b.element("tr", [("class", "status-\(e.status.rawValue)"), ("id", "event-\(e.event.id)")]) { b in
                            b.element("td", [("class", "time")], text: e.event.occurredAt.iso8601)
                            b.element("td", [("class", "seq")], text: "\(e.event.site):\(e.event.seq)")
                            b.element("td") { b in
                                b.element("span", [("class", "summary")], text: e.summary)
                                b.element("span", [("class", "event-id")], text: " id \(e.event.id)")
                                if !e.conflicts.isEmpty {
                                    b.element("span", [("class", "conflict")], text: " conflict: \(e.conflicts.joined(separator: ", "))")
                                }
                                for (text, href) in actions?(e) ?? [] {
                                    b.text(" ")
                                    b.element("a", [("href", href), ("class", "event-action")], text: text)
                                }
                            }
                            b.element("td") { b in
                                b.text(e.status.rawValue)
                                if let by = e.correctedBy {
                                    b.text(" by ")
                                    if shown.contains(by) { b.element("a", [("href", "#event-\(by)")], text: by) } else { b.text(by) }
                                }
                            }
                            b.element("td", text: e.event.author ?? "")
                        }
                        b.newline()
                    }
                }
            }
        }
        b.newline()
    }
}
