import TherapyLedgerCore
import TherapyLedgerExport

/// The programmed dose as steps (the dose periods of `export doses`), with concentration changes marked.
enum DoseChart {
    static func render(_ b: inout HTMLBuilder, _ data: PatientChartData, id: String) {
        b.element("figure", [("class", "chart-figure"), ("id", id)]) { b in
            b.element("figcaption", text: "Programmed dose (mcg/day) as steps, concentration changes marked")
            guard !data.dosePeriods.isEmpty else {
                ChartFrame.empty(&b, data, id: "\(id)-chart", title: "Programmed dose", message: "No dose was programmed in the 12 months before the as-of time.")
                return
            }
            let top = (data.dosePeriods.map(\.dailyDoseMcg).max() ?? 100) * 1.2
            let frame = ChartFrame(start: data.start, end: data.end, yMax: top)
            frame.open(&b, id: "\(id)-chart", title: "Programmed dose", description: description(data))
            frame.axes(&b, yTicks: ChartFrame.ticks(upTo: top), yLabel: "mcg/day")
            // Steps: each period a horizontal run, joined to the next one when it follows without a gap.
            var pts: [(Double, Double)] = []
            func flush() {
                if !pts.isEmpty { b.empty("polyline", [("class", "series dose"), ("points", ChartFrame.points(pts))], selfClosing: true) }
                pts = []
            }
            for (i, d) in data.dosePeriods.enumerated() {
                let from = max(d.from, data.start), to = min(d.to ?? data.asOf, data.asOf)
                if i > 0, let previousEnd = data.dosePeriods[i - 1].to, previousEnd != d.from { flush() }
                pts.append((frame.x(from), frame.y(d.dailyDoseMcg)))
                pts.append((frame.x(to), frame.y(d.dailyDoseMcg)))
            }
            flush()
            b.newline()
            // Each period also as one step carrying the row of `export doses` it draws (its start and dose as the CSV writes them).
            for d in data.dosePeriods {
                let from = max(d.from, data.start), to = min(d.to ?? data.asOf, data.asOf)
                let y = ChartFrame.n(frame.y(d.dailyDoseMcg))
                b.empty("line", [("class", "step"), ("x1", ChartFrame.n(frame.x(from))), ("x2", ChartFrame.n(frame.x(to))), ("y1", y), ("y2", y),
                                 ("data-from", d.from.iso8601), ("data-daily-dose-mcg", FieldFormat.dose(d.dailyDoseMcg))], selfClosing: true)
            }
            b.newline()
            for (previous, d) in zip(data.dosePeriods, data.dosePeriods.dropFirst()) where previous.concentrationMcgPerMl != d.concentrationMcgPerMl && d.from >= data.start {
                let x = ChartFrame.n(frame.x(d.from))
                b.element("g", [("class", "concentration-change")]) { b in
                    let text = "concentration \(fmtC(previous.concentrationMcgPerMl)) to \(fmtC(d.concentrationMcgPerMl)) mcg/mL at \(d.from.iso8601)"
                    b.element("title", text: text)
                    b.empty("line", [("x1", x), ("x2", x), ("y1", ChartFrame.n(frame.top)), ("y2", ChartFrame.n(frame.plotBottom))], selfClosing: true)
                    b.element("text", [("class", "marker-label"), ("x", ChartFrame.n(frame.x(d.from) + 4)), ("y", ChartFrame.n(frame.top + 26))],
                              text: "\(fmtC(previous.concentrationMcgPerMl)) \u{2192} \(fmtC(d.concentrationMcgPerMl)) mcg/mL")
                }
            }
            frame.asOfLine(&b, data.asOf)
            frame.close(&b)
            b.element("ul", [("class", "legend")]) { b in
                b.element("li") { b in b.element("span", [("class", "key key-dose")], text: ""); b.text("programmed daily dose (steps)") }
                b.element("li") { b in b.element("span", [("class", "key key-concentration")], text: ""); b.text("concentration change (dotted line, labelled)") }
                b.element("li") { b in b.element("span", [("class", "key key-asof")], text: ""); b.text("as-of time") }
            }
            DataTable.render(&b, caption: "The chart's dose periods (as export doses writes them)", cssClass: "data dose-points",
                             header: ["from", "to", "daily_dose_mcg", "concentration_mcg_per_ml", "rate_ml_per_day", "mode", "site", "event_id"],
                             rows: data.dosePeriods.map { d in
                                 [d.from.iso8601, d.to?.iso8601 ?? "", Rounding.fixed(d.dailyDoseMcg, decimals: 1), Rounding.fixed(d.concentrationMcgPerMl, decimals: 2),
                                  Rounding.fixed(d.rateMlPerDay, decimals: 4), d.mode, d.site, d.eventID]
                             }, open: false)
        }
    }

    static func description(_ data: PatientChartData) -> String {
        let doses = data.dosePeriods.map(\.dailyDoseMcg)
        var s = "\(data.dosePeriods.count) dose period\(data.dosePeriods.count == 1 ? "" : "s") from \(data.start.dateString) to \(data.asOf.dateString)"
        if let lo = doses.min(), let hi = doses.max() { s += ", between \(fmtD(lo)) and \(fmtD(hi)) mcg/day" }
        if let last = data.dosePeriods.last { s += "; \(last.to == nil ? "in force" : "last") \(fmtD(last.dailyDoseMcg)) mcg/day at \(fmtC(last.concentrationMcgPerMl)) mcg/mL since \(last.from.iso8601)" }
        let changes = zip(data.dosePeriods, data.dosePeriods.dropFirst()).filter { $0.concentrationMcgPerMl != $1.concentrationMcgPerMl }.count
        s += ". \(changes) concentration change\(changes == 1 ? "" : "s")."
        return s
    }

    static func fmtD(_ v: Double) -> String { Rounding.fixed(v, decimals: 1) }
    static func fmtC(_ v: Double) -> String {
        let r = Rounding.concentration(v)
        return r == r.rounded() ? Rounding.fixed(r, decimals: 0) : Rounding.fixed(r, decimals: 2)
    }
}
