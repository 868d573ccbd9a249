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

    func validate() throws {
        _ = try TimeArgument.parse(asOf, option: "--as-of")
        _ = try TimeArgument.parse(knownAt, option: "--known-at")
    }

    func run() throws {
        let asOf = try TimeArgument.parse(asOf, option: "--as-of"), knownAt = try TimeArgument.parse(knownAt, option: "--known-at")
        let store = try options.openReadOnly()
        if json {
            // The same bytes as the site server's GET /patients/{id}/timeline.
            let bytes = try store.timelineJSONLines(patient: patient, asOf: asOf, knownAt: knownAt)
            if bytes.isEmpty { Output.error(emptyNote(asOf: asOf, knownAt: knownAt)) }
            Output.write(bytes)
            return
        }
        let entries = try store.timeline(patient: patient, asOf: asOf, knownAt: knownAt)
        var out = ""
        for e in entries {
            // The event id, so that a clinician can correct, resolve or acknowledge without `log`.
            var line = "\(e.event.occurredAt.iso8601)  \(e.event.id)  \(e.event.site):\(e.event.seq)  \(e.summary)"
            if e.status != .active { line += "  [\(e.status.rawValue)\(e.correctedBy.map { " by \($0)" } ?? "")]" }
            if !e.conflicts.isEmpty { line += "  [conflict: \(e.conflicts.joined(separator: "; "))]" }
            line += "  (\(e.event.author ?? "?"))"
            out += line + "\n"
        }
        if entries.isEmpty { out += emptyNote(asOf: asOf, knownAt: knownAt) + "\n" }
        Output.write(Array(out.utf8))
    }

    /// Says why there is nothing to show (the patient exists: an unknown one is an error).
    func emptyNote(asOf: Timestamp?, knownAt: Timestamp?) -> String {
        switch (asOf, knownAt) {
        case (let a?, let k?): return "no events of patient \(patient) had occurred by \(a.iso8601) as known at \(k.iso8601)"
        case (let a?, nil): return "no events of patient \(patient) had occurred by \(a.iso8601)"
        case (nil, let k?): return "no events of patient \(patient) were known at \(k.iso8601): the first was recorded later"
        case (nil, nil): return "no events of patient \(patient) to show"
        }
    }
}
