import ArgumentParser
import TherapyLedgerCore
import TherapyLedgerExport
import TherapyLedgerStore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export projections of the whole ledger to CSV, streamed, optionally pseudonymized.",
        discussion: """
            KIND is one of: \(ExportKind.names). Columns are documented in schemas/csv/KIND.json. \
            RFC 4180 CSV, UTF-8, LF line endings, quoted only where needed. The file is written to a \
            temporary file beside --out and renamed on success; an existing file is replaced only with --force; \
            a device or FIFO is written into; `--out -` writes to standard output.
            """)

    @OptionGroup var options: LedgerOptions
    @Argument(help: ArgumentHelp("What to export: \(ExportKind.names).", valueName: "KIND")) var kind: String
    @Option(help: ArgumentHelp("The CSV file to write, or - for standard output.", valueName: "FILE")) var out: String
    @Option(name: .customLong("patient"), help: "Only this patient (repeatable).") var patients: [String] = []
    @Option(help: "Keep rows whose time is at or after this time.") var from: String?
    @Option(help: "Keep rows whose time is at or before this time.") var to: String?
    @Option(name: .customLong("as-of"), help: "Clinical time to fold up to (alerts and reservoir: default now).") var asOf: String?
    @Option(name: .customLong("known-at"), help: "Ignore events recorded after this time.") var knownAt: String?
    @Option(help: ArgumentHelp("Replace patient ids by HMAC-SHA256 pseudonyms keyed by this file's bytes (at least 16) and empty authors, serials and free text.", valueName: "KEY-FILE"))
    var pseudonymize: String?
    @Flag(name: .customLong("relative-dates"), help: "Write times as days since the patient's first implant.") var relativeDates = false
    @Flag(help: "Replace --out when it is an existing file (a device or FIFO is written into without it).") var force = false

    func run() throws {
        guard let exportKind = ExportKind(rawValue: kind) else {
            let close = FieldSuggestion.closest(to: kind, among: ExportKind.allCases.map(\.rawValue))
            throw ValidationError("unknown export kind \"\(kind)\": \(close.map { "did you mean \($0)? " } ?? "")expected one of \(ExportKind.names)")
        }
        var exportOptions = ExportOptions(
            kind: exportKind, patients: patients,
            from: try TimeArgument.parse(from, option: "--from"), to: try TimeArgument.parse(to, option: "--to"),
            asOf: try TimeArgument.parse(asOf, option: "--as-of"), knownAt: try TimeArgument.parse(knownAt, option: "--known-at"),
            relativeDates: relativeDates)
        do {
            if let pseudonymize { exportOptions.pseudonymKey = try ExportOptions.readKey(path: pseudonymize) }
            try exportOptions.validate()
        } catch {
            throw ValidationError(error.message)
        }
        let store = try options.openReadOnly()
        do {
            let summary = try Exporter(store: store).export(exportOptions, to: out, force: force)
            // Say what happened, on standard error so that `--out -` output stays pure CSV.
            Output.error("exported \(Plural.count(summary.rows, "row")) of \(exportKind.rawValue) (\(Plural.count(summary.patients, "patient"))) to \(out == "-" ? "standard output" : out)")
        } catch let error as ExportError {
            throw CLIError(error.message)
        }
    }
}
