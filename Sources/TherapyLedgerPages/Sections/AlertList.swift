import TherapyLedgerCore

/// The open alerts, most urgent first, each with its acknowledgement when one is in force.
enum AlertList {
    static func render(_ b: inout HTMLBuilder, _ alerts: [Alert]) {
        b.element("section", [("class", "card alerts"), ("aria-labelledby", "alerts-heading")]) { b in
            b.element("h2", [("id", "alerts-heading")], text: "Open alerts (\(alerts.count))")
            if alerts.isEmpty {
                b.element("p", text: "No open alert.")
                return
            }
            b.element("ul", [("class", "alert-list")]) { b in
                for a in alerts {
                    b.element("li", [("class", "alert alert-\(a.severity.rawValue)")]) { b in
                        SeverityBadge.render(&b, a.severity, acknowledged: a.acknowledgement != nil)
                        b.text(" ")
                        b.element("strong", [("class", "code")], text: a.code)
                        b.text(" since \(a.raisedAt.iso8601): \(a.message)")
                        b.element("span", [("class", "events")], text: " (events \(a.eventIDs.joined(separator: ", ")))")
                        if let ack = a.acknowledgement {
                            b.element("p", [("class", "ack")],
                                      text: "Acknowledged by \(ack.by ?? "?") at \(ack.at.iso8601)\(ack.until.map { ", until \($0.iso8601)" } ?? ""), event \(ack.eventID): the alert stays open and keeps its severity.")
                        }
                    }
                    b.newline()
                }
            }
        }
        b.newline()
    }
}
