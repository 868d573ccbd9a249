import Foundation
import Testing
@testable import TherapyLedgerCore

extension JSONValue {
    /// The items of an array (tests only).
    var testArray: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}

/// A JSON file under schemas/.
private func schema(_ relative: String) throws -> JSONValue {
    guard let data = FileManager.default.contents(atPath: rootPath("schemas/" + relative)) else { throw TestFailure("cannot read schemas/\(relative)") }
    return try JSONParser.parse(Array(data))
}

/// The object holding a data schema's `properties` and `required` (pump.replaced refers to pump.implanted).
private func dataSchema(_ type: EventType) throws -> JSONValue {
    let s = try schema("data/\(type.rawValue).schema.json")
    if s["properties"] == nil, let ref = s["$ref"]?.stringValue { return try schema("data/" + ref) }
    return s
}

@Suite struct EventExampleTests {
    @Test func everyTypeHasAnExample() {
        for type in EventType.allCases {
            let e = EventExample.of(type)
            #expect(e != nil, "no example of \(type.rawValue): add one to EventExample")
            #expect(e.map { json($0.line)["type"]?.stringValue == type.rawValue } ?? false)
            #expect(e.map { json($0.line)["patient"]?.stringValue == EventExample.patient } ?? false)
        }
    }

    @Test func theExamplesFormOneValidBatchInAnEmptyLedger() throws {
        // Given every example, in the order of the types
        let lines = EventType.allCases.compactMap { EventExample.of($0)?.line }
        // When validated as one batch against an empty ledger (lines may refer to later lines)
        let outcome = validateBatch(lines, now: Timestamp.parse("2026-12-01T00:00:00Z")!)
        // Then all are accepted
        let entries = try #require(outcome.entries, "\(outcome.errors)")
        #expect(entries.count == lines.count)
        #expect(entries.allSatisfy { !$0.isDuplicate })
    }

    @Test func everyExampleValidatesAloneAfterTheWalkthroughTypes() throws {
        // Given a ledger holding the examples of the walkthrough's types
        let walkthrough: [EventType] = [.patientEnrolled, .trialPerformed, .pumpImplanted, .doseProgrammed, .reservoirRefilled, .adverseEventReported, .eventCorrected]
        let ctx = try contextHolding(walkthrough.compactMap { EventExample.of($0)?.line }, now: Timestamp.parse("2026-12-01T00:00:00Z")!)
        for type in EventType.allCases {
            let line = try #require(EventExample.of(type)?.line)
            // When one example is appended on its own
            let outcome = validateBatch([line], context: ctx, now: Timestamp.parse("2026-12-01T00:00:00Z")!)
            // Then it is accepted (as a duplicate when it is a walkthrough line)
            let entries = try #require(outcome.entries, "example \(type.rawValue) refused: \(outcome.errors)")
            #expect(entries[0].isDuplicate == walkthrough.contains(type))
        }
    }

    @Test func theExamplesMatchTheSubmissionSchema() throws {
        let dir = TempDir()
        let file = dir.write("examples.jsonl", EventType.allCases.compactMap { EventExample.of($0)?.line }.joined(separator: "\n") + "\n")
        let r = try validateSchemas(["submission.schema.json", file])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("ok: \(EventType.allCases.count) documents valid"), "\(r)")
    }

    @Test func fieldMeaningsAreTheSchemasDescriptions() throws {
        // The envelope: names, required and descriptions of submission.schema.json.
        let submission = try schema("submission.schema.json")
        let properties = try #require(submission["properties"]?.objectValue)
        let required = Set(submission["required"]?.testArray?.compactMap(\.stringValue) ?? [])
        #expect(Set(EventExample.envelope.map(\.name)) == Set(properties.keys))
        for f in EventExample.envelope {
            #expect(properties[f.name]?["description"]?.stringValue == f.meaning, "envelope \(f.name)")
            #expect(required.contains(f.name) == f.required, "envelope \(f.name) required")
        }
        // The type list is EventType's.
        #expect(properties["type"]?["enum"]?.testArray?.compactMap(\.stringValue) == EventType.allCases.map(\.rawValue))
        // Each type's data: the same fields, in the schema's order, with its descriptions, requirements and enums.
        for type in EventType.allCases {
            let e = try #require(EventExample.of(type))
            let file = try schema("data/\(type.rawValue).schema.json")
            #expect(file["description"]?.stringValue == e.about, "\(type.rawValue) description")
            let s = try dataSchema(type)
            let props = s["properties"]?.objectValue ?? [:]
            let req = Set(s["required"]?.testArray?.compactMap(\.stringValue) ?? [])
            #expect(Set(e.fields.map(\.name)) == Set(props.keys), "\(type.rawValue) fields")
            for f in e.fields {
                #expect(props[f.name]?["description"]?.stringValue == f.meaning, "\(type.rawValue).\(f.name) meaning")
                #expect(req.contains(f.name) == f.required, "\(type.rawValue).\(f.name) required")
                #expect((props[f.name]?["enum"]?.testArray?.compactMap(\.stringValue) ?? []) == f.allowed, "\(type.rawValue).\(f.name) allowed values")
            }
        }
    }

    @Test func exampleExplainNamesEveryFieldOfTheLine() throws {
        for type in EventType.allCases {
            let r = try cli(["example", type.rawValue, "--explain"])
            #expect(r.status == 0, "\(r)")
            let lines = r.stdout.components(separatedBy: "\n")
            let value = json(lines[0])
            #expect(value["type"]?.stringValue == type.rawValue)
            // Every field the line uses is explained.
            for key in value.objectValue?.keys.sorted() ?? [] {
                #expect(lines.contains { $0.hasPrefix("  \(key) ") }, "\(type.rawValue): envelope field \(key) not explained")
            }
            for key in value["data"]?.objectValue?.keys.sorted() ?? [] {
                #expect(lines.contains { $0.hasPrefix("  \(key) ") }, "\(type.rawValue): data field \(key) not explained")
            }
            #expect(r.stdout.contains("schemas/data/\(type.rawValue).schema.json"))
        }
    }

    @Test func exampleOfAnUnknownTypeSuggestsTheClosest() throws {
        let r = try cli(["example", "dose.programed"])
        #expect(r.status == 64, "\(r)")
        #expect(r.stderr.contains("did you mean dose.programmed?"), "\(r)")
        #expect(r.stderr.contains("Usage: therapy-ledger example"), "\(r)")
        let list = try cli(["example"])
        #expect(list.status == 0)
        for type in EventType.allCases { #expect(list.stdout.contains(type.rawValue)) }
    }

    @Test func helpAppendListsTheTypesAndPointsToExample() throws {
        let r = try cli(["help", "append"])
        #expect(r.status == 0, "\(r)")
        let text = r.stdout.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: " ")
        for type in EventType.allCases { #expect(text.contains(type.rawValue), "help append lacks \(type.rawValue)") }
        #expect(text.contains("therapy-ledger example TYPE"), "\(r.stdout)")
    }
}
