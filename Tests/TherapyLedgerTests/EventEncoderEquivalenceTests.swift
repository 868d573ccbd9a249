import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerSimulation
@testable import TherapyLedgerStore

/// The byte-level encoder and the one-scan decoder against the reference paths over the JSON value model they
/// replaced: the same canonical bytes, content digests and hashes for every event of the replay scenarios and
/// for a large seeded generated set, and the same decoding (or the same refusal, word for word) of every event
/// and of damaged copies of them.
@Suite struct EventEncoderEquivalenceTests {
    /// Every recorded event of every replay scenario's bundle, with the bundle's hash.
    static func scenarioEvents() throws -> [(name: String, canonical: [UInt8], hash: String)] {
        var out: [(String, [UInt8], String)] = []
        for name in replayScenarioNames {
            let lines = try fileLines(rootPath("replay/\(name)/events.bundle"))
            for line in lines.dropFirst() where !line.hasPrefix("{\"head\":") && !line.isEmpty {
                guard let (canonical, hash) = LedgerStore.splitHash(Array(line.utf8)) else { throw TestFailure("\(name): unreadable line") }
                out.append((name, canonical, hash))
            }
        }
        return out
    }

    static func submission(of e: RecordedEvent) -> Submission {
        Submission(id: e.id, type: e.type, patient: e.patient, occurredAt: e.occurredAt, author: e.author, reason: e.reason, data: e.data, facts: e.facts)
    }

    /// Expects both decoders to agree: the same event, or the same refusal.
    static func expectSameDecoding(_ bytes: [UInt8], types: (String) -> EventType?, _ what: @autoclosure () -> String) {
        switch (RecordedEvent.decode(bytes, targetType: types), RecordedEvent.referenceDecode(bytes, targetType: types)) {
        case (.success(let a), .success(let b)): #expect(a == b, "\(what()): decoded differently")
        case (.failure(let a), .failure(let b)): #expect(a.message == b.message, "\(what())")
        case (.success, .failure(let b)): Issue.record("\(what()): the one-scan decoder accepts what the reference refuses: \(b.message)")
        case (.failure(let a), .success): Issue.record("\(what()): the one-scan decoder refuses what the reference accepts: \(a.message)")
        }
    }

    @Test func everyReplayScenarioEventIsEncodedAndDecodedAlike() throws {
        let events = try Self.scenarioEvents()
        #expect(events.count >= 50)
        var types: [String: EventType] = [:]
        for (name, canonical, hash) in events {
            guard case .success(let e) = RecordedEvent.referenceDecode(canonical, targetType: { types[$0] }) else {
                Issue.record("\(name): a scenario event does not decode")
                continue
            }
            types[e.id] = e.type
            #expect(e.hash == hash)
            let s = Self.submission(of: e)
            let new = RecordedEvent.seal(s, id: e.id, site: e.site, seq: e.seq, recordedAt: e.recordedAt, clock: e.clock, prev: e.prev,
                                         recordedBy: e.recordedBy, hashing: true, rules: e.rules)
            let old = RecordedEvent.referenceSeal(s, id: e.id, site: e.site, seq: e.seq, recordedAt: e.recordedAt, clock: e.clock, prev: e.prev,
                                                  recordedBy: e.recordedBy, rules: e.rules)
            #expect(new.canonical == canonical, "\(name) \(e.site):\(e.seq): the new encoder writes other bytes")
            #expect(old.canonical == canonical)
            #expect(new.contentDigest == old.contentDigest && new.contentDigest == e.contentDigest)
            #expect(new.contentDigest == s.contentDigest(id: e.id))
            #expect(new.hash == hash)
            #expect(RecordedEventDecoder.decode(canonical, targetType: { types[$0] }) != nil, "\(name) \(e.site):\(e.seq): not on the one-scan path")
            Self.expectSameDecoding(canonical, types: { types[$0] }, "\(name) \(e.site):\(e.seq)")
        }
    }

