import Foundation
import Testing
@testable import TherapyLedgerCore

/// A CLI ledger holding P001 with a pump, made through the CLI.
private func cliLedger() throws -> (dir: TempDir, path: String) {
    let dir = TempDir()
    let path = dir.file("l.sqlite")
    try #require(try cli(["init", "--ledger", path, "--site", "north"]).status == 0)
    let r = try cli(["append", "--ledger", path], stdin: [enrol("P001"), implant("P001", at: "2025-02-01T09:00:00Z")].joined(separator: "\n") + "\n")
    try #require(r.status == 0, "\(r)")
    return (dir, path)
}

/// Help that fits the mistake, one exit-status scheme, and output that says what happened.
@Suite struct CLIMessageTests {
    @Test(arguments: [
        (["status", "--patient", "P001", "--as-of", "yesterday"], "status"),
        (["timeline", "--patient", "P001", "--known-at", "soon"], "timeline"),
        (["worklist", "--as-of", "2025-13-01"], "worklist"),
        (["export", "nosuch", "--out", "x.csv"], "export"),
        (["export", "doses", "--out", "x.csv", "--from", "2025-03-01", "--to", "2025-02-01"], "export"),
        (["export", "doses", "--out", "x.csv", "--pseudonymize", "SHORTKEY"], "export"),
        (["export", "doses", "--out", "x.csv", "--as-of", "later"], "export"),
        (["generate", "--out", "g", "--start", "2025-02-30"], "generate"),
        (["generate", "--out", "g", "--patients", "0"], "generate"),
        (["worklist", "--within", "-5"], "worklist"),
        (["sync", "export", "--out", "b", "--since", "c", "--peer", "south"], "sync export"),
        (["init", "--site", "North"], "init"),
        (["demo", "--sites", "9"], "demo"),
    ])
    func aSubcommandsOwnCheckShowsItsOwnUsage(_ arguments: [String], _ command: String) throws {
        let l = try cliLedger()
        let key = l.dir.write("short.key", "0123456789")
        let args = arguments.map { $0 == "SHORTKEY" ? key : $0 }
        let r = try cli(["--ledger", l.path] + args)
        #expect(r.status == 64, "\(r)")
        #expect(r.stderr.contains("Usage: therapy-ledger \(command) "), "\(r)")
        #expect(!r.stderr.contains("<subcommand>"), "the top-level usage was shown: \(r)")
        #expect(!FileManager.default.fileExists(atPath: "x.csv"))
    }

    @Test(arguments: ["-5", "0", "abc", "4000"])
    func worklistWithinMustBeAPositiveNumber(_ value: String) throws {
        let l = try cliLedger()
        let r = try cli(["worklist", "--ledger", l.path, "--within", value])
        #expect(r.status == 64, "\(r)")
        #expect(r.stderr.contains("--within \(value): must be a positive number of days"), "\(r)")
        #expect(!r.stderr.contains("Missing value"), "\(r)")
        #expect(try cli(["worklist", "--ledger", l.path, "--within", "0.5"]).status == 0)
    }

    @Test func helpOfAnUnknownCommandFails() throws {
        let r = try cli(["help", "nosuch"])
        #expect(r.status == 64, "\(r)")
        #expect(r.stderr.contains("unknown command 'nosuch'"), "\(r)")
        let nested = try cli(["help", "sync", "nosuch"])
        #expect(nested.status == 64 && nested.stderr.contains("unknown command 'sync nosuch'"), "\(nested)")
        #expect(try cli(["help", "sync", "export"]).status == 0)
        #expect(try cli(["help"]).status == 0)
        // The scheme is in the help.
        let top = try cli(["help"]).stdout.replacingOccurrences(of: "\n", with: " ")
        #expect(top.contains("Exit status: 0") && top.contains("64 usage"), "\(top)")
    }

    @Test func exitStatusesFollowOneScheme() throws {
        let l = try cliLedger()
        // data: an unknown patient, in every command that names one
        for args in [["status", "--patient", "NOPE"], ["timeline", "--patient", "NOPE"], ["export", "doses", "--out", l.dir.file("n.csv"), "--patient", "NOPE"]] {
            let r = try cli(args + ["--ledger", l.path])
            #expect(r.status == 1, "\(args): \(r)")
            #expect(r.stderr.contains("unknown patient NOPE"), "\(r)")
        }
        // data: an invalid batch, a missing input file, a ledger that is not there
        #expect(try cli(["append", "--ledger", l.path], stdin: dose("NOPE") + "\n").status == 1)
        #expect(try cli(["append", "--ledger", l.path, l.dir.file("missing.jsonl")]).status == 1)
        #expect(try cli(["status", "--ledger", l.dir.file("none.sqlite"), "--patient", "P001"]).status == 1)
        // usage: an unknown export kind names the closest
        let kind = try cli(["export", "dose", "--ledger", l.path, "--out", l.dir.file("d.csv")])
        #expect(kind.status == 64 && kind.stderr.contains("did you mean doses?"), "\(kind)")
        // usage: an unknown command or option
        #expect(try cli(["nosuch"]).status == 64)
        #expect(try cli(["status", "--ledger", l.path, "--patient", "P001", "--bogus"]).status == 64)
        // integrity: verify finds a problem
        try #require(try sqlite(l.path, dropTriggersSQL + "UPDATE events SET daily_dose_mcg = 999 WHERE seq = 2;").status == 0)
        let v = try cli(["verify", "--ledger", l.path])
        #expect(v.status == 2, "\(v)")
    }

