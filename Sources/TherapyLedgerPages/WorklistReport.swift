import TherapyLedgerCore
import TherapyLedgerExport

/// One worklist line as the report shows it: the patient's status and its recent reservoir days.
public struct WorklistReportItem: Sendable {
    public var status: PatientStatus
    /// The reservoir at each midnight of the sparkline's days (``WorklistReport/sparklineDays``) before the as-of time.
    public var recentDays: [ReservoirDay]

    public init(status: PatientStatus, recentDays: [ReservoirDay]) {
        self.status = status
        self.recentDays = recentDays
    }
}

/// What the worklist report shows, gathered by ``TherapyLedgerStore/LedgerStore/worklistReportInput(within:asOf:knownAt:)``.
public struct WorklistReportInput: Sendable {
    public var asOf: Timestamp
    public var knownAt: Timestamp?
    public var withinDays: Double
    /// In worklist order (``WorklistOrder``).
    public var items: [WorklistReportItem]
    public var provenance: ReportProvenance

    public init(asOf: Timestamp, knownAt: Timestamp?, withinDays: Double, items: [WorklistReportItem], provenance: ReportProvenance) {
        self.asOf = asOf
        self.knownAt = knownAt
        self.withinDays = withinDays
        self.items = items
        self.provenance = provenance
    }
}

/// The clinic's worklist, most urgent first: severity in words and colour, the volume now, the low-alarm,
/// empty and due dates, a reservoir sparkline and the open alerts of each patient.
public enum WorklistReport {
    /// Days of reservoir history in a sparkline, and days of projection after the as-of time.
    public static let sparklineDays = 60.0
    static let sparklineAheadDays = 30.0

    public static func render(_ input: WorklistReportInput) -> String {
        PageDocument.render(title: "Worklist as of \(input.asOf.iso8601): ITB therapy") { b in
            b.element("header", [("class", "page")]) { b in
                b.element("h1", text: "Worklist")
                b.element("p", [("class", "subtitle")],
                          text: "As of \(input.asOf.iso8601)\(input.knownAt.map { ", as the ledger knew it at \($0.iso8601)" } ?? ""): every patient with an open alert or a low-alarm, empty or refill-due date within \(Rounding.fixed(input.withinDays, decimals: input.withinDays == input.withinDays.rounded() ? 0 : 1)) days, most urgent first. \(input.items.count) patient\(input.items.count == 1 ? " needs" : "s need") attention.")
            }
            b.newline()
            b.element("main") { b in
                if input.items.isEmpty {
                    b.element("p", text: "No patient needs attention.")
                } else {
                    table(&b, input)
                }
            }
            b.newline()
            AuditFooter.render(&b, input.provenance, scope: "The worklist of every patient", asOf: input.asOf, knownAt: input.knownAt)
        }
    }

    /// The table of patients. `served`: the served page's table, with `id="worklist"`, each row's patient and
    /// severity as data attributes and each patient linked to its page.
    static func table(_ b: inout HTMLBuilder, _ input: WorklistReportInput, served: Bool = false) {
        b.element("table", [("class", "worklist-table"), ("id", served ? "worklist" : nil)]) { b in
            b.element("caption", text: "Patients in worklist order")
            b.element("thead") { b in
                b.element("tr") { b in
                    for h in ["rank", "patient", "severity", "volume now", "low alarm", "empty", "refill due", "reservoir, last 60 days", "open alerts"] {
                        b.element("th", [("scope", "col")], text: h)
                    }
                }
            }
            b.newline()
            b.element("tbody") { b in
                for (i, item) in input.items.enumerated() {
                    let s = item.status
                    let top = s.alerts.first
                    b.element("tr", [("class", "severity-\(top?.severity.rawValue ?? "due")"), ("data-patient", served ? s.patient : nil),
                                     ("data-severity", served ? top?.severity.rawValue ?? "none" : nil)]) { b in
                        b.element("td", text: String(i + 1))
                        if served {
                            b.element("th", [("scope", "row")]) { b in b.element("a", [("href", SitePaths.patient(s.patient))], text: s.patient) }
                        } else {
                            b.element("th", [("scope", "row")], text: s.patient)
                        }
                        b.element("td") { b in SeverityBadge.render(&b, top?.severity, acknowledged: top?.acknowledgement != nil) }
                        b.element("td", text: s.volumeMl.map { "\(Rounding.fixed($0, decimals: 2)) mL" } ?? "-")
                        datedCell(&b, s.earliestLowAlarmAt, programmed: s.lowAlarmAt)
                        datedCell(&b, s.earliestEmptyAt, programmed: s.emptyAt)
                        b.element("td", text: s.nextRefillDue?.dateString ?? "-")
                        b.element("td") { b in sparkline(&b, item, asOf: input.asOf, id: "spark-\(i + 1)") }
                        b.element("td", [("class", "alerts-cell")]) { b in
                            if s.alerts.isEmpty {
                                b.text("none (a date is near)")
                            } else {
                                b.element("ul") { b in
                                    for a in s.alerts {
                                        b.element("li") { b in
                                            b.element("strong", text: "\(a.severity.rawValue.uppercased()) \(a.code)")
                                            b.text(a.acknowledgement.map { " (acknowledged by \($0.by ?? "?") at \($0.at.iso8601))" } ?? "")
                                            b.text(": \(a.message)")
                                        }
                                    }
                                }
                            }
                        }
                    }
                    b.newline()
                }
            }
        }
    }

