import TherapyLedgerCore
import TherapyLedgerExport

/// The reservoir volume over the last 12 months and projected to empty: the daily volumes (the rows of
/// `export reservoir`), the low-alarm line, refill markers (expected against measured residual), the
/// projection at the programmed rate (and at the observed one after an over-infusion refill) and the
/// as-of time. Below the chart, the same numbers as tables.
enum ReservoirChart {
    static func render(_ b: inout HTMLBuilder, _ data: PatientChartData, id: String) {
        b.element("figure", [("class", "chart-figure"), ("id", id)]) { b in
            b.element("figcaption", text: "Reservoir volume (mL), the last 12 months and projected to empty")
            guard !data.reservoirDays.isEmpty || data.projection != nil else {
                ChartFrame.empty(&b, data, id: "\(id)-chart", title: "Reservoir volume", message: "No pump was implanted in the 12 months before the as-of time: no reservoir to show.")
                return
            }
            let maxVolume = max(data.capacityMl, data.reservoirDays.map(\.volumeMl).max() ?? 0, data.projection?.volumeMl ?? 0, 1)
            let frame = ChartFrame(start: data.start, end: data.end, yMax: maxVolume)
            frame.open(&b, id: "\(id)-chart", title: "Reservoir volume", description: description(data))
            frame.axes(&b, yTicks: ChartFrame.ticks(upTo: maxVolume), yLabel: "mL")
            drawLowAlarm(&b, data, frame)
            // The daily volumes, one polyline per implanted stretch (an explant leaves a gap).
            for run in runs(data.reservoirDays) {
                b.empty("polyline", [("class", "series reservoir"), ("points", ChartFrame.points(run.map { (frame.x($0.date), frame.y($0.volumeMl)) }))],
                        selfClosing: true)
            }
            b.newline()
            // Each day also as a point carrying the row of `export reservoir` it draws (its date and volume as the CSV writes them).
            for d in data.reservoirDays {
                b.empty("circle", [("class", "point"), ("cx", ChartFrame.n(frame.x(d.date))), ("cy", ChartFrame.n(frame.y(d.volumeMl))), ("r", "1.5"),
                                   ("data-date", d.date.dateString), ("data-volume-ml", FieldFormat.volume(d.volumeMl))], selfClosing: true)
            }
            b.newline()
            // No projection once the reservoir is empty: the daily line already lies on 0.
            if let p = data.projection, p.volumeMl > 0 { drawProjection(&b, p, data, frame, cssClass: "projection") }
            if let p = data.observedProjection { drawProjection(&b, p, data, frame, cssClass: "projection observed") }
            for r in data.refills { drawRefill(&b, r, frame) }
            frame.asOfLine(&b, data.asOf)
            frame.close(&b)
            legend(&b, observed: data.observedProjection != nil)
            tables(&b, data)
        }
    }

    /// The chart in words: what a screen reader says instead of the picture.
    static func description(_ data: PatientChartData) -> String {
        var s = "Daily reservoir volume from \(data.start.dateString) to \(data.asOf.dateString)"
        if let last = data.reservoirDays.last { s += ", \(fmt(last.volumeMl)) mL at \(last.date.dateString)" }
        if let p = data.projection {
            s += "; \(fmt(p.volumeMl)) mL at the as-of time \(data.asOf.iso8601)"
            if let low = data.lowAlarmMl { s += ", low alarm at \(fmt(low)) mL" }
            if let at = p.lowAlarmAt { s += " reached \(at.iso8601)" }
            if let at = p.emptyAt { s += ", projected empty \(at.iso8601)" }
            if let o = data.observedProjection, let at = o.emptyAt { s += "; at the observed rate empty \(at.iso8601)" }
        }
        let flagged = data.refills.filter(\.flagged).count
        s += ". \(data.refills.count) refill\(data.refills.count == 1 ? "" : "s") in the period\(flagged > 0 ? ", \(flagged) flagged" : "")."
        return s
    }

    /// Consecutive days (no gap over a day) as separate runs.
    static func runs(_ days: [ReservoirDay]) -> [[ReservoirDay]] {
        var out: [[ReservoirDay]] = []
        for d in days {
            if let last = out.last?.last, d.date.seconds - last.date.seconds <= 86_400 {
                out[out.count - 1].append(d)
            } else {
                out.append([d])
            }
        }
        return out
    }

    static func drawLowAlarm(_ b: inout HTMLBuilder, _ data: PatientChartData, _ frame: ChartFrame) {
        // The low-alarm volume as it was each day, then the one in force carried to the end of the axis.
        for run in runs(data.reservoirDays) {
            var pts = run.map { (frame.x($0.date), frame.y($0.lowAlarmMl)) }
            if run.last?.date == data.reservoirDays.last?.date, let low = data.lowAlarmMl {
                pts.append((frame.x(data.asOf), frame.y(low)))
                pts.append((frame.plotRight, frame.y(low)))
            }
            b.empty("polyline", [("class", "low-alarm"), ("points", ChartFrame.points(pts))], selfClosing: true)
        }
        if let low = data.lowAlarmMl ?? data.reservoirDays.last?.lowAlarmMl {
            // Labelled at the left, away from the projection's end at the right.
            b.element("text", [("class", "low-alarm-label"), ("x", ChartFrame.n(frame.left + 6)), ("y", ChartFrame.n(frame.y(low) - 4))],
                      text: "low alarm \(fmt(low)) mL")
        }
        b.newline()
    }

