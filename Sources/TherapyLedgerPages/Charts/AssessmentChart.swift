import TherapyLedgerCore

/// Modified Ashworth and Penn spasm frequency scores on one 0-4 axis (Ashworth 1+ drawn at 1.5).
enum AssessmentChart {
    static func render(_ b: inout HTMLBuilder, _ data: PatientChartData, id: String) {
        b.element("figure", [("class", "chart-figure"), ("id", id)]) { b in
            b.element("figcaption", text: "Spasticity: Modified Ashworth and Penn spasm frequency scores (0-4)")
            guard !data.assessments.isEmpty else {
                ChartFrame.empty(&b, data, id: "\(id)-chart", title: "Ashworth and Penn scores", message: "No assessment was recorded in the 12 months before the as-of time.")
                return
            }
            var frame = ChartFrame(start: data.start, end: data.end, yMax: 4.4)
            frame.height = 200
            frame.open(&b, id: "\(id)-chart", title: "Ashworth and Penn scores", description: description(data))
            frame.axes(&b, yTicks: [(0, "0"), (1, "1"), (2, "2"), (3, "3"), (4, "4")], yLabel: "score")
            let ashworth = data.assessments.compactMap { a in a.ashworth.flatMap(value).map { (a, $0) } }
            let penn = data.assessments.compactMap { a in a.pennSpasmFrequency.flatMap { Double($0) }.map { (a, $0) } }
            if ashworth.count > 1 {
                b.empty("polyline", [("class", "series ashworth"), ("points", ChartFrame.points(ashworth.map { (frame.x($0.0.at), frame.y($0.1)) }))], selfClosing: true)
            }
            if penn.count > 1 {
                b.empty("polyline", [("class", "series penn"), ("points", ChartFrame.points(penn.map { (frame.x($0.0.at), frame.y($0.1)) }))], selfClosing: true)
            }
            for (a, v) in ashworth {
                b.element("g", [("class", "score ashworth")]) { b in
                    b.element("title", text: "Ashworth \(a.ashworth ?? "") at \(a.at.iso8601)")
                    // Larger than Penn's squares, drawn under them: equal scores show a square inside a circle.
                    b.empty("circle", [("cx", ChartFrame.n(frame.x(a.at))), ("cy", ChartFrame.n(frame.y(v))), ("r", "7")], selfClosing: true)
                }
            }
            for (a, v) in penn {
                b.element("g", [("class", "score penn")]) { b in
                    b.element("title", text: "Penn \(a.pennSpasmFrequency ?? "") at \(a.at.iso8601)")
                    b.empty("rect", [("x", ChartFrame.n(frame.x(a.at) - 3.5)), ("y", ChartFrame.n(frame.y(v) - 3.5)), ("width", "7"), ("height", "7")], selfClosing: true)
                }
            }
            frame.asOfLine(&b, data.asOf)
            frame.close(&b)
            b.element("ul", [("class", "legend")]) { b in
                b.element("li") { b in b.element("span", [("class", "key key-ashworth")], text: ""); b.text("Modified Ashworth (large circles, solid; 1+ at 1.5)") }
                b.element("li") { b in b.element("span", [("class", "key key-penn")], text: ""); b.text("Penn spasm frequency (small squares, dashed; a square inside a circle: equal scores)") }
            }
            DataTable.render(&b, caption: "The chart's assessments (as export assessments writes them)", cssClass: "data assessment-points",
                             header: ["assessed_at", "ashworth", "penn_spasm_frequency", "daily_dose_mcg"],
                             rows: data.assessments.map { a in
                                 [a.at.iso8601, a.ashworth ?? "", a.pennSpasmFrequency ?? "", a.dailyDoseMcg.map { Rounding.fixed($0, decimals: 1) } ?? ""]
                             }, open: false)
        }
    }

    /// The Modified Ashworth score on the chart's axis.
    static func value(_ score: String) -> Double? { score == "1+" ? 1.5 : Double(score) }

    static func description(_ data: PatientChartData) -> String {
        var s = "\(data.assessments.count) assessment\(data.assessments.count == 1 ? "" : "s") from \(data.start.dateString) to \(data.asOf.dateString)"
        if let last = data.assessments.last {
            s += "; the latest at \(last.at.iso8601): Ashworth \(last.ashworth ?? "not scored"), Penn \(last.pennSpasmFrequency ?? "not scored")"
        }
        return s + "."
    }
}
