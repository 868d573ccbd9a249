import Foundation
import GRDB
import NIOHTTP1
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerServer
@testable import TherapyLedgerStore

/// How the server reads and writes the ledger: a patient read authenticated in its own snapshot, the
/// write-ahead log checkpointed in the background.
@Suite struct ServerReadPathTests {
    /// A status or timeline read checks the users in the same snapshot it reads from: a revocation by another
    /// process on the same file (the CLI; here a second connection pool) stops the very next read.
    @Test func aRevocationByAnotherProcessStopsTheNextPatientRead() async throws {
        let server = try await ServerAPITests.clinic()
        #expect(try await server.call(.GET, "/api/v1/patients/P001/status", as: "clinician").status == 200)
        #expect(try await server.call(.GET, "/api/v1/patients/P001/timeline", as: "auditor").status == 200)
        let cli = try LedgerStore.open(at: server.site.path)
        try cli.revokeUser(name: "clinician", by: "cli-admin")
        try cli.revokeUser(name: "auditor", by: "cli-admin")
        expectProblem(try await server.call(.GET, "/api/v1/patients/P001/status", as: "clinician"), 401, ["revoked"])
        expectProblem(try await server.call(.GET, "/api/v1/patients/P001/timeline", as: "auditor"), 401, ["revoked"])
        server.tokens["nurse.joy"] = try cli.addUser(name: "nurse.joy", role: .auditor, by: "cli-admin")
        let status = try await server.call(.GET, "/api/v1/patients/P001/status?asOf=\(ServerAPITests.asOf)", as: "nurse.joy")
        #expect(status.status == 200, "\(status)")
        #expect(status.body == (try server.site.store.statusJSON(patient: "P001", asOf: Timestamp.parse(ServerAPITests.asOf))))
        // An unknown patient is still a 404, and a role without the right still a 403, after authentication.
        expectProblem(try await server.call(.GET, "/api/v1/patients/P404/status", as: "nurse.joy"), 404, ["unknown patient P404"])
        expectProblem(try await server.call(.GET, "/api/v1/patients/P001/status", as: "analyst"), 403)
        try await server.stop()
    }

    /// While serving, the writer does not checkpoint inside its commits; the server does, in the background, and
    /// once more after its last request, then hands the writer its automatic checkpoints back.
    @Test func theServerCheckpointsInTheBackgroundAndHandsCheckpointsBack() async throws {
        let server = try await ServerAPITests.clinic()
        let store = server.site.store
        let automaticPages = { try store.db.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") } }
        #expect(try automaticPages() == 0)
        let lines = (0..<200).map { assessment("P001", at: syncTime(1000 + $0), penn: $0 % 5) }
        let answer = try await server.call(.POST, "/api/v1/events", as: "clinician", body: ndjson(lines))
        #expect(answer.status == 200, "\(answer)")
        try await server.stop()
        #expect(try automaticPages() == 1000)
        let checkpoint = { try store.db.writeWithoutTransaction { try $0.checkpoint(.passive) } }
        let (logFrames, checkpointed) = try checkpoint()
        #expect(logFrames == checkpointed, "the last checkpoint copied the whole log into the file")
        #expect(try store.eventCount() == 204)
        #expect(try store.verify().isOK)
    }
}
