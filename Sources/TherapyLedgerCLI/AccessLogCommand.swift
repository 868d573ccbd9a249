import ArgumentParser
import TherapyLedgerCore
import TherapyLedgerStore

struct AccessLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access-log",
        abstract: "Every server request that read or wrote patient data: time, user, role, action, patient, outcome, address.",
        discussion: "The log is append-only and hash-chained; `verify` checks it. Reads by the CLI itself are not logged here.")
    @OptionGroup var options: LedgerOptions
    @Option(help: "Only this user's requests.") var user: String?
    @Option(help: "Only requests about this patient.") var patient: String?
    @Option(help: "Only requests at or after this time.") var since: String?
    @Flag(help: "JSON Lines output (the same lines as GET /api/v1/access-log).") var json = false

    func validate() throws { _ = try TimeArgument.parse(since, option: "--since") }

    func run() throws {
        let entries = try options.open().accessLog(user: user, patient: patient, since: try TimeArgument.parse(since, option: "--since"))
        if json {
            Output.write(entries.flatMap(\.jsonLine))
            return
        }
        var out = ""
        for e in entries {
            do {
                out += "\(e.at.iso8601)  \(e.user ?? "-")\(e.role.map { " (\($0))" } ?? "")  \(e.action)  \(e.patient ?? "-")"
                out += "\(e.detail.map { "  \($0)" } ?? "")  \(e.outcome)  \(e.remote ?? "-")\n"
            }
        }
        if !json && entries.isEmpty { out = "no access recorded\(user != nil || patient != nil || since != nil ? " matching the filter" : "")\n" }
        Output.write(Array(out.utf8))
    }
}
