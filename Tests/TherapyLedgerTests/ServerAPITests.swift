import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerServer
@testable import TherapyLedgerStore

/// The site server's API on a real server (127.0.0.1, ephemeral port), driven over HTTP.
@Suite struct ServerAPITests {
    static let asOf = "2025-10-01T12:00:00Z"

    static func clinic(exportKey: Bool = true, maxBody: Int? = nil) async throws -> TestServer {
        let site = try SyncSite("north", index: 1)
        try site.append([enrol("P001"), implant("P001"), dose("P001"), enrol("P002")])
        var o = SiteServerOptions()
        if exportKey { o.exportKey = Array(repeating: 7, count: 32) }
        if let maxBody { o.maxBodyBytes = maxBody }
        return try await TestServer(site, options: o)
    }

    /// One request per row of the role table.
    static let rows: [(name: String, method: HTTPMethod, path: String, allowed: Set<UserRole>)] = [
        ("POST /events", .POST, "/api/v1/events", [.clinician]),
        ("GET status", .GET, "/api/v1/patients/P001/status", [.clinician, .auditor]),
        ("GET timeline", .GET, "/api/v1/patients/P001/timeline", [.clinician, .auditor]),
        ("GET worklist", .GET, "/api/v1/worklist?within=30", [.clinician, .auditor]),
        ("GET export", .GET, "/api/v1/exports/doses.csv", [.clinician, .auditor, .analyst]),
        ("GET verify", .GET, "/api/v1/verify", [.auditor, .admin]),
        ("GET access-log", .GET, "/api/v1/access-log", [.auditor, .admin]),
    ]

    @Test func everyRowOfTheRoleTableAllowedAndRefused() async throws {
        let server = try await Self.clinic()
        var minute = 0
        for row in Self.rows {
            for role in UserRole.allCases {
                minute += 1
                let body: [UInt8]? = row.method == .POST ? ndjson([assessment("P001", at: syncTime(minute))]) : nil
                let a = try await server.call(row.method, row.path, as: role.rawValue, body: body)
                if row.allowed.contains(role) {
                    #expect(a.status == 200, "\(row.name) as \(role): \(a)")
                } else {
                    expectProblem(a, 403, ["the role \(role.rawValue) may not"])
                }
            }
            let anonymous = try await server.call(row.method, row.path, body: row.method == .POST ? ndjson([assessment("P001")]) : nil)
            expectProblem(anonymous, 401, ["Authorization: Bearer"])
        }
        let health = try await server.call(.GET, "/api/v1/health")
        #expect(health.status == 200 && health.json["status"]?.stringValue == "ok", "\(health)")
        try await server.stop()
    }

    @Test func answersAreTheCLIBytes() async throws {
        try requireCLI()
        let server = try await Self.clinic()
        let ledger = server.site.path
        for (path, args) in [
            ("/api/v1/patients/P001/status?asOf=\(Self.asOf)", ["status", "--patient", "P001", "--as-of", Self.asOf, "--json"]),
            ("/api/v1/patients/P001/timeline?asOf=\(Self.asOf)&knownAt=\(Self.asOf)", ["timeline", "--patient", "P001", "--as-of", Self.asOf, "--known-at", Self.asOf, "--json"]),
            ("/api/v1/worklist?within=400&asOf=\(Self.asOf)", ["worklist", "--within", "400", "--as-of", Self.asOf, "--json"]),
            ("/api/v1/exports/doses.csv?asOf=\(Self.asOf)", ["export", "doses", "--out", "-", "--as-of", Self.asOf]),
            ("/api/v1/exports/patients.csv?asOf=\(Self.asOf)&patient=P001", ["export", "patients", "--out", "-", "--as-of", Self.asOf, "--patient", "P001"]),
        ] {
            let a = try await server.call(.GET, path, as: "clinician")
            let c = try cli(["--ledger", ledger] + args)
            #expect(a.status == 200, "\(a)")
            #expect(c.status == 0, "\(c)")
            #expect(a.text == c.stdout, "\(path) differs from `\(args.joined(separator: " "))`")
            #expect(!a.body.isEmpty)
        }
        // An analyst gets the pseudonymized form with the server's key, never the identifiers.
        let key = server.site.dir.write("key", String(repeating: "\u{07}", count: 32))
        let pseudo = try await server.call(.GET, "/api/v1/exports/patients.csv?asOf=\(Self.asOf)", as: "analyst")
        let c = try cli(["--ledger", ledger, "export", "patients", "--out", "-", "--as-of", Self.asOf, "--pseudonymize", key])
        #expect(pseudo.status == 200 && pseudo.text == c.stdout, "\(pseudo)")
        #expect(!pseudo.text.contains("P001") && !pseudo.text.contains("P002"))
        try await server.stop()
    }

