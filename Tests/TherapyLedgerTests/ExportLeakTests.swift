import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerExport
@testable import TherapyLedgerStore

/// Issue 10, item 12: a pseudonymized export carries allow-listed fields only. An identifier is planted in every
/// free-text field of every event type (found in the schemas, so a field added later is covered too), in the
/// envelope's author and reason, and in the amended data of corrections; no export kind may show any of them.
@Suite struct ExportLeakTests {
    static let marker = "ZZLEAK"

    /// For each event type, its free-text data fields: strings with no enumeration and no format pattern
    /// (the `shortText` definition, or an own NUL-only pattern) in `schemas/data/TYPE.schema.json`.
    static func freeTextFields() throws -> [String: [String]] {
        let common = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: rootPath("schemas/common.schema.json")))))
        func isFreeText(_ p: JSONValue) -> Bool {
            var p = p
            if let ref = p["$ref"]?.stringValue, let name = ref.split(separator: "/").last, let def = common["$defs"]?[String(name)] { p = def }
            guard p["type"]?.stringValue == "string", p["enum"] == nil else { return false }
            let pattern = p["pattern"]?.stringValue
            return pattern == nil || pattern == "^[^\\u0000]*$"
        }
        var out: [String: [String]] = [:]
        for type in EventType.allCases {
            let schema = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: rootPath("schemas/data/\(type.rawValue).schema.json")))))
            guard case .object(let props)? = schema["properties"] else { continue }
            out[type.rawValue] = props.filter { isFreeText($0.value) }.map(\.key).sorted()
        }
        return out
    }

    /// The valid fixture with an identifier planted in every free-text field (optional ones added), and in
    /// every author and reason. Returns the lines and the (type, field) pairs planted.
    static func plantedLines() throws -> (lines: [String], planted: Set<String>) {
        let fields = try freeTextFields()
        var counter = 0
        func secret(_ field: String) -> String {
            counter += 1
            if field == "pumpModel" { return "SynchroMed II for John Doe \(marker)\(counter)" }
            return "John Doe \(marker)\(counter)"
        }
        var typeByID: [String: String] = [:]
        var planted = Set<String>()
        var lines: [String] = []
        for text in try fileLines(rootPath("Tests/Fixtures/valid-submissions.jsonl")) where !text.isEmpty {
            guard case .object(var o) = try JSONParser.parse(text), let type = o["type"]?.stringValue else { continue }
            if let id = o["id"]?.stringValue { typeByID[id] = type }
            o["author"] = .string("john.doe.\(marker)")
            o["reason"] = .string("asked by John Doe \(marker), phone 555-0100")
            var data = o["data"]?.objectValue ?? [:]
            for f in fields[type] ?? [] {
                data[f] = .string(secret(f))
                planted.insert("\(type).\(f)")
            }
            if type == EventType.eventCorrected.rawValue, data["action"]?.stringValue == "amend",
               let target = data["target"]?.stringValue, let targetType = typeByID[target], var amended = data["data"]?.objectValue {
                for f in fields[targetType] ?? [] {
                    amended[f] = .string(secret(f))
                    planted.insert("event.corrected(\(targetType)).\(f)")
                }
                data["data"] = .object(amended)
            }
            if type != EventType.pumpExplanted.rawValue || !data.isEmpty { o["data"] = .object(data) }
            lines.append(CanonicalJSON.string(.object(o)))
        }
        return (lines, planted)
    }

    @Test("the plant covers every free-text field of every event type")
    func coverage() throws {
        let fields = try Self.freeTextFields()
        let (_, planted) = try Self.plantedLines()
        for (type, names) in fields { for f in names { #expect(planted.contains("\(type).\(f)"), "\(type).\(f) is never planted") } }
        #expect(planted.contains("pump.implanted.pumpModel") && planted.contains("reservoir.refilled.lot") && planted.contains("adverse-event.reported.description"))
        #expect(planted.contains { $0.hasPrefix("event.corrected(") }, "no amend carries planted text")
    }

    @Test("no pseudonymized export shows a planted identifier", arguments: ExportKind.allCases)
    func noLeak(kind: ExportKind) throws {
        let l = try TestLedger()
        let (lines, _) = try Self.plantedLines()
        try l.append(lines)
        let store = try l.open()
        var options = ExportOptions(kind: kind, asOf: Timestamp.parse("2025-09-30T00:00:00Z"))
        options.pseudonymKey = Array("0123456789abcdef-export-test-key".utf8)
        let text = try exportText(store, options)
        #expect(text.split(separator: "\n").count > 1, "\(kind.rawValue) exported no rows")
        for secret in [Self.marker, "John Doe", "john.doe", "555-0100"] {
            #expect(!text.contains(secret), "\(kind.rawValue) leaks \(secret):\n\(text.split(separator: "\n").filter { $0.contains(secret) }.prefix(3).joined(separator: "\n"))")
        }
        if kind == .patients {
            // A known model is exported under its catalogue name.
            #expect(text.contains(",SynchroMed II,"))
        }
    }

    @Test("without pseudonyms the planted text does reach the exports (the plant is effective)")
    func plantIsVisibleInPlainExports() throws {
        let l = try TestLedger()
        try l.append(try Self.plantedLines().lines)
        let store = try l.open()
        var seen = false
        for kind in ExportKind.allCases {
            let text = try exportText(store, ExportOptions(kind: kind, asOf: Timestamp.parse("2025-09-30T00:00:00Z")))
            if text.contains(Self.marker) { seen = true }
        }
        #expect(seen)
    }

    @Test("the allow-list keeps enumerations, known models and numbers, and empties the rest")
    func allowList() {
        let data = json(#"{"pumpModel":"Prometra II s/n 42 (Jane Roe)","pumpSerial":"X1","reservoirMl":20,"drug":"Baclofen","catheterTip":"T10 Jane","origin":"spinal","novel":"Jane"}"#)
        let s = PseudonymizedFields.sanitize(data, key: nil)
        #expect(s["pumpModel"] == .string("Prometra"))
        #expect(s["pumpSerial"] == .string("") && s["catheterTip"] == .string("") && s["novel"] == .string(""))
        #expect(s["reservoirMl"] == .number(20) && s["origin"] == .string("spinal") && s["drug"] == .string("baclofen"))
        #expect(PseudonymizedFields.deviceModel("Acme 3000 for Jane Roe") == "")
    }
}
