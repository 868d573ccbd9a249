import TherapyLedgerCore

/// The geometry of one chart: a time axis (x) and a value axis (y) mapped into an SVG view box, and
/// the drawing of its axes. Coordinates are written with one decimal, so the SVG is the same on
/// every machine.
struct ChartFrame: Sendable {
    var width = 960.0
    var height = 260.0
    var left = 64.0
    var right = 20.0
    var top = 18.0
    var bottom = 40.0
    let start: Timestamp
    let end: Timestamp
    let yMax: Double
    var yMin = 0.0

    /// x of a time (clamped to the plot area).
    func x(_ t: Timestamp) -> Double {
        let span = Double(max(1, end.seconds - start.seconds))
        let f = Double(t.seconds - start.seconds) / span
        return left + min(1, max(0, f)) * (width - left - right)
    }

    /// y of a value (clamped to the plot area).
    func y(_ v: Double) -> Double {
        let span = max(1e-9, yMax - yMin)
        let f = (v - yMin) / span
        return top + (1 - min(1, max(0, f))) * (height - top - bottom)
    }

    var plotBottom: Double { height - bottom }
    var plotRight: Double { width - right }

    /// A coordinate as SVG text.
    static func n(_ v: Double) -> String { Rounding.fixed(v, decimals: 1) }

    /// `x,y x,y ...` for a polyline.
    static func points(_ p: [(Double, Double)]) -> String {
        p.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
    }

    /// Opens the `<svg>` with its text alternative; `id` (the svg's own) must be unique in the document.
    func open(_ b: inout HTMLBuilder, id: String, title: String, description: String) {
        b.raw("<svg class=\"chart\" id=\"\(id)\" viewBox=\"0 0 \(Self.n(width)) \(Self.n(height))\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\">")
        b.element("title", [("id", "\(id)-title")], text: title)
        b.element("desc", [("id", "\(id)-desc")], text: description)
        b.newline()
    }

    func close(_ b: inout HTMLBuilder) { b.raw("</svg>") }

    /// The plot area's border, month ticks on x (`YYYY-MM` labels), `yTicks` on y and the y axis label.
    func axes(_ b: inout HTMLBuilder, yTicks: [(Double, String)], yLabel: String) {
        b.empty("rect", [("class", "plot"), ("x", Self.n(left)), ("y", Self.n(top)), ("width", Self.n(width - left - right)),
                         ("height", Self.n(height - top - bottom))], selfClosing: true)
        for (v, label) in yTicks {
            let y = Self.n(y(v))
            b.empty("line", [("class", "grid"), ("x1", Self.n(left)), ("x2", Self.n(plotRight)), ("y1", y), ("y2", y)], selfClosing: true)
            b.element("text", [("class", "tick"), ("x", Self.n(left - 6)), ("y", Self.n(self.y(v) + 4)), ("text-anchor", "end")], text: label)
        }
        let months = CivilDate.monthStarts(from: start, through: end)
        // At most about 14 labels: every month, or every second/third month on long axes.
        let every = max(1, (months.count + 13) / 14)
        for (i, m) in months.enumerated() {
            let x = Self.n(x(m))
            b.empty("line", [("class", "tickmark"), ("x1", x), ("x2", x), ("y1", Self.n(plotBottom)), ("y2", Self.n(plotBottom + 5))], selfClosing: true)
            if i % every == 0 {
                b.element("text", [("class", "tick"), ("x", x), ("y", Self.n(plotBottom + 18)), ("text-anchor", "middle")], text: CivilDate.monthLabel(m))
            }
        }
        b.element("text", [("class", "axis-label"), ("x", "14"), ("y", Self.n(top + (height - top - bottom) / 2)),
                           ("transform", "rotate(-90 14 \(Self.n(top + (height - top - bottom) / 2)))"), ("text-anchor", "middle")], text: yLabel)
        b.newline()
    }

    /// A chart with nothing to draw: the message in words (shown and as the text alternative) and an empty frame on
    /// the same time axis, so that every chart is in its place with its id.
    static func empty(_ b: inout HTMLBuilder, _ data: PatientChartData, id: String, title: String, message: String) {
        b.element("p", [("class", "empty")], text: message)
        var frame = ChartFrame(start: data.start, end: data.end, yMax: 1)
        frame.height = 120
        frame.open(&b, id: id, title: title, description: message)
        frame.axes(&b, yTicks: [], yLabel: "")
        frame.asOfLine(&b, data.asOf)
        frame.close(&b)
    }

    /// The vertical as-of line and its label.
    func asOfLine(_ b: inout HTMLBuilder, _ asOf: Timestamp) {
        let x = x(asOf)
        b.empty("line", [("class", "asof"), ("x1", Self.n(x)), ("x2", Self.n(x)), ("y1", Self.n(top)), ("y2", Self.n(plotBottom))], selfClosing: true)
        let anchor = x > width - 160 ? "end" : "start"
        b.element("text", [("class", "asof-label"), ("x", Self.n(anchor == "end" ? x - 4 : x + 4)), ("y", Self.n(top + 12)), ("text-anchor", anchor)],
                  text: "as of \(asOf.iso8601)")
        b.newline()
    }

    /// Round y ticks from 0 to `max`: 4-6 steps of 1, 2 or 5 times a power of ten.
    static func ticks(upTo max: Double, decimals: Int = 0) -> [(Double, String)] {
        guard max > 0 else { return [(0, "0")] }
        var step = 1.0
        while max / step > 6 { step *= 10 }
        while max / step < 3 { step /= 10 }
        for factor in [1.0, 2.0, 5.0, 10.0] where max / (step * factor) <= 6 {
            step *= factor
            break
        }
        var out: [(Double, String)] = []
        var v = 0.0
        while v <= max + step * 1e-9 {
            out.append((v, Rounding.fixed(v, decimals: step < 1 ? 1 : decimals)))
            v += step
        }
        return out
    }
}