    /// Reasons and recorders that need escapes, non-ASCII and long text.
    static let awkwardText = ["say \"why\"", "back\\slash", "line\nbreak\ttab\r", "bell\u{7}\u{1F}\u{7F}", "é€😀 ünïcode", "/slash/",
                              String(repeating: "long reason ", count: 150)]

    @Test func aLargeSeededGeneratedSetIsEncodedAlike() throws {
        let parameters = SimulationParameters(patients: 300, sites: 3, years: 3, seed: 1234, moveRatePerYear: 0.2)
        let (steps, _) = try HistoryGenerator.generate(parameters)
        var g = SeededRandom(seed: 99)
        var count = 0
        var types: [String: EventType] = [:]
        for step in steps {
            guard case .append(let site, let at, let submissions) = step else { continue }
            for var s in submissions {
                count += 1
                let id = s.id ?? Identifiers.uuidV7(milliseconds: UInt64(count), random: (0..<10).map { _ in UInt8(g.int(0...255)) })
                if s.reason != nil || g.int(0...9) == 0 { s.reason = Self.awkwardText[g.int(0...(Self.awkwardText.count - 1))] }
                let recordedBy: String? = [nil, "ops", "dr. \"quoted\" \\ name", "zoë"][g.int(0...3)]
                let rules = g.int(1...2)
                let seq = Int64(g.int(1...2_000_000))
                var clock = VectorClock([site: seq])
                for other in ["alpha", "zulu", "m-1"] where g.int(0...2) == 0 { clock[other] = Int64(g.int(0...9_000_000)) }
                let prev = ChainHash.sha256Hex(Array("\(count)".utf8))
                let recordedAt = at.adding(days: Double(g.int(0...3)))
                let new = RecordedEvent.seal(s, id: id, site: site, seq: seq, recordedAt: recordedAt, clock: clock, prev: prev,
                                             recordedBy: recordedBy, hashing: true, rules: rules)
                let old = RecordedEvent.referenceSeal(s, id: id, site: site, seq: seq, recordedAt: recordedAt, clock: clock, prev: prev,
                                                      recordedBy: recordedBy, rules: rules)
                #expect(new.canonical == old.canonical, "event \(count): \(String(decoding: old.canonical, as: UTF8.self))")
                #expect(new.contentDigest == old.contentDigest)
                #expect(new.hash == old.hash)
                if rules == RuleSet.current {
                    let pre = RecordedEvent.preseal(s, id: id, site: site, seq: seq, recordedAt: recordedAt, clock: clock, recordedBy: recordedBy)
                    #expect(pre.sealed(prev: prev) == new)
                }
                types[id] = s.type
                if count % 5 == 0 {
                    Self.expectSameDecoding(new.canonical, types: { types[$0] }, "event \(count)")
                    if case .success(let e) = RecordedEvent.referenceDecode(new.canonical, targetType: { types[$0] }), e.ruleNotes.isEmpty {
                        #expect(RecordedEventDecoder.decode(new.canonical, targetType: { types[$0] }) != nil, "event \(count): not on the one-scan path")
                    }
                }
            }
        }
        #expect(count >= 5000, "generated \(count) events")
    }