    static func drawProjection(_ b: inout HTMLBuilder, _ p: PatientChartData.Projection, _ data: PatientChartData, _ frame: ChartFrame, cssClass: String) {
        var pts = [(frame.x(data.asOf), frame.y(p.volumeMl))]
        if let empty = p.emptyAt, empty <= data.end {
            pts.append((frame.x(empty), frame.y(0)))
        } else {
            pts.append((frame.plotRight, frame.y(PatientChartData.volume(p, from: data.asOf, at: data.end))))
        }
        b.empty("polyline", [("class", cssClass), ("points", ChartFrame.points(pts))], selfClosing: true)
        if let empty = p.emptyAt, empty <= data.end {
            b.element("g", [("class", cssClass == "projection" ? "empty-mark" : "empty-mark observed")]) { b in
                b.element("title", text: "\(cssClass == "projection" ? "projected empty" : "empty at the observed rate") \(empty.iso8601)")
                // A diamond, so that it cannot be read as a refill's expected residual (an open circle).
                let x = frame.x(empty), y = frame.y(0)
                b.empty("polygon", [("points", ChartFrame.points([(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)]))], selfClosing: true)
            }
        }
        b.newline()
    }

    static func drawRefill(_ b: inout HTMLBuilder, _ r: RefillRecord, _ frame: ChartFrame) {
        let x = ChartFrame.n(frame.x(r.at))
        let ye = frame.y(r.expectedResidualMl), ym = frame.y(r.measuredResidualMl)
        b.element("g", [("class", r.flagged ? "refill flagged" : "refill")]) { b in
            b.element("title", text: "refill \(r.at.iso8601): expected residual \(fmt(r.expectedResidualMl)) mL, measured \(fmt(r.measuredResidualMl)) mL (\(signed(r.discrepancyMl)) mL\(r.flagged ? ", flagged" : "")), added \(fmt(r.addedMl)) mL")
            b.empty("line", [("class", "refill-gap"), ("x1", x), ("x2", x), ("y1", ChartFrame.n(ye)), ("y2", ChartFrame.n(ym))], selfClosing: true)
            b.empty("circle", [("class", "expected"), ("cx", x), ("cy", ChartFrame.n(ye)), ("r", "4.5")], selfClosing: true)
            b.empty("rect", [("class", "measured"), ("x", ChartFrame.n(frame.x(r.at) - 4)), ("y", ChartFrame.n(ym - 4)), ("width", "8"), ("height", "8")],
                    selfClosing: true)
        }
        b.newline()
    }

    static func legend(_ b: inout HTMLBuilder, observed: Bool) {
        b.element("ul", [("class", "legend")]) { b in
            b.element("li") { b in b.element("span", [("class", "key key-reservoir")], text: ""); b.text("daily volume (solid)") }
            b.element("li") { b in b.element("span", [("class", "key key-projection")], text: ""); b.text("projected at the programmed rate (dashed)") }
            if observed {
                b.element("li") { b in b.element("span", [("class", "key key-observed")], text: ""); b.text("projected at the rate observed over the last fill (dotted)") }
            }
            b.element("li") { b in b.element("span", [("class", "key key-low")], text: ""); b.text("low-alarm volume (red dashes)") }
            b.element("li") { b in b.element("span", [("class", "key key-empty")], text: ""); b.text("projected empty (diamond on 0)") }
            b.element("li") { b in b.element("span", [("class", "key key-expected")], text: ""); b.text("refill: expected residual (circle)") }
            b.element("li") { b in b.element("span", [("class", "key key-measured")], text: ""); b.text("measured residual (square; red when flagged)") }
            b.element("li") { b in b.element("span", [("class", "key key-asof")], text: ""); b.text("as-of time (vertical line)") }
        }
    }

    static func tables(_ b: inout HTMLBuilder, _ data: PatientChartData) {
        if !data.refills.isEmpty {
            DataTable.render(&b, caption: "Refills in the period", cssClass: "data refills",
                             header: ["refilled_at", "expected_residual_ml", "measured_residual_ml", "discrepancy_ml", "discrepancy_pct", "added_ml", "flagged"],
                             rows: data.refills.map { r in
                                 [r.at.iso8601, fmt(r.expectedResidualMl), fmt(r.measuredResidualMl), fmt(r.discrepancyMl),
                                  r.discrepancyPct.map { Rounding.fixed($0, decimals: 1) } ?? "", fmt(r.addedMl), r.flagged ? "true" : "false"]
                             }, open: true)
        }
        DataTable.render(&b, caption: "The chart's daily volumes (as export reservoir writes them)", cssClass: "data reservoir-points",
                         header: ["date", "volume_ml", "daily_dose_mcg", "rate_ml_per_day", "status"],
                         rows: data.reservoirDays.map { d in
                             [d.date.iso8601, fmt(d.volumeMl), Rounding.fixed(d.dailyDoseMcg, decimals: 1), Rounding.fixed(d.rateMlPerDay, decimals: 4), d.status]
                         }, open: false)
    }

    static func fmt(_ v: Double) -> String { FieldFormat.volume(v) }
    static func signed(_ v: Double) -> String { (v > 0 ? "+" : "") + fmt(v) }
}
