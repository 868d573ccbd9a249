import ArgumentParser
import TherapyLedgerCore
import TherapyLedgerStore

struct WorklistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worklist",
        abstract: "Every patient with an open alert or a low-alarm, empty or refill-due date soon, most urgent first.")

    @OptionGroup var options: LedgerOptions
    @Option(parsing: .unconditional, help: ArgumentHelp("Days ahead to look for low-alarm, empty and refill-due dates: a positive number, at most 3650.", valueName: "DAYS"))
    var within: String = "14"

    /// `--within` as a number of days (checked by ``validate()``).
    var days: Double { Double(within) ?? 14 }
    @Option(name: .customLong("as-of"), help: "Clinical time to evaluate at (default: now).") var asOf: String?
    @Option(name: .customLong("known-at"), help: "Ignore events recorded after this time.") var knownAt: String?
    @Flag(help: "JSON Lines output: one patient status per line.") var json = false

    func validate() throws {
        guard let d = Double(within), d.isFinite, d > 0, d <= 3650 else {
            throw ValidationError("--within \(within): must be a positive number of days, at most 3650 (e.g. --within 14)")
        }
        _ = try TimeArgument.parse(asOf, option: "--as-of")
        _ = try TimeArgument.parse(knownAt, option: "--known-at")
    }

    func run() throws {
        let asOf = try TimeArgument.parse(asOf, option: "--as-of"), knownAt = try TimeArgument.parse(knownAt, option: "--known-at")
        let store = try options.openReadOnly()
        if json {
            // The same bytes as the site server's GET /worklist.
            Output.write(try store.worklistJSONLines(within: days, asOf: asOf, knownAt: knownAt))
            return
        }
        let items = try store.worklist(within: days, asOf: asOf, knownAt: knownAt)
        var out = ""
        for item in items {
            let s = item.status
            // The most urgent alert: unacknowledged before acknowledged within the highest severity.
            let first = s.alerts.first { $0.severity == s.alerts.first?.severity && $0.acknowledgement == nil } ?? s.alerts.first
            let top = first.map { "[\($0.severity.rawValue.uppercased())] \($0.code)\($0.acknowledgement == nil ? "" : " (acknowledged)")" } ?? "[DUE]"
            var line = "\(s.patient)  \(top)"
            if s.alerts.count > 1 { line += " +\(s.alerts.count - 1) more" }
            if let e = s.earliestEmptyAt { line += "  empty \(e.iso8601)\(e == s.emptyAt ? "" : " (observed rate)")" }
            if let l = s.earliestLowAlarmAt { line += "  low \(l.iso8601)\(l == s.lowAlarmAt ? "" : " (observed rate)")" }
            if let d = s.nextRefillDue { line += "  due \(d.dateString)" }
            out += line + "\n"
        }
        out += "\(Plural.count(items.count, "patient")) \(items.count == 1 ? "needs" : "need") attention\n"
        Output.write(Array(out.utf8))
    }
}
