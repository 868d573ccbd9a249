import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerPages
@testable import TherapyLedgerServer
@testable import TherapyLedgerStore

/// The record forms come from the JSON Schemas, and offer nothing the validator refuses.
@Suite struct PagesFormTests {
    static let uuid = "0199dddd-0000-7000-8000-000000000001"

    /// A valid data object of each form's type, varied one field at a time below.
    static let base: [EventType: [String: JSONValue]] = [
        .reservoirRefilled: ["residualMl": .number(5), "addedMl": .number(18), "concentrationMcgPerMl": .number(500)],
        .doseProgrammed: ["dailyDoseMcg": .number(100)],
        .bolusDelivered: ["doseMcg": .number(50), "kind": .string("single")],
        .adverseEventReported: ["category": .string("other"), "grade": .number(1), "serious": .bool(false)],
        .adverseEventResolved: ["report": .string(uuid), "outcome": .string("recovered")],
        .assessmentRecorded: ["ashworth": .string("1")],
        .alertAcknowledged: ["code": .string("reservoir-low"), "events": .array([.string(uuid)])],
        .eventCorrected: ["target": .string(uuid), "action": .string("void")],
    ]

    @Test func theEmbeddedSchemasAreTheFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dataDir = root.appendingPathComponent("schemas/data")
        let names = try FileManager.default.contentsOfDirectory(atPath: dataDir.path).filter { $0.hasSuffix(".schema.json") }.map { "data/\($0)" }
        for name in names + ["common.schema.json"] {
            let file = try String(contentsOf: root.appendingPathComponent("schemas/\(name)"), encoding: .utf8)
            #expect(EmbeddedSchemas.files[name] == file, "\(name) differs from its embedded copy: run python3 scripts/embed_schemas.py")
        }
        #expect(EmbeddedSchemas.files.count == names.count + 1, "an embedded schema has no file any more: run python3 scripts/embed_schemas.py")
    }

    @Test func everyFormHasTheSchemasPropertiesAndNoOther() throws {
        #expect(RecordForms.all.map(\.type) == RecordForms.types.map(\.0))
        for form in RecordForms.all {
            let schema = try JSONParser.parse(EmbeddedSchemas.files["data/\(form.type.rawValue).schema.json"] ?? "")
            let properties = Set(schema["properties"]?.objectValue?.keys.map { $0 } ?? [])
            #expect(Set(form.fields.filter(\.inData).map(\.name)) == properties, "\(form.type)")
            var required = Set<String>()
            if case .array(let r)? = schema["required"] { required = Set(r.compactMap(\.stringValue)) }
            #expect(Set(form.fields.filter { $0.inData && $0.required }.map(\.name)) == required, "\(form.type)")
            #expect(form.fields.prefix(2).map(\.name) == ["occurredAt", "author"])
            #expect(form.fields.contains { $0.name == "reason" } == [.eventCorrected, .alertAcknowledged].contains(form.type))
        }
    }

    /// The form's offers, as the text a user would type or pick.
    static func offers(_ field: FormField) -> [String] {
        switch field.kind {
        case .number(let minimum, let maximum, let integer):
            return [minimum, maximum].compactMap { $0 }.map { integer ? String(Int($0)) : String($0) }
        case .choice(let values): return values
        case .boolean: return ["true", "false"]
        case .date: return ["2026-11-01"]
        case .time: return ["2026-10-15T12:00:00Z"]
        case .text: return ["x"]
        case .eventID, .eventIDs: return [uuid]
        case .object: return ["{}"]
        }
    }

    @Test func theValidatorAcceptsEverythingAFormOffersAndRefusesBeyondItsBounds() throws {
        for form in RecordForms.all {
            let baseData = try #require(Self.base[form.type])
            #expect(DataValidator.validate(form.type, data: .object(baseData)).isSuccess, "\(form.type) base")
            for field in form.fields where field.inData {
                for text in Self.offers(field) {
                    var data = baseData
                    data[field.name] = field.value(text)
                    if form.type == .eventCorrected, field.name == "data" { data["action"] = .string("amend") }
                    if form.type == .eventCorrected, field.name == "action", text == "amend" { data["data"] = .object([:]) }
                    if form.type == .adverseEventReported, field.name == "grade" { data["serious"] = .bool(true) }
                    let result = DataValidator.validate(form.type, data: .object(data))
                    #expect(result.isSuccess, "\(form.type) \(field.name)=\(text): \(result)")
                }
                // Past the schema's bounds, the validator refuses: the bounds are its own.
                var beyond: [String] = []
                if case .number(_, let maximum?, _) = field.kind { beyond.append(String(maximum * 2 + 1)) }
                if case .choice = field.kind { beyond.append("not-a-value") }
                for text in beyond {
                    var data = baseData
                    data[field.name] = field.value(text)
                    #expect(!DataValidator.validate(form.type, data: .object(data)).isSuccess, "\(form.type) \(field.name)=\(text) accepted")
                }
            }
        }
    }

    @Test func aFormMakesOneSubmissionLine() throws {
        let form = try #require(RecordForms.form(named: "reservoir.refilled"))
        let line = form.submission(patient: "P001", values: ["occurredAt": " 2026-10-15T12:00:00Z ", "author": "dr.north", "residualMl": "3.5",
                                                             "addedMl": "18", "concentrationMcgPerMl": "abc", "lot": ""])
        #expect(String(decoding: line, as: UTF8.self) == #"{"author":"dr.north","data":{"addedMl":18,"concentrationMcgPerMl":"abc","residualMl":3.5},"occurredAt":"2026-10-15T12:00:00Z","patient":"P001","type":"reservoir.refilled"}"# + "\n")
        #expect(form.input(for: "data.residualMl") == "residualMl" && form.input(for: "occurredAt") == "occurredAt" && form.input(for: "data") == nil)
        let correction = try #require(RecordForms.form(named: "event.corrected"))
        #expect(correction.input(for: "data.data.fillMl") == "data")
    }

    @Test func onlyHTMLNumbersGoBackIntoANumberInput() {
        for ok in ["0", "-5", "3.25", "1e3", "2E-2"] { #expect(FormNumbers.isHTMLNumber(ok), "\(ok)") }
        for bad in ["", "x", ".5", "5.", "+1", "1,5", "0x10", "1e", "٣"] { #expect(!FormNumbers.isHTMLNumber(bad), "\(bad)") }
    }

    @Test func labelsNameTheUnit() {
        #expect(RecordFormPage.label("residualMl") == "Residual (mL)")
        #expect(RecordFormPage.label("concentrationMcgPerMl") == "Concentration (mcg/mL)")
        #expect(RecordFormPage.label("dailyDoseMcg") == "Daily dose (mcg/day)")
        #expect(RecordFormPage.label("pennSpasmFrequency") == "Penn spasm frequency")
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { return true } else { return false } }
}

/// Sessions end after their maximum age and after sitting idle (the clock is passed in: no timed test).
@Suite struct PagesSessionTests {
    @Test func aSessionExpiresWhenIdleAndAtItsMaximumAge() {
        let sessions = PageSessions()
        let user = LedgerUser(name: "alice", role: .clinician, tokenSHA256: "d", createdAt: "", createdBy: "test")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let (a, opened) = sessions.open(user, now: t0)
        #expect(a.count == 64 && opened.csrf.count == 64 && a != opened.csrf)
        #expect(sessions.touch(a, now: t0.addingTimeInterval(PageSessions.idleTimeout - 1)) != nil)
        // Kept alive by use, it still ends at its maximum age.
        var t = t0
        while t.timeIntervalSince(t0) < PageSessions.maxAge - PageSessions.idleTimeout {
            t = t.addingTimeInterval(PageSessions.idleTimeout / 2)
            #expect(sessions.touch(a, now: t) != nil)
        }
        #expect(sessions.touch(a, now: t0.addingTimeInterval(PageSessions.maxAge)) == nil)
        #expect(sessions.touch(a, now: t0) == nil, "an expired session is forgotten")
        let (b, _) = sessions.open(user, now: t0)
        #expect(sessions.touch(b, now: t0.addingTimeInterval(PageSessions.idleTimeout)) == nil, "idle too long")
        let (c, _) = sessions.open(user, now: t0)
        sessions.close(c)
        #expect(sessions.touch(c, now: t0) == nil)
        #expect(PageSessions.constantTimeEqual("abc", "abc") && !PageSessions.constantTimeEqual("abc", "abd") && !PageSessions.constantTimeEqual("abc", "ab"))
    }
}
