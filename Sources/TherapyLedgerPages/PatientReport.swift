import TherapyLedgerCore

/// What a patient's report shows, gathered from a ledger by ``TherapyLedgerStore/LedgerStore/patientReportInput(patient:asOf:knownAt:)``.
public struct PatientReportInput: Sendable {
    public var status: PatientStatus
    public var timeline: [TimelineEntry]
    public var charts: PatientChartData
    public var provenance: ReportProvenance

    public init(status: PatientStatus, timeline: [TimelineEntry], charts: PatientChartData, provenance: ReportProvenance) {
        self.status = status
        self.timeline = timeline
        self.charts = charts
        self.provenance = provenance
    }
}

/// One printable page per patient: the status card, the reservoir, dose and assessment charts, the open
/// alerts with their acknowledgements, the timeline and the auditor's footer. Pure: the same input gives
/// the same bytes.
public enum PatientReport {
    public static func render(_ input: PatientReportInput) -> String {
        let s = input.status
        return PageDocument.render(title: "Patient \(s.patient) as of \(s.asOf.iso8601): ITB therapy report") { b in
            b.element("header", [("class", "page")]) { b in
                b.element("h1", text: "Patient \(s.patient)")
                b.element("p", [("class", "subtitle")]) { b in
                    b.text("Intrathecal baclofen therapy as of \(s.asOf.iso8601)")
                    if let k = s.knownAt { b.text(", as the ledger knew it at \(k.iso8601)") }
                    b.text(". Highest open alert: ")
                    if let top = s.alerts.first { SeverityBadge.render(&b, top.severity, acknowledged: top.acknowledgement != nil) } else { b.text("none") }
                }
            }
            b.newline()
            b.element("main") { b in
                StatusCard.render(&b, s)
                AlertList.render(&b, s.alerts)
                charts(&b, input.charts)
                TimelineTable.render(&b, input.timeline, knownAt: s.knownAt)
            }
            b.newline()
            AuditFooter.render(&b, input.provenance, scope: "Patient \(s.patient)", asOf: s.asOf, knownAt: s.knownAt)
        }
    }

    /// The three charts (`#reservoir-chart`, `#dose-chart`, `#assessment-chart`), in the report and on the served page.
    static func charts(_ b: inout HTMLBuilder, _ charts: PatientChartData) {
        b.element("section", [("class", "charts"), ("aria-labelledby", "charts-heading")]) { b in
            b.element("h2", [("id", "charts-heading")], text: "Charts: \(charts.start.dateString) to \(charts.asOf.dateString), projected on")
            ReservoirChart.render(&b, charts, id: "reservoir")
            DoseChart.render(&b, charts, id: "dose")
            AssessmentChart.render(&b, charts, id: "assessment")
        }
        b.newline()
    }
}
