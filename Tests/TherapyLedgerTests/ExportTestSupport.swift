import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerExport
@testable import TherapyLedgerStore

/// The hand-built export ledger and its expected files: replay/exports/.
let exportsDir = rootPath("replay/exports")

/// The as-of time of every golden export.
let exportGoldenAsOf = Timestamp.parse("2025-02-10T00:00:00Z")!

/// A fresh ledger holding replay/exports/events.jsonl (site clinic-a, recorded at ``testNow``).
func exportLedger(_ dir: TempDir) throws -> LedgerStore {
    let store = try LedgerStore.create(at: dir.file("ledger.sqlite"), site: "clinic-a", network: "net", environment: testEnvironment())
    let lines = try Array(Data(contentsOf: URL(fileURLWithPath: exportsDir + "/events.jsonl")))
    _ = try store.append(jsonLines: lines)
    return store
}

/// Exports through the library into a string (the bytes `--out -` would write).
func exportText(_ store: LedgerStore, _ options: ExportOptions) throws -> String {
    let exporter = Exporter(store: store)
    let order = try exporter.prepare(options)
    var bytes: [UInt8] = []
    _ = try exporter.stream(options, order: order) { bytes += $0 }
    return String(decoding: bytes, as: UTF8.self)
}

/// The golden options for a kind.
func goldenOptions(_ kind: ExportKind) -> ExportOptions {
    ExportOptions(kind: kind, asOf: exportGoldenAsOf)
}

/// Parses CSV with Python's csv module; returns the rows as JSON arrays of strings.
func pythonParse(_ path: String) throws -> [[String]] {
    let script = "import csv,json,sys\nwith open(sys.argv[1], newline='', encoding='utf-8') as f: print(json.dumps(list(csv.reader(f, strict=True))))"
    let r = try run("/usr/bin/env", ["python3", "-c", script, path])
    guard r.status == 0 else { throw TestFailure("python3 csv could not parse \(path): \(r)") }
    guard case .array(let rows) = try JSONParser.parse(r.stdout) else { throw TestFailure("python3 printed no array") }
    return rows.map { row in
        guard case .array(let fields) = row else { return [] }
        return fields.map { $0.stringValue ?? "?" }
    }
}

/// The column names of schemas/csv/KIND.json.
func schemaColumns(_ kind: ExportKind) throws -> [String] {
    let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: rootPath("schemas/csv/\(kind.rawValue).json"))))
    guard case .array(let columns)? = try JSONParser.parse(bytes)["columns"] else { throw TestFailure("schemas/csv/\(kind.rawValue).json has no columns array") }
    return columns.map { $0["name"]?.stringValue ?? "?" }
}
