import ArgumentParser
import TherapyLedgerCore
import TherapyLedgerStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "A patient's therapy, dose, reservoir and open alerts at a time.",
        discussion: "Alerts never change the exit status: it is 0 whenever the answer was computed.")

    @OptionGroup var options: LedgerOptions
    @Option(help: "The patient id.") var patient: String
    @Option(name: .customLong("as-of"), help: "Clinical time to evaluate at (default: now).") var asOf: String?
    @Option(name: .customLong("known-at"), help: "Ignore events recorded after this time.") var knownAt: String?
    @Flag(help: "JSON output (schemas/status.schema.json).") var json = false

    func validate() throws {
        _ = try TimeArgument.parse(asOf, option: "--as-of")
        _ = try TimeArgument.parse(knownAt, option: "--known-at")
    }

    func run() throws {
        let asOf = try TimeArgument.parse(asOf, option: "--as-of"), knownAt = try TimeArgument.parse(knownAt, option: "--known-at")
        let store = try options.openReadOnly()
        if json {
            // The same bytes as the site server's GET /patients/{id}/status.
            Output.write(try store.statusJSON(patient: patient, asOf: asOf, knownAt: knownAt))
        } else {
            Output.write(Array(StatusText.render(try store.status(patient: patient, asOf: asOf, knownAt: knownAt)).utf8))
        }
    }
}

/// The human form of a status: what a clinician reads before a refill.
enum StatusText {
    static func render(_ s: PatientStatus) -> String {
        var lines: [String] = []
        lines.append("Patient \(s.patient) as of \(s.asOf.iso8601)\(s.knownAt.map { " (as known at \($0.iso8601))" } ?? "")")
        if let origin = s.origin { lines.append("  origin       \(origin)\(s.indication.map { ", \($0)" } ?? "")") }
        lines.append("  therapy      \(s.therapy.rawValue)")
        if let pump = s.pump, s.therapy == .active {
            lines.append("  pump         \(pump.model ?? "?"), \(Rounding.fixed(pump.reservoirMl, decimals: 0)) mL, implanted \(pump.implantedAt.iso8601)")
        }
        if let d = s.dose, s.therapy == .active {
            lines.append("  dose         \(Rounding.fixed(d.dailyDoseMcg, decimals: 1)) mcg/day at \(Rounding.fixed(d.programmedConcentration, decimals: 0)) mcg/mL = \(Rounding.fixed(d.rateMlPerDay, decimals: 4)) mL/day (\(d.mode)), since \(d.since.iso8601)")
        }
        if let pump = s.pump, s.therapy == .active {
            lines.append("  reservoir    \(s.volumeMl.map { Rounding.fixed($0, decimals: 2) } ?? "?") mL of \(Rounding.fixed(pump.reservoirMl, decimals: 0)) mL; low alarm at \(Rounding.fixed(pump.lowAlarmMl, decimals: 2)) mL")
            lines.append("  low alarm    \(s.lowAlarmAt?.iso8601 ?? "-")")
            lines.append("  empty        \(s.emptyAt?.iso8601 ?? "-")")
            if let rate = s.observedRateMlPerDay {
                lines.append("  observed     \(Rounding.fixed(rate, decimals: 4)) mL/day over the last fill interval: low alarm \(s.observedLowAlarmAt?.iso8601 ?? "-"), empty \(s.observedEmptyAt?.iso8601 ?? "-")")
            }
            lines.append("  last refill  \(s.lastRefillAt?.iso8601 ?? "none since implant")")
            lines.append("  next due     \(s.nextRefillDue?.dateString ?? "not set")")
        }
        if s.alerts.isEmpty {
            lines.append("  alerts       none")
        } else {
            lines.append("  alerts (\(s.alerts.count)):")
            for a in s.alerts {
                var line = "    [\(a.severity.rawValue.uppercased())] \(a.code): \(a.message)"
                if let ack = a.acknowledgement {
                    line += " (acknowledged by \(ack.by ?? "?") at \(ack.at.iso8601)\(ack.until.map { ", until \($0.iso8601)" } ?? ""), event \(ack.eventID))"
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
