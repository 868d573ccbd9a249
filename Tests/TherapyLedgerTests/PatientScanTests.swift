import Foundation
import Testing
import TherapyLedgerCore
import TherapyLedgerSimulation
@testable import TherapyLedgerStore

/// The parallel patient scan behind replay and exports: same answer as one cursor, in order, one
/// snapshot, and failures that stop it cleanly.
@Suite struct PatientScanTests {
    /// 600 patients (several work units per core), each enrolled with 1 to 4 assessments.
    static func ledger() throws -> TestLedger {
        let l = try TestLedger()
        var text = ""
        for n in 0..<600 {
            let patient = String(format: "S%04d", n)
            text += enrol(patient) + "\n" + generatedBatch(patient: patient, count: 1 + n % 4, tag: "dr-a")
        }
        _ = try l.open().append(jsonLines: Array(text.utf8))
        return l
    }

    struct Stop: Error {}

    func scan(_ store: LedgerStore, _ patients: [String]? = nil,
              transform: @escaping @Sendable (String, [ProjectionEvent]) throws -> (String, [String]) = { ($0, $1.map(\.id).sorted()) },
              consume: ((String, [String])) throws -> Void = { _ in }) throws -> [(String, [String])] {
        var out: [(String, [String])] = []
        try store.scanPatients(patients, withText: false, transform: transform, weight: { $0.1.count * 40 }) { result in
            try consume(result)
            out.append(result)
        }
        return out
    }

    @Test func everyPatientOnceInOrderWithTheSameEventsAsOneCursor() throws {
        let l = try Self.ledger()
        let store = try l.open()
        var expected: [(String, [String])] = []
        try store.forEachPatient { patient, events in expected.append((patient, events.map(\.id).sorted())) }
        let got = try scan(store)
        #expect(got.count == 600)
        #expect(got.map(\.0) == expected.map(\.0))
        #expect(got.map(\.1) == expected.map(\.1))
        #expect(got.reduce(0) { $0 + $1.1.count } == 600 + 1500)
    }

