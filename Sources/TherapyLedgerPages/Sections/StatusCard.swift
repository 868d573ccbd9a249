import TherapyLedgerCore

/// The status card: therapy, pump, dose, reservoir and dates at the as-of time (the same facts as `status`).
enum StatusCard {
    static func render(_ b: inout HTMLBuilder, _ s: PatientStatus) {
        b.element("section", [("class", "card status"), ("aria-labelledby", "status-heading")]) { b in
            b.element("h2", [("id", "status-heading")], text: "Status")
            b.element("dl") { b in
                func row(_ term: String, _ value: String) {
                    b.element("div") { b in
                        b.element("dt", text: term)
                        b.element("dd", text: value)
                    }
                    b.newline()
                }
                row("as of", s.asOf.iso8601 + (s.knownAt.map { " (as known at \($0.iso8601))" } ?? ""))
                if let origin = s.origin { row("origin", origin + (s.indication.map { ", \($0)" } ?? "")) }
                row("therapy", s.therapy.rawValue)
                if s.therapy == .active, let pump = s.pump {
                    row("pump", "\(pump.model ?? "?"), \(Rounding.fixed(pump.reservoirMl, decimals: 0)) mL, implanted \(pump.implantedAt.iso8601)")
                }
                if s.therapy == .active, let d = s.dose {
                    row("dose", "\(Rounding.fixed(d.dailyDoseMcg, decimals: 1)) mcg/day at \(Rounding.fixed(d.programmedConcentration, decimals: 0)) mcg/mL = \(Rounding.fixed(d.rateMlPerDay, decimals: 4)) mL/day (\(d.mode)), since \(d.since.iso8601)")
                }
                if s.therapy == .active, let pump = s.pump {
                    row("reservoir", "\(s.volumeMl.map { Rounding.fixed($0, decimals: 2) } ?? "?") mL of \(Rounding.fixed(pump.reservoirMl, decimals: 0)) mL; low alarm at \(Rounding.fixed(pump.lowAlarmMl, decimals: 2)) mL")
                    row("low alarm", s.lowAlarmAt?.iso8601 ?? "-")
                    row("empty", s.emptyAt?.iso8601 ?? "-")
                    if let rate = s.observedRateMlPerDay {
                        row("observed", "\(Rounding.fixed(rate, decimals: 4)) mL/day over the last fill interval: low alarm \(s.observedLowAlarmAt?.iso8601 ?? "-"), empty \(s.observedEmptyAt?.iso8601 ?? "-")")
                    }
                    row("last refill", s.lastRefillAt?.iso8601 ?? "none since implant")
                    row("next due", s.nextRefillDue?.dateString ?? "not set")
                }
            }
        }
        b.newline()
    }
}

/// A severity as text in a coloured badge: the word carries the meaning, the colour repeats it.
enum SeverityBadge {
    static func render(_ b: inout HTMLBuilder, _ severity: Alert.Severity?, acknowledged: Bool = false) {
        let name = severity?.rawValue ?? "due"
        b.element("span", [("class", "badge badge-\(name)\(acknowledged ? " acknowledged" : "")")], text: name.uppercased())
    }
}
