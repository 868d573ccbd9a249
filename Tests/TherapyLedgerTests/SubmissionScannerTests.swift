import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerSimulation
@testable import TherapyLedgerStore

/// The one-scan submission reader (``SubmissionScanner``) against the general path over the JSON value model: a
/// line it reads gives the very submission the general path gives, and ``BatchValidator/parseLine(_:line:now:)``
/// answers every line (accepted or refused, word for word) as the general path does. Over the fixtures, the replay
/// scenarios, a large seeded generated set written several ways, hand-picked edge cases and random damage.
@Suite struct SubmissionScannerTests {
    static let now = Timestamp.parse("2026-06-01T00:00:00Z") ?? Timestamp(seconds: 0)

    /// Expects both paths to agree on `line`; true when the fast path read it.
    @discardableResult
    static func expectAgreement(_ line: [UInt8], _ what: @autoclosure () -> String) -> Bool {
        let general = BatchValidator.parseLineInGeneral(line[...], line: 7, now: now)
        let fast = line.withUnsafeBufferPointer { SubmissionScanner.submission($0, line: 7, now: now) }
        if let fast {
            guard case .success(let g) = general else {
                Issue.record("\(what()): the fast path accepts what the general path refuses: \(String(decoding: line, as: UTF8.self))")
                return true
            }
            #expect(fast == g.submission, "\(what()): read differently: \(String(decoding: line, as: UTF8.self))")
        }
        let expected = line.count > Submission.Limits.maxLineBytes ? BatchValidator.lineTooLong(line.count, line: 7) : general
        switch (BatchValidator.parseLine(line[...], line: 7, now: now), expected) {
        case (.success(let a), .success(let b)): #expect(a.line == b.line && a.submission == b.submission, "\(what())")
        case (.failure(let a), .failure(let b)):
            #expect(a.errors.map(\.description) == b.errors.map(\.description), "\(what())")
            #expect(a.partial?.patient == b.partial?.patient && a.partial?.type == b.partial?.type, "\(what())")
        default: Issue.record("\(what()): parseLine and the general path disagree: \(String(decoding: line, as: UTF8.self))")
        }
        return fast != nil
    }

    static func line(_ object: [String: JSONValue]) -> [UInt8] { CanonicalJSON.encode(.object(object)) }

    /// The same members, written with whitespace and in reverse key order.
    static func spaced(_ object: [String: JSONValue]) -> [UInt8] {
        var out = Array(" {\t".utf8)
        for (k, (key, value)) in object.sorted(by: { $0.key > $1.key }).enumerated() {
            if k > 0 { out += Array(" ,\n ".utf8) }
            out += CanonicalJSON.encode(.string(key)) + Array(" :  ".utf8) + CanonicalJSON.encode(value)
        }
        return out + Array("\r\n} ".utf8)
    }

    @Test func fixturesAndScenariosAreReadAlike() throws {
        var lines: [[UInt8]] = []
        for file in ["valid-submissions.jsonl", "invalid-submissions.jsonl"] {
            lines += try fileLines(fixturePath(file)).map { Array($0.utf8) }
        }
        let fuzz = fixturePath("fuzz/submission")
        for name in try FileManager.default.contentsOfDirectory(atPath: fuzz).sorted() {
            lines += try fileLines(fuzz + "/" + name).map { Array($0.utf8) }
        }
        var types: [String: EventType] = [:]
        for (_, canonical, _) in try EventEncoderEquivalenceTests.scenarioEvents() {
            guard case .success(let e) = RecordedEvent.referenceDecode(canonical, targetType: { types[$0] }) else { continue }
            types[e.id] = e.type
            lines.append(Self.line(EventEncoderEquivalenceTests.submission(of: e).envelope(id: e.id)))
        }
        #expect(lines.count > 100)
        var read = 0
        for (k, line) in lines.enumerated() where Self.expectAgreement(line, "line \(k)") { read += 1 }
        #expect(read > 50, "the fast path read only \(read) of \(lines.count) lines")
    }

    @Test func aLargeGeneratedSetIsReadAlikeHoweverItIsWritten() throws {
        let parameters = SimulationParameters(patients: 200, sites: 2, years: 2, seed: 4321, moveRatePerYear: 0.2)
        let (steps, _) = try HistoryGenerator.generate(parameters)
        var g = SeededRandom(seed: 17)
        var count = 0, read = 0
        for step in steps {
            guard case .append(_, _, let submissions) = step else { continue }
            for s in submissions {
                count += 1
                let id = s.id ?? Identifiers.uuidV7(milliseconds: UInt64(count), random: (0..<10).map { _ in UInt8(g.int(0...255)) })
                var object = s.envelope(id: id)
                if g.int(0...3) == 0 { object["id"] = nil }
                if g.int(0...9) == 0 { object["id"] = .string(id.uppercased()) }
                if g.int(0...9) == 0 { object["reason"] = .string(EventEncoderEquivalenceTests.awkwardText[g.int(0...(EventEncoderEquivalenceTests.awkwardText.count - 1))]) }
                if Self.expectAgreement(Self.line(object), "event \(count)") { read += 1 }
                Self.expectAgreement(Self.spaced(object), "event \(count), spaced")
            }
        }
        #expect(count > 1000)
        #expect(read * 10 > count * 8, "the fast path read only \(read) of \(count) plain lines")
    }

