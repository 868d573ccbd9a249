import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerExport
@testable import TherapyLedgerSimulation
@testable import TherapyLedgerStore

/// The enum columns of schemas/csv/KIND.json: name, allowed values, nullable.
private func enumColumns(_ kind: ExportKind) throws -> [(name: String, allowed: [String], nullable: Bool)] {
    let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: rootPath("schemas/csv/\(kind.rawValue).json"))))
    guard case .array(let columns)? = try JSONParser.parse(bytes)["columns"] else { throw TestFailure("no columns in \(kind.rawValue).json") }
    return columns.filter { $0["type"]?.stringValue == "enum" }.map { c in
        var allowed: [String] = []
        if case .array(let values)? = c["allowedValues"] { allowed = values.compactMap(\.stringValue) }
        return (c["name"]?.stringValue ?? "?", allowed, c["nullable"] == .bool(true))
    }
}

@Suite struct CSVDictionaryTests {
    @Test func everyEnumColumnListsItsValuesAsItsSourceDefinesThem() throws {
        let r = try run("/usr/bin/env", ["python3", rootPath("scripts/csv_allowed_values.py")])
        #expect(r.status == 0, "\(r)")
        for kind in ExportKind.allCases {
            for c in try enumColumns(kind) {
                #expect(!c.allowed.isEmpty, "\(kind.rawValue).\(c.name) lists no allowedValues")
            }
        }
        // The two lists the Swift code owns agree with it.
        let timeline = try enumColumns(.timeline).first { $0.name == "type" }
        #expect(timeline?.allowed == EventType.allCases.map(\.rawValue))
        let category = try enumColumns(.adverseEvents).first { $0.name == "category" }
        #expect(category?.allowed == DataValidator.adverseEventCategories)
    }

    @Test func generatedExportsStayWithinTheAllowedValues() throws {
        // Given a generated network (fixed start: the same events every day)
        let dir = TempDir(inMemory: true)
        let parameters = SimulationParameters(patients: 40, sites: 2, years: 1.5, seed: 5, start: Timestamp.parse("2024-03-01T00:00:00Z")!, moveRatePerYear: 0.3)
        let run = try NetworkRun.play(parameters, in: dir.path, keepBundles: false)
        let store = try #require(run.stores[parameters.siteNames[0]])
        var seen: [String: Set<String>] = [:]
        for kind in ExportKind.allCases {
            // When every kind is exported
            let path = dir.file("\(kind.rawValue).csv")
            try Exporter(store: store).export(ExportOptions(kind: kind, asOf: parameters.end), to: path, progress: false)
            let rows = try pythonParse(path)
            let header = try #require(rows.first)
            // Then every enum column's values are within its list (empty only when nullable)
            for c in try enumColumns(kind) {
                let index = try #require(header.firstIndex(of: c.name), "\(kind.rawValue) has no column \(c.name)")
                for row in rows.dropFirst() {
                    let v = row[index]
                    if v.isEmpty {
                        #expect(c.nullable, "\(kind.rawValue).\(c.name) is empty but not nullable")
                    } else {
                        #expect(c.allowed.contains(v), "\(kind.rawValue).\(c.name) holds \(v), not in its allowedValues \(c.allowed)")
                        seen["\(kind.rawValue).\(c.name)", default: []].insert(v)
                    }
                }
            }
        }
        // And the export really exercised the columns (a test that cannot pass on empty files).
        #expect((seen["timeline.type"]?.count ?? 0) >= 6, "\(seen)")
        #expect((seen["alerts.code"]?.count ?? 0) >= 2, "\(seen)")
        #expect(seen["patients.origin"] == ["spinal", "cerebral"], "\(seen)")
    }
}
