import TherapyLedgerCore

/// The served patient page (`GET /patients/{id}`): the status card, the three charts, the open alerts with
/// their acknowledgements and the timeline, an as-of control that redraws it all, and links to the forms.
public enum PatientPage {
    /// `asOfText`/`knownAtText`: the query as given, to refill the as-of form; `canRecord`: whether to link the forms.
    public static func render(_ input: PatientReportInput, viewer: PageViewer, asOfText: String?, knownAtText: String?,
                              canRecord: Bool, notice: String?) -> String {
        let s = input.status
        return SitePage.render(title: "Patient \(s.patient)", heading: "Patient \(s.patient)", viewer: viewer, notice: notice, subtitle: { b in
            b.element("p", [("class", "subtitle")]) { b in
                b.text("Intrathecal baclofen therapy as of \(s.asOf.iso8601)")
                if let k = s.knownAt { b.text(", as the ledger knew it at \(k.iso8601)") }
                b.text(". Highest open alert: ")
                if let top = s.alerts.first { SeverityBadge.render(&b, top.severity, acknowledged: top.acknowledgement != nil) } else { b.text("none") }
            }
        }) { b in
            b.element("form", [("id", "as-of"), ("method", "get"), ("action", SitePaths.patient(s.patient)), ("class", "inline-form")]) { b in
                b.element("label", [("for", "asOf")], text: "As of (ISO 8601, empty: now)")
                b.empty("input", [("id", "asOf"), ("name", "asOf"), ("type", "text"), ("value", asOfText ?? s.asOf.iso8601), ("placeholder", "2026-03-01T09:00:00Z")])
                b.element("label", [("for", "knownAt")], text: "As known at (optional)")
                b.empty("input", [("id", "knownAt"), ("name", "knownAt"), ("type", "text"), ("value", knownAtText ?? ""), ("placeholder", "2026-03-01T09:00:00Z")])
                b.element("button", [("type", "submit")], text: "Redraw")
            }
            if canRecord {
                b.element("nav", [("aria-label", "Record an event"), ("class", "record-links")]) { b in
                    b.element("ul", [("class", "actions")]) { b in
                        for form in RecordForms.all {
                            b.element("li") { b in b.element("a", [("href", SitePaths.record(s.patient, form.type.rawValue))], text: form.title) }
                        }
                    }
                }
            }
            StatusCard.render(&b, s)
            PatientReport.charts(&b, input.charts)
            AlertList.render(&b, s.alerts)
            if canRecord { acknowledgeLinks(&b, s) }
            TimelineTable.render(&b, input.timeline, knownAt: s.knownAt, actions: canRecord ? { e in actions(s.patient, e) } : nil)
        }
    }

    /// For each open alert not yet acknowledged (and acknowledgeable): a link to the acknowledgement form, filled in.
    static func acknowledgeLinks(_ b: inout HTMLBuilder, _ s: PatientStatus) {
        guard let form = RecordForms.form(named: EventType.alertAcknowledged.rawValue), case .choice(let codes)? = form.field("code")?.kind else { return }
        let open = s.alerts.filter { $0.acknowledgement == nil && codes.contains($0.code) && !$0.eventIDs.isEmpty }
        guard !open.isEmpty else { return }
        b.element("nav", [("aria-label", "Acknowledge an alert"), ("class", "ack-links")]) { b in
            b.element("ul", [("class", "actions")]) { b in
                for a in open {
                    let href = SitePaths.record(s.patient, form.type.rawValue) + "?code=\(SitePaths.component(a.code))&events=\(SitePaths.component(a.eventIDs.joined(separator: " ")))"
                    b.element("li") { b in b.element("a", [("href", href)], text: "Acknowledge \(a.code)") }
                }
            }
        }
    }

    /// Beside a timeline event: correct it (not a correction itself), and resolve an adverse event.
    static func actions(_ patient: String, _ e: TimelineEntry) -> [(String, String)] {
        var out: [(String, String)] = []
        if e.event.type != .eventCorrected {
            out.append(("correct", SitePaths.record(patient, EventType.eventCorrected.rawValue) + "?target=\(SitePaths.component(e.event.id))"))
        }
        if e.event.type == .adverseEventReported {
            out.append(("resolve", SitePaths.record(patient, EventType.adverseEventResolved.rawValue) + "?report=\(SitePaths.component(e.event.id))"))
        }
        return out
    }
}
