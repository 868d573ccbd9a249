import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

private let validFixtures = fixturePath("valid-submissions.jsonl")
private let invalidFixtures = fixturePath("invalid-submissions.jsonl")
private let invalidReasons = fixturePath("invalid-submissions.reasons.txt")

/// Fails with a clear message when a file the schema agreement needs is missing (never skips silently).
private func requireFiles(_ paths: String...) throws {
    for p in paths where !FileManager.default.fileExists(atPath: p) {
        throw TestFailure("\(p) is missing: the schema agreement tests need scripts/validate_schemas.py and the fixtures in Tests/Fixtures")
    }
}

@Suite struct SchemaAgreementTests {
    @Test func validFixturesMatchTheSubmissionSchema() throws {
        try requireFiles(validFixtures)
        let r = try validateSchemas(["submission.schema.json", validFixtures])
        #expect(r.status == 0, "\(r)")
    }

    @Test func invalidFixturesAreRejectedByTheSchemaForTheListedFields() throws {
        try requireFiles(invalidFixtures, invalidReasons)
        let r = try validateSchemas(["--expect-invalid", "submission.schema.json", invalidFixtures])
        #expect(r.status == 0, "\(r)")
        let withReasons = try validateSchemas(["--expect-invalid", "--reasons", invalidReasons, "submission.schema.json", invalidFixtures])
        #expect(withReasons.status == 0, "\(withReasons)")
    }

    @Test func swiftRejectsEveryInvalidFixtureNamingTheListedField() throws {
        try requireFiles(validFixtures, invalidFixtures, invalidReasons)
        let invalid = try fileLines(invalidFixtures)
        let reasons = try fileLines(invalidReasons).map { $0.trimmingCharacters(in: .whitespaces) }
        try #require(invalid.count == reasons.count, "\(invalid.count) invalid lines but \(reasons.count) reasons")
        // The invalid lines refer to the valid fixtures' patients and events: validate each against a
        // ledger holding them, alone and as line 3 of a batch.
        let ctx = try contextHolding(try fileLines(validFixtures))
        for (n, (line, field)) in zip(invalid, reasons).enumerated() {
            let alone = validateBatch([line], context: ctx)
            #expect(alone.entries == nil, "invalid fixture line \(n + 1) accepted: \(line)")
            #expect(alone.errors.contains { $0.line == 1 && $0.field == field },
                    "invalid fixture line \(n + 1): expected an error naming \(field), got \(alone.errors)")
            let inBatch = validateBatch([assessment("P001"), assessment("P002"), line], context: ctx)
            #expect(Set(inBatch.errors.map(\.line)) == [3], "invalid fixture line \(n + 1) in a batch: \(inBatch.errors)")
        }
    }

    @Test func recordedEventsMatchTheRecordedEventSchema() throws {
        try requireFiles(validFixtures)
        let l = try TestLedger()
        try l.append(try fileLines(validFixtures))
        // More recorded events of the kinds other tests produce.
        try l.append([enrol("T1"), implant("T1", reservoirMl: 40, fillMl: 35), dose("T1", mcg: 2999.5), assessment("T1", penn: 0)])
        try l.append(generatedBatch(patient: "T1", count: 5, tag: "gen").split(separator: "\n").map(String.init))
        let r = try cli(["log", "--ledger", l.path, "--json"])
        #expect(r.status == 0, "\(r)")
        let count = try l.count()
        #expect(r.stdout.split(separator: "\n").count == count)
        let dump = l.dir.write("log.jsonl", r.stdout)
        let v = try validateSchemas(["recorded-event.schema.json", dump])
        #expect(v.status == 0, "\(v)")
        #expect(v.stdout.contains("ok: \(count) documents valid"), "\(v)")
        // A recorded event is not a submission: the schema refuses it as one.
        let asSubmission = try validateSchemas(["--expect-invalid", "submission.schema.json", dump])
        #expect(asSubmission.status == 0, "\(asSubmission)")
    }
}