    @Test func damagedCopiesAreDecodedAlike() throws {
        // Every kind of change the one-scan decoder could let through: each refused (or accepted) as the reference does.
        let events = try Self.scenarioEvents()
        var g = SeededRandom(seed: 7)
        let replacements: [UInt8] = Array(" \t\n\"\\/,:{}[]0129.eE+-abfnrtuzAZ".utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF]
        var types: [String: EventType] = [:]
        for (_, canonical, _) in events {
            if case .success(let e) = RecordedEvent.referenceDecode(canonical, targetType: { types[$0] }) { types[e.id] = e.type }
        }
        for (k, (name, canonical, _)) in events.enumerated() {
            for m in 0..<40 {
                var b = canonical
                let i = g.int(0...(b.count - 1))
                switch m % 4 {
                case 0: b[i] = replacements[g.int(0...(replacements.count - 1))]
                case 1: b.insert(replacements[g.int(0...(replacements.count - 1))], at: i)
                case 2: b.remove(at: i)
                default: b.replaceSubrange(i..<min(b.count, i + 2), with: Array(["\\u0041", "\\/", "1.0", "-0", "1e0", "\"\"", "null"][m % 7].utf8))
                }
                Self.expectSameDecoding(b, types: { types[$0] }, "\(name) event \(k), change \(m)")
            }
        }
        // Members a recorded event may not have, or not in that form.
        let sample = events[0].canonical
        let text = String(decoding: sample, as: UTF8.self)
        for variant in [text.replacingOccurrences(of: "\"rules\":2", with: "\"rules\":3"),
                        text.replacingOccurrences(of: "\"rules\":2", with: "\"rules\":1"),
                        text.replacingOccurrences(of: "{\"author\"", with: "{\"aardvark\":1,\"author\""),
                        text.replacingOccurrences(of: ",\"type\"", with: ",\"tz\":1,\"type\""),
                        text.uppercased()] {
            Self.expectSameDecoding(Array(variant.utf8), types: { types[$0] }, variant)
        }
    }

    @Test func theCanonicalScannerAcceptsExactlyTheCanonicalBytes() throws {
        let samples = [#"{"a":[],"b":{},"c":[null,true,false,-1.5,"x"],"d":{"e":{"f":[1,[2,[3]]]}}}"#, #""q\"b\\n\nr\rt\tb\bf\fc\u0001d\u001f/é€😀""#,
                       "18", "18.0", "-0", "0", "01", "1e-05", "1e-5", "9007199254740992", "9007199254740993", "1E2", "0.1", "-3", "2.50",
                       #"{"b":1,"a":2}"#, #"{"a":1,"a":1}"#, #"{"a" :1}"#, #""\u00e9""#, #""\/""#, #""\u000a""#, #""\u007f""#, "[1 ]", "tru", "nul"]
        for s in samples {
            let bytes = Array(s.utf8)
            let canonical = (try? JSONParser.parse(bytes)).map { CanonicalJSON.encode($0) == bytes } ?? false
            #expect((CanonicalScanner.parse(bytes) != nil) == canonical, "\(s)")
            if let v = CanonicalScanner.parse(bytes) { #expect(v == (try JSONParser.parse(bytes))) }
        }
    }

    @Test func aBatchDrawsItsNewIDsAtOnce() throws {
        // One call for the whole batch (one draw of random bytes in a live ledger), none one by one.
        final class Calls: @unchecked Sendable { var batches: [Int] = []; var single = 0 }
        let calls = Calls()
        let base = testEnvironment()
        let env = LedgerStore.Environment(now: base.now, newID: { calls.single += 1; return base.newID() },
                                          newIDs: { n in calls.batches.append(n); return (0..<n).map { _ in base.newID() } })
        let dir = TempDir()
        let store = try LedgerStore.create(at: dir.file("l.sqlite"), site: "north", network: "clinic", environment: env)
        let lines = (1...30).map { #"{"type":"patient.enrolled","patient":"P\#($0)","occurredAt":"2025-01-02T00:00:00Z","author":"dr.a","data":{"indication":"spinal-cord-injury","origin":"spinal"}}"# }
        let outcomes = try store.append(jsonLines: Array(lines.joined(separator: "\n").utf8))
        #expect(calls.batches == [30] && calls.single == 0)
        #expect(Set(outcomes.map(\.id)).count == 30)
        let live = EventIDs.live(500)
        #expect(Set(live).count == 500 && live.allSatisfy { Identifiers.isUUID($0) && Array($0.utf8)[14] == UInt8(ascii: "7") })
    }
}