    @Test func analystExportWithoutAKeyIsRefused() async throws {
        let server = try await Self.clinic(exportKey: false)
        expectProblem(try await server.call(.GET, "/api/v1/exports/doses.csv", as: "analyst"), 403, ["--export-key"])
        #expect(try await server.call(.GET, "/api/v1/exports/doses.csv", as: "clinician").status == 200)
        try await server.stop()
    }

    @Test func problemsSayWhatAndWhereWithTheCLITexts() async throws {
        let server = try await Self.clinic(maxBody: 4096)
        expectProblem(try await server.call(.GET, "/api/v1/worklist", as: "not-a-token"), 401, ["not valid"])
        expectProblem(try await server.call(.GET, "/api/v1/patients/P404/status", as: "clinician"), 404, [LedgerStore.unknownPatientMessage("P404")])
        expectProblem(try await server.call(.GET, "/api/v1/patients/P404/timeline", as: "auditor"), 404, ["unknown patient P404"])
        expectProblem(try await server.call(.GET, "/api/v1/exports/doses.csv?patient=P404", as: "clinician"), 404, ["unknown patient P404"])
        expectProblem(try await server.call(.GET, "/api/v1/exports/nothing.csv", as: "clinician"), 404, ["unknown export kind"])
        expectProblem(try await server.call(.GET, "/api/v1/no-such", as: "clinician"), 404, ["no endpoint"])
        let big = ndjson(Array(repeating: assessment("P001"), count: 40))
        expectProblem(try await server.call(.POST, "/api/v1/events", as: "clinician", body: big), 413, ["4096 bytes"])
        expectProblem(try await server.call(.GET, "/api/v1/patients/P001/status?asOf=yesterday", as: "clinician"), 422, ["asOf yesterday"])
        expectProblem(try await server.call(.GET, "/api/v1/worklist?within=-1", as: "clinician"), 422, ["within -1"])
        // A refused batch: every error with its line and field, the CLI's texts, nothing written.
        let before = try server.site.store.eventCount()
        let bad = ndjson([assessment("P001"), #"{"type":"dose.programmed","patient":"P001","occurredAt":"2025-03-05T09:00:00Z","author":"dr-a","data":{}}"#, enrol("P777", at: "not a time")])
        let a = try await server.call(.POST, "/api/v1/events", as: "clinician", body: bad)
        expectProblem(a, 422, ["batch rejected, nothing written"])
        let errors = a.json["errors"]?.arrayValue ?? []
        #expect(Set(errors.compactMap { $0["line"]?.numberValue }) == [2, 3], "\(a)")
        #expect(errors.allSatisfy { $0["field"]?.stringValue != nil && !($0["message"]?.stringValue ?? "").isEmpty })
        let cliRejection = try cli(["--ledger", server.site.path, "append", "-"], stdin: String(decoding: bad, as: UTF8.self))
        for e in errors { #expect(cliRejection.stderr.contains(e["message"]?.stringValue ?? "?"), "\(cliRejection)") }
        #expect(try server.site.store.eventCount() == before)
        try await server.stop()
    }

    @Test func eventsAreAttributedAndEveryPatientAccessIsLogged() async throws {
        let server = try await Self.clinic()
        let post = try await server.call(.POST, "/api/v1/events", as: "clinician",
                                         body: ndjson([assessment("P001", id: id(900)), assessment("P001", id: id(900))]))
        #expect(post.status == 200, "\(post)")
        let outcomes = post.json["outcomes"]?.arrayValue ?? []
        #expect(outcomes.count == 2 && outcomes[0]["seq"]?.numberValue == 5 && outcomes[1]["duplicate"] == .bool(true), "\(post)")
        let recorded = try server.site.store.recordedEvents(patient: "P001").first { $0.id == id(900) }
        #expect(recorded?.recordedBy == "clinician")
        #expect(recorded?.author == "dr.test")
        let canonical = String(decoding: recorded?.canonical ?? [], as: UTF8.self)
        #expect(canonical.contains(#""format":2"#) && canonical.contains(#""recordedBy":"clinician""#))
        #expect(try server.site.store.verify().isOK)
        _ = try await server.call(.GET, "/api/v1/patients/P001/status", as: "auditor")
        _ = try await server.call(.GET, "/api/v1/patients/P002/timeline", as: "clinician")
        _ = try await server.call(.GET, "/api/v1/patients/P001/status", as: "analyst")
        _ = try await server.call(.GET, "/api/v1/patients/P001/status")
        let log = try server.site.store.accessLog()
        let summary = log.map { "\($0.user ?? "-") \($0.action) \($0.patient ?? "-") \($0.outcome)" }
        #expect(summary == ["clinician append P001 200", "auditor status P001 200", "clinician timeline P002 200", "analyst status P001 403", "- status P001 401"], "\(summary)")
        #expect(log.allSatisfy { $0.remote == "127.0.0.1" })
        let viaAPI = try await server.call(.GET, "/api/v1/access-log?patient=P001&user=auditor", as: "admin")
        #expect(viaAPI.text == String(decoding: log.filter { $0.user == "auditor" }.flatMap(\.jsonLine), as: UTF8.self), "\(viaAPI)")
        // The access log is covered by verify: an edited entry is found.
        #expect(try server.site.store.verify().isOK)
        try await server.stop()
        _ = try sqlite(server.site.path, dropTriggersSQL + "DROP TRIGGER access_log_append_only_update; UPDATE access_log SET entry = CAST(replace(CAST(entry AS TEXT), 'P002', 'P003') AS BLOB) WHERE rowid = 3;")
        let problems = try server.site.store.verify().problems.map(\.description)
        #expect(problems.contains { $0.contains("access log entry 3") }, "\(problems)")
    }

    @Test func usersAddedAndRevokedTakeEffectAtOnce() async throws {
        let server = try await Self.clinic()
        #expect(try await server.call(.GET, "/api/v1/worklist", as: "clinician").status == 200)
        try server.site.store.revokeUser(name: "clinician", by: "test-admin")
        expectProblem(try await server.call(.GET, "/api/v1/worklist", as: "clinician"), 401, ["revoked"])
        let token = try server.site.store.addUser(name: "nurse.joy", role: .clinician, by: "test-admin")
        server.tokens["nurse.joy"] = token
        #expect(try await server.call(.GET, "/api/v1/worklist", as: "nurse.joy").status == 200)
        let users = try server.site.store.users()
        #expect(users.first { $0.name == "clinician" }?.revokedBy == "test-admin")
        #expect(users.first { $0.name == "nurse.joy" }?.createdBy == "test-admin")
        #expect(users.allSatisfy { $0.tokenSHA256.count == 64 && $0.tokenSHA256 != token })
        try await server.stop()
    }

    @Test func failedAuthenticationsAreRateLimitedPerAddress() async throws {
        let server = try await Self.clinic()
        for _ in 0..<Authenticator.maxFailures {
            expectProblem(try await server.call(.GET, "/api/v1/worklist", as: "guess"), 401)
        }
        let limited = try await server.call(.GET, "/api/v1/worklist", as: "clinician")
        expectProblem(limited, 429, ["too many failed authentications"])
        #expect(limited.headers.first(name: "Retry-After") != nil)
        try await server.stop()
    }

    @Test func gracefulShutdownFinishesTheBatchInFlight() async throws {
        let server = try await Self.clinic()
        let before = try server.site.store.eventCount()
        let lines = (0..<3000).map { assessment("P001", at: syncTime($0 + 10), penn: $0 % 4) }
        let url = server.base + "/api/v1/events"
        let token = server.tokens["clinician"] ?? ""
        let batch = Task { try await httpCall(.POST, url, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/x-ndjson")], body: ndjson(lines)) }
        try await Task.sleep(for: .milliseconds(30))
        try await server.stop()
        let answer = try? await batch.value
        let after = try server.site.store.eventCount()
        if let answer, answer.status == 200 {
            #expect(after - before == 3000)
        } else {
            #expect(after == before, "a batch was half-written: \(after - before) events")
        }
        #expect(try server.site.store.verify().isOK)
        // Stopped means stopped: nothing listens any more.
        await #expect(throws: (any Error).self) { try await httpCall(.GET, url, timeout: .seconds(2)) }
    }

    @Test func nonLoopbackWithoutTLSIsRefused() throws {
        var o = SiteServerOptions()
        try o.setListen("192.0.2.10:8750")  // TEST-NET-1: refused before any bind
        #expect(throws: SiteServerError.self) { try o.validate() }
        o.insecure = true
        try o.validate()
        o.insecure = false
        o.tlsCertificate = "c.pem"
        #expect(throws: SiteServerError.self) { try o.validate() }
        o.tlsKey = "k.pem"
        try o.validate()
    }
}

/// schemas/openapi.yaml against the server: a valid document naming exactly the server's operations, every
/// template the router answers, and the problem shape the tests check on every error.
@Suite struct ServerOpenAPITests {
    @Test func theOpenAPIDocumentIsValidAndListsEveryRoute() throws {
        let dir = TempDir()
        let routes = dir.write("routes.txt", Route.operations.joined(separator: "\n") + "\n")
        let r = try run("/usr/bin/env", ["python3", rootPath("scripts/check_openapi.py"), "--routes", routes])
        if r.stderr.contains("No module named") { throw TestFailure("pip install openapi-spec-validator pyyaml: \(r.stderr)") }
        #expect(r.status == 0, "\(r)")
        // Each operation is routed to its endpoint (not to "no endpoint").
        for op in Route.operations {
            let parts = op.split(separator: " ")
            let path = "/api/v1" + parts[1].replacingOccurrences(of: "{id}", with: "P1").replacingOccurrences(of: "{kind}", with: "doses")
            let route = Route(method: parts[0] == "GET" ? .get : .post, path: path)
            #expect(route.kind != .notFound, "\(op)")
            #expect("/api/v1" + parts[1] == route.template, "\(op) -> \(route.template)")
        }
    }
}
