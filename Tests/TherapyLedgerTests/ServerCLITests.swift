import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerServer
@testable import TherapyLedgerStore

/// The server's commands: `serve`, `users`, `access-log`, `sync push`/`pull`, `sites --key`/`--pin`.
@Suite struct ServerCLITests {
    func newLedger(_ dir: TempDir, site: String = "north") throws -> String {
        let path = dir.file("\(site).sqlite")
        let r = try cli(["--ledger", path, "init", "--site", site, "--network", "clinics"])
        guard r.status == 0 else { throw TestFailure("init failed: \(r)") }
        return path
    }

    @Test func usersAddPrintsTheTokenAloneOnTheLastLineAndChangesAreAttributed() throws {
        let dir = TempDir()
        let ledger = try newLedger(dir)
        let add = try cli(["--ledger", ledger, "users", "add", "alice", "--role", "clinician"])
        #expect(add.status == 0, "\(add)")
        let last = add.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("tl_") && last.count == 67 && last.dropFirst(3).allSatisfy(\.isHexDigit), "\(add)")
        let store = try LedgerStore.open(at: ledger)
        #expect(try store.users().first?.tokenSHA256 == LedgerStore.tokenDigest(last))
        #expect(try sqliteValue(ledger, "SELECT count(*) FROM users_log WHERE token_sha256 LIKE '%\(last)%'") == "0")
        let bad = try cli(["--ledger", ledger, "users", "add", "bob", "--role", "boss"])
        #expect(bad.status == 64 && bad.stderr.contains("clinician, auditor, analyst, admin"), "\(bad)")
        #expect(try cli(["--ledger", ledger, "users", "add", "alice", "--role", "auditor"]).status != 0)
        #expect(try cli(["--ledger", ledger, "users", "revoke", "alice"]).status == 0)
        let list = try cli(["--ledger", ledger, "users", "list"])
        #expect(list.stdout.contains("alice  clinician  added ") && list.stdout.contains("  REVOKED "), "\(list)")
        let by = OSUserName.current
        #expect(list.stdout.components(separatedBy: " by \(by)").count == 3, "\(list)")
        // Append-only below the CLI too.
        let edit = try sqlite(ledger, "UPDATE users_log SET role = 'admin'")
        #expect(edit.status != 0 && edit.output.contains("append-only"), "\(edit)")
    }

    @Test func aCLIAppendStampsTheOperatingSystemUser() throws {
        let dir = TempDir()
        let ledger = try newLedger(dir)
        #expect(try cli(["--ledger", ledger, "append", "-"], stdin: enrol("P001") + "\n").status == 0)
        let log = try cli(["--ledger", ledger, "log", "--json"])
        #expect(log.stdout.contains(#""format":2"#) && log.stdout.contains(#""recordedBy":"\#(OSUserName.current)""#), "\(log)")
        #expect(try cli(["--ledger", ledger, "verify"]).status == 0)
    }

    @Test func serveSaysWhereItListensAndStopsCleanlyOnSIGTERM() async throws {
        try requireCLI()
        let dir = TempDir()
        let ledger = try newLedger(dir)
        let refused = try cli(["--ledger", ledger, "serve", "--listen", "192.0.2.10:8750"])  // refused before any bind
        #expect(refused.status == 64 && refused.stderr.contains("without TLS"), "\(refused)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: cliPath)
        p.arguments = ["--ledger", ledger, "serve", "--listen", "127.0.0.1:0"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var text = ""
        for _ in 0..<200 where !text.contains("\n") {
            text += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        }
        let url = text.split(separator: " ").first { $0.hasPrefix("http://") }.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        #expect(url.hasPrefix("http://127.0.0.1:") && url.hasSuffix("/api/v1"), "\(text)")
        let health = try await httpCall(.GET, url + "/health")
        #expect(health.status == 200, "\(health)")
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let rest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains("stopped"), "\(rest)")
    }

    @Test func syncPushAndPullFromTheCommandLine() async throws {
        let north = try SyncSite("north", index: 1), south = try SyncSite("south", index: 2)
        // Pinning through the CLI, with the keys `sites --key` prints.
        let northKey = try cli(["--ledger", north.path, "sites", "--key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let southKey = try cli(["--ledger", south.path, "sites", "--key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(northKey == (try north.store.publicKeyHex))
        #expect(try cli(["--ledger", south.path, "sites", "--pin", "north=\(northKey)"]).status == 0)
        #expect(try cli(["--ledger", north.path, "sites", "--pin", "south=\(southKey)"]).status == 0)
        try north.append([enrol("P001")])
        try south.append([enrol("P002"), implant("P002")])
        let server = try await TestServer(south, users: false)
        let push = try cli(["--ledger", north.path, "sync", "push", server.base])
        #expect(push.status == 0 && push.stdout.contains("pushed to south") && push.stdout.contains("1 new event"), "\(push)")
        let pull = try cli(["--ledger", north.path, "sync", "pull", server.base])
        #expect(pull.status == 0 && pull.stdout.contains("pulled from south") && pull.stdout.contains("2 new events"), "\(pull)")
        #expect(try sortedLines(north.store) == sortedLines(south.store))
        let sites = try cli(["--ledger", north.path, "sites"])
        #expect(sites.stdout.contains("peer \(server.base) (south)  last successful sync 20"), "\(sites)")
        #expect(try cli(["--ledger", north.path, "verify"]).status == 0)
        try await server.stop()
        let down = try cli(["--ledger", north.path, "sync", "pull", server.base])
        #expect(down.status == 1 && down.stderr.contains("cannot reach"), "\(down)")
    }

    @Test func accessLogCommandReadsWhatTheServerWrote() async throws {
        let site = try SyncSite("north", index: 1)
        try site.append([enrol("P001"), enrol("P002")])
        var o = SiteServerOptions()
        o.exportKey = Array(repeating: 1, count: 16)
        let server = try await TestServer(site, options: o)
        _ = try await server.call(.GET, "/api/v1/patients/P001/status", as: "clinician")
        _ = try await server.call(.GET, "/api/v1/patients/P002/timeline", as: "auditor")
        _ = try await server.call(.GET, "/api/v1/exports/patients.csv?patient=P002", as: "analyst")
        try await server.stop()
        let text = try cli(["--ledger", site.path, "access-log", "--patient", "P002"])
        #expect(text.stdout.contains("auditor (auditor)  timeline  P002") && text.stdout.contains("analyst (analyst)  export  P002")
                && !text.stdout.contains("P001"), "\(text)")
        let json = try cli(["--ledger", site.path, "access-log", "--user", "analyst", "--json"])
        #expect(json.stdout == String(decoding: try site.store.accessLog(user: "analyst").flatMap(\.jsonLine), as: UTF8.self))
        #expect(json.stdout.contains(#""detail":"patients?patient=P002 (pseudonymized)""#) && json.stdout.contains(#""patient":"P002""#), "\(json)")
        #expect(try cli(["--ledger", site.path, "verify"]).status == 0)
    }
}

/// The operating-system user the CLI stamps (as `OSUser` in the CLI computes it).
enum OSUserName {
    static var current: String {
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "uid-\(geteuid())"
    }
}
