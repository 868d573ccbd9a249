import ArgumentParser
import TherapyLedgerCore
import TherapyLedgerPages
import TherapyLedgerStore

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained, printable HTML report: a patient's status, charts, alerts and timeline, or the worklist.",
        discussion: """
            The file holds everything (style and SVG charts inline, no script, font or image from anywhere) and ends with a \
            footer for the auditor: the signed heads covering the events used. Two ledgers holding the same events write the \
            same bytes: no wall-clock time, site name or path is printed, the as-of time is. An existing regular file is \
            refused unless --force; `--out -` writes to standard output.
            """)

    @OptionGroup var options: LedgerOptions
    @Option(help: "The patient to report on.") var patient: String?
    @Flag(help: "Report the worklist instead of one patient.") var worklist = false
    @Option(parsing: .unconditional, help: ArgumentHelp("With --worklist: days ahead to look for low-alarm, empty and refill-due dates (default 14).", valueName: "DAYS"))
    var within: String?
    @Option(name: .customLong("as-of"), help: "Clinical time to evaluate at (default: now); printed in the report.") var asOf: String?
    @Option(name: .customLong("known-at"), help: "Ignore events recorded after this time.") var knownAt: String?
    @Option(help: ArgumentHelp("The HTML file to write, or - for standard output.", valueName: "FILE")) var out: String
    @Flag(help: "Replace an existing file.") var force = false

    func validate() throws {
        guard (patient != nil) != worklist else {
            throw ValidationError(worklist ? "give either --patient P or --worklist, not both" : "give --patient P or --worklist")
        }
        if let within {
            guard worklist else { throw ValidationError("--within goes with --worklist") }
            guard let d = Double(within), d.isFinite, d > 0, d <= 3650 else {
                throw ValidationError("--within \(within): must be a positive number of days, at most 3650 (e.g. --within 14)")
            }
        }
        _ = try TimeArgument.parse(asOf, option: "--as-of")
        _ = try TimeArgument.parse(knownAt, option: "--known-at")
    }

    func run() throws {
        let knownAt = try TimeArgument.parse(knownAt, option: "--known-at")
        let target = try ReportOutput.target(out, force: force)
        let store = try options.openReadOnly()
        let asOf = try TimeArgument.parse(asOf, option: "--as-of") ?? store.environment.now()
        let html: String
        let what: String
        if let patient {
            html = PatientReport.render(try store.patientReportInput(patient: patient, asOf: asOf, knownAt: knownAt))
            what = "patient \(patient)"
        } else {
            let input = try store.worklistReportInput(within: within.flatMap(Double.init) ?? 14, asOf: asOf, knownAt: knownAt)
            html = WorklistReport.render(input)
            what = "worklist (\(Plural.count(input.items.count, "patient")))"
        }
        let bytes = Array(html.utf8)
        try ReportOutput.write(bytes, to: target)
        Output.error("report of \(what) as of \(asOf.iso8601) written to \(out == "-" ? "standard output" : out) (\(Plural.count(bytes.count, "byte")))")
    }
}