    @Test func edgeCasesAreReadAlike() {
        let base = #"{"type":"dose.programmed","patient":"P-1","occurredAt":"2025-03-01T09:00:00Z","author":"dr.a","data":{"dailyDoseMcg":120}}"#
        let cases: [String] = [
            base,
            base.replacingOccurrences(of: "120", with: "120.0"),
            base.replacingOccurrences(of: "120", with: "1.2e2"),
            base.replacingOccurrences(of: "120", with: "1.2E+2"),
            base.replacingOccurrences(of: "120", with: "-0"),
            base.replacingOccurrences(of: "120", with: "0120"),
            base.replacingOccurrences(of: "120", with: "12."),
            base.replacingOccurrences(of: "120", with: "1e"),
            base.replacingOccurrences(of: "120", with: "1e999"),
            base.replacingOccurrences(of: "120", with: "\"120\""),
            base.replacingOccurrences(of: "120}", with: "120,\"dailyDoseMcg\":121}"),
            base.replacingOccurrences(of: "120}", with: "120,\"lowAlarmMl\":2}"),
            base.replacingOccurrences(of: "120}", with: "120,\"mode\":\"flex\"}"),
            base.replacingOccurrences(of: "120}", with: "120,\"extra\":[1,{\"a\":null},true,false]}"),
            base.replacingOccurrences(of: "120}", with: "120,\"lowAlarmMl\":null}"),
            base.replacingOccurrences(of: "\"P-1\"", with: "\"P\\u002d1\""),
            base.replacingOccurrences(of: "\"dr.a\"", with: "\"dr.ä\""),
            base.replacingOccurrences(of: "{\"type\"", with: "{\"type\":\"dose.programmed\",\"type\""),
            base.replacingOccurrences(of: "{\"type\"", with: "{\"seq\":3,\"type\""),
            base.replacingOccurrences(of: "{\"type\"", with: "{\"typo\":3,\"type\""),
            base.replacingOccurrences(of: "{\"type\"", with: "{\"id\":\"0190C3E2-7F4A-7B1C-9D2E-3F4A5B6C7D8E\",\"type\""),
            base.replacingOccurrences(of: "{\"type\"", with: "{\"id\":\"0190c3e2-7f4a-7b1c-9d2e-3f4a5b6c7d8\",\"type\""),
            base.replacingOccurrences(of: "{\"type\"", with: "{\"id\":null,\"type\""),
            base.replacingOccurrences(of: "{\"type\"", with: "{\"reason\":\"\",\"type\""),
            base.replacingOccurrences(of: "{\"type\"", with: "{\"reason\":\"why\",\"type\""),
            base.replacingOccurrences(of: "{\"type\"", with: "{\"reason\":null,\"type\""),
            base.replacingOccurrences(of: "2025-03-01T09:00:00Z", with: "2026-06-03T09:00:00Z"),
            base.replacingOccurrences(of: "2025-03-01T09:00:00Z", with: "2025-03-01T09:00:00+02:00"),
            base.replacingOccurrences(of: "2025-03-01T09:00:00Z", with: "2025-02-30T09:00:00Z"),
            base.replacingOccurrences(of: "dose.programmed", with: "dose.programed"),
            base.replacingOccurrences(of: "dose.programmed", with: "event.corrected"),
            base.replacingOccurrences(of: ",\"data\":{\"dailyDoseMcg\":120}", with: ""),
            base.replacingOccurrences(of: "{\"dailyDoseMcg\":120}", with: "null"),
            base.replacingOccurrences(of: "{\"dailyDoseMcg\":120}", with: "[]"),
            base.replacingOccurrences(of: "{\"dailyDoseMcg\":120}", with: "{}"),
            #"{"type":"pump.explanted","patient":"P-1","occurredAt":"2025-03-01T09:00:00Z","author":"dr.a"}"#,
            #"{"type":"pump.explanted","patient":"P-1","occurredAt":"2025-03-01T09:00:00Z","author":"dr.a","data":{}}"#,
            base + " x", base + ",", "[" + base + "]", "{}", "", "   ", "{", "{\"type\"", "null", "\"x\"",
            String(repeating: "[", count: 70) + String(repeating: "]", count: 70),
            base.replacingOccurrences(of: "120}", with: "120,\"x\":" + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}"),
        ]
        for (k, text) in cases.enumerated() { Self.expectAgreement(Array(text.utf8), "case \(k)") }
        #expect(Self.expectAgreement(Array(base.utf8), "base"), "the plain line is not read by the fast path")
    }

    @Test func damagedLinesAreReadAlike() throws {
        let parameters = SimulationParameters(patients: 40, sites: 1, years: 1, seed: 77)
        let (steps, _) = try HistoryGenerator.generate(parameters)
        var lines: [[UInt8]] = []
        for step in steps {
            guard case .append(_, _, let submissions) = step else { continue }
            for s in submissions { lines.append(Self.line(s.envelope(id: s.id ?? "0190c3e2-7f4a-7b1c-9d2e-3f4a5b6c7d8e"))) }
        }
        var g = SeededRandom(seed: 5)
        let alphabet = Array("{}[]\",:.-+eE0123456789 \t\\/ntufalsrTZ".utf8) + [0xC3, 0xA9, 0x00, 0x7F, 0xFF]
        for k in 0..<3000 {
            var line = lines[g.int(0...(lines.count - 1))]
            for _ in 0...g.int(0...2) {
                guard !line.isEmpty else { break }
                let at = g.int(0...(line.count - 1))
                switch g.int(0...2) {
                case 0: line.remove(at: at)
                case 1: line.insert(alphabet[g.int(0...(alphabet.count - 1))], at: at)
                default: line[at] = alphabet[g.int(0...(alphabet.count - 1))]
                }
            }
            Self.expectAgreement(line, "damaged line \(k)")
        }
    }
}