    @Test func aGivenOrderIsKept() throws {
        let l = try Self.ledger()
        let store = try l.open()
        var g = SeededRandom(seed: 5)
        var order = (0..<600).map { String(format: "S%04d", $0) }
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, g.int(0...i)) }
        let got = try scan(store, order)
        #expect(got.map(\.0) == order)
        #expect(got.allSatisfy { $0.1.count == 1 + (Int($0.0.dropFirst())! % 4) + 1 })
    }

    @Test func aFailingTransformFailsTheScanAndLeavesTheLedgerWritable() throws {
        let l = try Self.ledger()
        let store = try l.open()
        #expect(throws: Stop.self) {
            _ = try scan(store, transform: { patient, events in
                if patient == "S0450" { throw Stop() }
                return (patient, [])
            })
        }
        // Nothing is left locked: an append goes through at once.
        try l.append([assessment("S0001")])
        #expect(try scan(store).first { $0.0 == "S0001" }?.1.count == 1 + 2 + 1)
    }

    struct Failed: Error, Equatable { let patient: String }

    /// With several failing patients in different units, the error is always the first in patient order
    /// (what one cursor would report), after every result before it was consumed.
    @Test func theFirstFailureInPatientOrderIsReported() throws {
        let l = try Self.ledger()
        let store = try l.open()
        for _ in 0..<10 {
            var consumed: [String] = []
            let error = #expect(throws: Failed.self) {
                try store.scanPatients(nil, withText: false, transform: { patient, _ in
                    if patient == "S0130" || patient == "S0455" || patient == "S0590" { throw Failed(patient: patient) }
                    return patient
                }, weight: { _ in 1 }) { consumed.append($0) }
            }
            #expect(error == Failed(patient: "S0130"))
            #expect(consumed == (0..<130).map { String(format: "S%04d", $0) })
        }
    }

    @Test func aFailingConsumerStopsTheWorkers() throws {
        let l = try Self.ledger()
        let store = try l.open()
        var seen = 0
        #expect(throws: Stop.self) {
            _ = try scan(store, consume: { _ in
                seen += 1
                if seen == 3 { throw Stop() }
            })
        }
        #expect(seen == 3)
        try l.append([assessment("S0002")])
    }

    @Test func anAppendDuringTheScanIsNotSeenByIt() throws {
        let l = try Self.ledger()
        let store = try l.open()
        let other = try l.open()
        var appended = false
        let got = try scan(store, consume: { _ in
            guard !appended else { return }
            appended = true
            _ = try other.append(jsonLines: Array((assessment("S0599") + "\n" + assessment("S0000") + "\n").utf8))
        })
        #expect(appended)
        #expect(got.first { $0.0 == "S0599" }?.1.count == 1 + 599 % 4 + 1)
        #expect(got.first { $0.0 == "S0000" }?.1.count == 2)
        let after = try scan(store)
        #expect(after.first { $0.0 == "S0599" }?.1.count == 1 + 599 % 4 + 2)
    }

    /// A scan reads the ledger as it stood when it began: the events up to the largest rowid then, in
    /// ranges and in patient lists alike, whatever was appended since.
    @Test func onlyEventsUpToTheBoundAreRead() throws {
        let l = try Self.ledger()
        let store = try l.open()
        let before = try sqliteValue(l.path, "SELECT max(rowid) FROM events")
        try l.append([assessment("S0599"), assessment("S0000")])
        func id(at rowid: String) throws -> String { try sqliteValue(l.path, "SELECT id FROM events WHERE rowid = \(rowid)") }
        for units: [PatientScanUnit] in [[.range(lower: nil, upper: "S0300"), .range(lower: "S0300", upper: nil)], [.patients(["S0599", "S0000"])]] {
            var counts: [String: Int] = [:]
            try store.scan(units, upTo: .init(rowid: Int64(before)!, id: id(at: before)), withText: false, transform: { ($0, $1.count) }, weight: { _ in 1 }) { counts[$0.0] = $0.1 }
            #expect(counts["S0599"] == 1 + 599 % 4 + 1)
            #expect(counts["S0000"] == 2)
            try store.scan(units, upTo: .init(rowid: Int64(before)! + 2, id: id(at: "\(Int64(before)! + 2)")), withText: false, transform: { ($0, $1.count) }, weight: { _ in 1 }) { counts[$0.0] = $0.1 }
            #expect(counts["S0599"] == 1 + 599 % 4 + 2)
            #expect(counts["S0000"] == 3)
        }
    }

    /// A worker that opens a different file at the ledger's path (moved into place after the scan began)
    /// refuses to read it.
    @Test func aLedgerReplacedDuringTheScanIsRefused() throws {
        let l = try Self.ledger()
        let store = try l.open()
        let last = Int64(try sqliteValue(l.path, "SELECT max(rowid) FROM events"))!
        let error = #expect(throws: StoreError.self) {
            try store.scan([.range(lower: nil, upper: nil)], upTo: .init(rowid: last, id: "another-ledger's-event"), withText: false,
                           transform: { $1.count }, weight: { _ in 1 }) { _ in }
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("was replaced while it was being read"))
    }

    /// A ledger made before the covering index (schema v1) gets it when opened, and reads the same.
    @Test func aV1LedgerIsMigratedToTheCoveringIndex() throws {
        let l = try Self.ledger()
        let before = try scan(l.open())
        let undo = """
            DROP INDEX events_facts_by_patient; CREATE INDEX events_by_patient ON events (patient, occurred_at);
            DELETE FROM grdb_migrations WHERE identifier = 'v2';
            """
        #expect(try sqlite(l.path, undo).status == 0)
        #expect(try sqliteValue(l.path, "SELECT count(*) FROM sqlite_master WHERE name = 'events_facts_by_patient'") == "0")
        let store = try l.open()
        #expect(try sqliteValue(l.path, "SELECT group_concat(name) FROM sqlite_master WHERE name LIKE 'events_%by_patient'") == "events_facts_by_patient")
        let after = try scan(store)
        #expect(after.map(\.0) == before.map(\.0) && after.map(\.1) == before.map(\.1))
    }
}
