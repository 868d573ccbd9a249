import ArgumentParser
import TherapyLedgerCore
import TherapyLedgerStore

struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Every event of a patient in clinical order, with its status and conflicts.")

    @OptionGroup var options: LedgerOptions
    @Option(help: "The patient id.") var patient: String
    @Option(name: .customLong("as-of"), help: "Show events that occurred by this time.") var asOf: String?
    @Option(name: .customLong("known-at"), help: "Ignore events recorded after this time.") var knownAt: String?
    @Flag(help: "JSON Lines output, one entry per line.") var json = false

    func run() throws {
        let asOf = try TimeArgument.parse(asOf, option: "--as-of"), knownAt = try TimeArgument.parse(knownAt, option: "--known-at")
        let entries = try options.open().timeline(patient: patient, asOf: asOf, knownAt: knownAt)
        var out = ""
        for e in entries {
            if json {
                out += CanonicalJSON.string(e.json) + "\n"
            } else {
                // The event id, so that a clinician can correct, resolve or acknowledge without `log`.
                var line = "\(e.event.occurredAt.iso8601)  \(e.event.id)  \(e.event.site):\(e.event.seq)  \(e.summary)"
                if e.status != .active { line += "  [\(e.status.rawValue)\(e.correctedBy.map { " by \($0)" } ?? "")]" }
                if !e.conflicts.isEmpty { line += "  [conflict: \(e.conflicts.joined(separator: "; "))]" }
                line += "  (\(e.event.author ?? "?"))"
                out += line + "\n"
            }
        }
        Output.write(Array(out.utf8))
    }
}