    @Test func verifyAgainstSaysHowManyHeadsItChecked() throws {
        let l = try cliLedger()
        let heads = l.dir.file("heads.json")
        #expect(try cli(["verify", "--ledger", l.path, "--heads", heads]).stdout.contains("signed heads of 1 site written"))
        let r = try cli(["verify", "--ledger", l.path, "--against", heads])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("ok: the ledger still extends the 1 signed head kept in \(heads) (north:2)"), "\(r)")
        let plain = try cli(["verify", "--ledger", l.path])
        #expect(!plain.stdout.contains("signed head"), "\(plain)")
    }

    @Test func timelineSaysWhenThereWereNoEventsThen() throws {
        let l = try cliLedger()
        let known = try cli(["timeline", "--ledger", l.path, "--patient", "P001", "--known-at", "2000-01-01"])
        #expect(known.status == 0)
        #expect(known.stdout == "no events of patient P001 were known at 2000-01-01T00:00:00Z: the first was recorded later\n", "\(known)")
        let asOf = try cli(["timeline", "--ledger", l.path, "--patient", "P001", "--as-of", "2000-01-01"])
        #expect(asOf.stdout == "no events of patient P001 had occurred by 2000-01-01T00:00:00Z\n", "\(asOf)")
        // JSON output stays JSON Lines (empty); the note goes to standard error.
        let json = try cli(["timeline", "--ledger", l.path, "--patient", "P001", "--as-of", "2000-01-01", "--json"])
        #expect(json.stdout.isEmpty && json.stderr.contains("no events of patient P001"), "\(json)")
    }

    @Test func exportSaysWhatItWroteOnStandardError() throws {
        let l = try cliLedger()
        let out = l.dir.file("doses.csv")
        let r = try cli(["export", "doses", "--ledger", l.path, "--out", out])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "exported 1 row of doses (1 patient) to \(out)\n", "\(r)")
        let toStdout = try cli(["export", "patients", "--ledger", l.path, "--out", "-"])
        #expect(toStdout.stdout.hasPrefix("patient,"), "\(toStdout)")
        #expect(toStdout.stderr == "exported 1 row of patients (1 patient) to standard output\n", "\(toStdout)")
    }

    @Test func countsAgreeWithTheirNouns() throws {
        let l = try cliLedger()
        // One patient with an open alert (a large first step within 24 h of implant)
        let step = try cli(["append", "--ledger", l.path], stdin: dose("P001", at: "2025-02-01T10:00:00Z", mcg: 200) + "\n")
        try #require(step.status == 0, "\(step)")
        let w = try cli(["worklist", "--ledger", l.path, "--as-of", "2025-02-02"])
        #expect(w.stdout.hasSuffix("\n1 patient needs attention\n"), "\(w)")
        let none = try cli(["worklist", "--ledger", l.path, "--as-of", "2025-01-02"])
        #expect(none.stdout.hasSuffix("0 patients need attention\n"), "\(none)")
        // A bundle of one event
        let other = l.dir.file("b.sqlite")
        try #require(try cli(["init", "--ledger", other, "--site", "south"]).status == 0)
        let clock = l.dir.write("clock.json", #"{"north":2}"#)
        let b = try cli(["sync", "export", "--ledger", l.path, "--since", clock, "--out", l.dir.file("one.bundle")])
        #expect(b.stdout.hasPrefix("wrote 1 event ("), "\(b)")
        let v = try cli(["verify", "--ledger", l.path])
        #expect(v.stdout == "ok: 3 events from 1 site verified\n", "\(v)")
    }

    /// Every count printed from a literal in the CLI goes through ``Plural`` or names a fixed plural noun.
    @Test func noHandWrittenPluralsInTheCLI() throws {
        let dir = rootPath("Sources/TherapyLedgerCLI")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".swift") }
        // `\(n) events` with a bare count and a plural noun: "1 events" for n == 1.
        let bare = try NSRegularExpression(pattern: #"\\\([A-Za-z_.]*(count|events|rows|patients|bundles|batches|moves|conflicts|problems|sites|heads|seen|duplicates)[A-Za-z_.]*\) (events|rows|patients|bundles|batches|conflicts|problems|sites|heads|times|bytes)\b"#)
        var found: [String] = []
        for f in files {
            let text = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
            for m in bare.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let r = Range(m.range, in: text) { found.append("\(f): \(text[r])") }
            }
        }
        #expect(found.isEmpty, "counts without Plural.count: \(found)")
    }
}