    /// A time, marked when it comes from the observed rather than the programmed rate.
    static func dated(_ t: Timestamp?, programmed: Timestamp?) -> String {
        guard let t else { return "-" }
        return t.iso8601 + (t == programmed ? "" : " (observed rate)")
    }

    /// ``dated(_:programmed:)`` as a cell, the mark on a line of its own: the table's cells do not wrap, and a
    /// time and its mark on one line made the table wider than a 1280 px window.
    static func datedCell(_ b: inout HTMLBuilder, _ t: Timestamp?, programmed: Timestamp?) {
        guard let t, t != programmed else { return b.element("td", text: dated(t, programmed: programmed)) }
        b.element("td") { b in
            b.text(t.iso8601)
            b.empty("br")
            b.text("(observed rate)")
        }
    }

    /// The reservoir's last 60 days and its projection 30 days on, with the low-alarm line.
    static func sparkline(_ b: inout HTMLBuilder, _ item: WorklistReportItem, asOf: Timestamp, id: String) {
        let s = item.status
        guard !item.recentDays.isEmpty || s.volumeMl != nil else {
            // Still a picture with its words, so that every row has one: an empty frame.
            b.raw("<svg class=\"spark\" viewBox=\"0 0 160 36\" role=\"img\" aria-labelledby=\"\(id)-title\">")
            b.element("title", [("id", "\(id)-title")], text: "No reservoir for \(s.patient): no pump in the last \(Int(sparklineDays)) days")
            b.empty("rect", [("class", "sparkline-none"), ("x", "2"), ("y", "2"), ("width", "156"), ("height", "32")], selfClosing: true)
            b.element("text", [("x", "80"), ("y", "22"), ("text-anchor", "middle")], text: "no pump")
            b.raw("</svg>")
            return
        }
        let top = max(s.pump?.reservoirMl ?? 0, item.recentDays.map(\.volumeMl).max() ?? 0, 1)
        let frame = ChartFrame(width: 160, height: 36, left: 2, right: 2, top: 2, bottom: 2,
                               start: asOf.adding(days: -sparklineDays), end: asOf.adding(days: sparklineAheadDays), yMax: top)
        var desc = "Reservoir over the last \(Int(sparklineDays)) days"
        if let first = item.recentDays.first { desc += ": \(Rounding.fixed(first.volumeMl, decimals: 2)) mL at \(first.date.dateString)" }
        if let v = s.volumeMl { desc += ", \(Rounding.fixed(v, decimals: 2)) mL now" }
        if let e = s.emptyAt { desc += ", projected empty \(e.iso8601)" }
        b.raw("<svg class=\"spark\" viewBox=\"0 0 160 36\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\">")
        b.element("title", [("id", "\(id)-title")], text: "Reservoir of \(s.patient)")
        b.element("desc", [("id", "\(id)-desc")], text: desc + ".")
        if let low = s.pump?.lowAlarmMl, s.therapy == .active {
            b.empty("line", [("class", "sparkline-low"), ("x1", "2"), ("x2", "158"), ("y1", ChartFrame.n(frame.y(low))), ("y2", ChartFrame.n(frame.y(low)))], selfClosing: true)
        }
        var pts = item.recentDays.map { (frame.x($0.date), frame.y($0.volumeMl)) }
        if let v = s.volumeMl { pts.append((frame.x(asOf), frame.y(v))) }
        if !pts.isEmpty { b.empty("polyline", [("class", "sparkline"), ("points", ChartFrame.points(pts))], selfClosing: true) }
        if let v = s.volumeMl, let rate = s.dose?.rateMlPerDay, s.therapy == .active {
            let end = frame.end
            let ahead = max(0, v - rate * Double(end.seconds - asOf.seconds) / 86_400)
            let emptyX = rate > 0 ? min(frame.x(end), frame.x(asOf.adding(days: v / rate))) : frame.x(end)
            let projected = ahead > 0 ? [(frame.x(asOf), frame.y(v)), (frame.x(end), frame.y(ahead))] : [(frame.x(asOf), frame.y(v)), (emptyX, frame.y(0))]
            b.empty("polyline", [("class", "sparkline"), ("stroke-dasharray", "3 2"), ("points", ChartFrame.points(projected))], selfClosing: true)
        }
        b.empty("line", [("class", "sparkline-asof"), ("x1", ChartFrame.n(frame.x(asOf))), ("x2", ChartFrame.n(frame.x(asOf))), ("y1", "2"), ("y2", "34")],
                selfClosing: true)
        b.raw("</svg>")
    }
}
