import ArgumentParser
import Foundation
import TherapyLedgerCore
import TherapyLedgerStore

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every hash chain, signed head, seq and fact column; exit 2 listing each problem.")

    @OptionGroup var options: LedgerOptions

    @Option(help: ArgumentHelp("Also write the latest signed heads to FILE, for an auditor to keep outside the ledger.", valueName: "FILE"))
    var heads: String?

    @Option(help: ArgumentHelp("Also prove the ledger still extends the heads kept in FILE.", valueName: "FILE"))
    var against: String?

    func run() throws {
        let store = try options.open()
        var kept: HeadsFile?
        if let against {
            kept = try HeadsFile(bytes: InputFile.read(against, limit: HeadsFile.maxBytes, what: "heads file"), file: against)
        }
        let start = Date()
        let report = try store.verify(against: kept)
        let seconds = Date().timeIntervalSince(start)
        if report.isOK {
            Output.line("ok: \(Plural.count(report.eventCount, "event")) from \(Plural.count(report.siteCount, "site")) verified")
            if let kept, let against {
                Output.line("ok: the ledger still extends the \(Plural.count(kept.heads.count, "signed head")) kept in \(against) (\(kept.heads.map { "\($0.head.site):\($0.head.seq)" }.joined(separator: ", ")))")
            }
            if ProcessInfo.processInfo.environment["THERAPY_LEDGER_TIMING"] != nil {
                Output.error(String(format: "verified in %.3f s (%.0f events/s)", seconds, Double(report.eventCount) / max(seconds, 1e-9)))
            }
        } else {
            for p in report.problems { Output.line("problem: \(p)") }
            Output.line("FAILED: \(Plural.count(report.problems.count, "problem")) in \(Plural.count(report.eventCount, "event"))\(kept.map { " (\(Plural.count($0.heads.count, "kept head")) checked too)" } ?? "")")
        }
        if let heads {
            let file = try store.headsFile()
            let bytes = CanonicalJSON.encode(file.json) + [0x0A]
            guard FileManager.default.createFile(atPath: heads, contents: Data(bytes)) else { throw CLIError("cannot write \(heads)") }
            Output.line("signed heads of \(Plural.count(file.heads.count, "site")) written to \(heads)")
        }
        if !report.isOK { throw ExitStatus.integrityFailure }
    }
}
