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

    @Option(name: .customLong("site-key"),
            help: ArgumentHelp("The fingerprint of this site's key, known out of band (as `sites list` printed it): anchors the check of this site's history when the key file is absent, as in a backup.", valueName: "FINGERPRINT"))
    var siteKey: String?

    func validate() throws {
        if let siteKey, PinRecord.normalizedFingerprint(siteKey) == nil {
            throw ValidationError("--site-key \(siteKey) is not a key fingerprint: expected SHA256: and 32 hex digits, as `therapy-ledger sites list` prints it")
        }
    }

    @Flag(help: "Replace --heads FILE when it already exists (a device or FIFO is written into without it).")
    var force = false

    func run() throws {
        let store = try options.openReadOnly()
        var kept: HeadsFile?
        if let against {
            kept = try HeadsFile(bytes: InputFile.read(against, limit: HeadsFile.maxBytes, what: "heads file"), file: against)
        }
        let start = Date()
        let report = try store.verify(against: kept, siteKey: siteKey)
        let seconds = Date().timeIntervalSince(start)
        for what in report.notChecked { Output.line("not checked: \(what)") }
        for n in report.notes { Output.line("note: \(n)") }
        if report.isOK {
            if report.isComplete {
                Output.line("ok: \(Plural.count(report.eventCount, "event")) from \(Plural.count(report.siteCount, "site")) verified")
            } else {
                Output.line("partly verified: \(Plural.count(report.eventCount, "event")) from \(Plural.count(report.siteCount, "site")) are consistent, but \(Plural.count(report.notChecked.count, "check")) could not be made (not checked, above): the ledger was only partly verified")
            }
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
            try OutputFile.write(heads, force: force, what: "heads file") { try $0.write(bytes) }
            Output.line("signed heads of \(Plural.count(file.heads.count, "site")) written to \(heads)")
        }
        if !report.isOK { throw ExitStatus.integrityFailure }
    }
}
