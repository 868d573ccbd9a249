import Foundation
import Testing
@testable import TherapyLedgerCore
import TherapyLedgerSimulation

@Suite struct CanonicalJSONTests {
    private func canonical(_ text: String) throws -> String {
        CanonicalJSON.string(try JSONParser.parse(text))
    }

    @Test func keysAreSortedAndWhitespaceRemoved() throws {
        #expect(try canonical(#" { "b" : 1 , "a" : [ 1 , { "z" : true , "y" : null } ] , "A" : "x" } "#)
                == #"{"A":"x","a":[1,{"y":null,"z":true}],"b":1}"#)
    }

    /// A clock's text (its fact column) is written without JSON values: the same bytes as the canonical JSON of its
    /// `json`, for seeded random clocks with sites that sort differently by bytes and by characters, and large seqs.
    @Test func aClockIsWrittenAsItsCanonicalJSON() {
        var rng = SeededRandom(seed: 12)
        let sites = ["north", "south", "east", "a", "a-1", "z9", "site-é", "Z", "aa", "b"]
        #expect(VectorClock().description == "{}")
        for _ in 0..<500 {
            var entries: [String: Int64] = [:]
            for site in sites where Bool.random(using: &rng) {
                entries[site] = Bool.random(using: &rng) ? Int64.random(in: 1...99, using: &rng) : Int64.random(in: 1...IntegerLimits.maxSeq, using: &rng)
            }
            let clock = VectorClock(entries)
            #expect(clock.description == CanonicalJSON.string(clock.json), "\(entries)")
            #expect(VectorClock(canonical: clock.description) == clock || entries.keys.contains("site-é"))
        }
    }

    @Test func keysAreSortedByUTF8Bytes() {
        // "é" (0xC3 0xA9) sorts after "z"; "Z" (0x5A) before "a".
        let v = JSONValue.object(["é": .number(1), "z": .number(2), "Z": .number(3), "a": .number(4), "aa": .number(5)])
        #expect(CanonicalJSON.string(v) == #"{"Z":3,"a":4,"aa":5,"z":2,"é":1}"#)
    }

    @Test("numbers have one form", arguments: [
        ("18", "18"), ("18.0", "18"), ("1.8e1", "18"), ("0.1", "0.1"), ("-0", "0"), ("-0.0", "0"), ("0.0", "0"),
        ("2.5", "2.5"), ("-3", "-3"), ("1e-5", "1e-05"), ("100.50", "100.5"), ("9007199254740992", "9007199254740992"),
        ("1E2", "100"), ("650.5", "650.5"),
    ])
    func numberForms(_ input: String, _ expected: String) throws {
        #expect(try canonical(input) == expected)
        #expect(try canonical("[\(input)]") == "[\(expected)]")
    }

    @Test func negativeZeroIsZero() {
        var out: [UInt8] = []
        CanonicalJSON.writeNumber(-0.0, into: &out)
        #expect(out == Array("0".utf8))
    }

    @Test func stringsAreEscapedMinimally() throws {
        let v = JSONValue.string("q\"b\\n\nr\rt\tb\u{8}f\u{C}c\u{1}d\u{1F}/é€😀")
        #expect(CanonicalJSON.string(v) == #""q\"b\\n\nr\rt\tb\bf\fc\u0001d\u001f/é€😀""#)
        // Escapes in the input that are not needed are not kept.
        #expect(try canonical(#""\u00e9\/\u0041""#) == #""é/A""#)
        #expect(try canonical(#""\ud83d\ude00""#) == "\"😀\"")
    }

    @Test func parseEncodeRoundTrip() throws {
        let samples: [String] = Array(try fileLines(fixturePath("valid-submissions.jsonl"))[0..<20]) + [
            #"{"a":[],"b":{},"c":[null,true,false,-1.5,"x"],"d":{"e":{"f":[1,[2,[3]]]}}}"#,
        ]
        for s in samples {
            let once = CanonicalJSON.encode(try JSONParser.parse(s))
            let twice = CanonicalJSON.encode(try JSONParser.parse(once))
            #expect(once == twice, "not stable: \(s)")
            #expect(try JSONParser.parse(once) == JSONParser.parse(s))
        }
    }

    @Test func duplicateKeysAreRefused() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a":1,"a":1}"#) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"x":{"a":1,"b":2,"a":3}}"#) }
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a":1,"a":2}"#) }
        #expect(error?.offset == 7)
        #expect(error?.message.contains("duplicate") == true)
    }

    @Test("invalid JSON is refused with the offset of the problem", arguments: [
        (#"{"a":1,}"#, 7), ("[1 2]", 3), (#"{"a" 1}"#, 5), ("tru", 0), ("01", 1), ("1.", 2), ("[1]x", 3),
        (#""abc"#, 4), ("{", 1), ("", 0), ("NaN", 0), ("-", 1), ("1e", 2), ("\"a\u{1}\"", 2),
    ])
    func invalidJSON(_ text: String, _ offset: Int) {
        do {
            let v = try JSONParser.parse(text)
            Issue.record("parsed \(text.debugDescription) as \(v)")
        } catch {
            #expect(error.offset == offset, "\(text.debugDescription): \(error)")
            #expect(error.description.contains("byte \(offset + 1)"))
        }
    }

    @Test("invalid UTF-8 in strings is refused, never repaired", arguments: [
        [0xFF], [0x80], [0xC0, 0xAF], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x61, 0xC3],
    ] as [[UInt8]])
    func invalidUTF8IsRefused(_ bytes: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22] + bytes + [0x22]) }
        // Also after an escape (the slow path) and as an object key.
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0x5C, 0x6E] + bytes + [0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x7B, 0x22] + bytes + [0x22, 0x3A, 0x31, 0x7D]) }
    }

    @Test func validMultibyteUTF8IsKeptByteForByte() throws {
        for text in ["é", "€ 5", "𝄞", "Zürich – Genève"] {
            let bytes = Array(("\"" + text + "\"").utf8)
            #expect(try JSONParser.parse(bytes) == .string(text))
            #expect(CanonicalJSON.encode(try JSONParser.parse(bytes)) == bytes, "\(text)")
        }
        // Through the escape path too.
        #expect(try JSONParser.parse(Array(#""a\nü \u00e9""#.utf8)) == .string("a\nü é"))
    }

    @Test func invalidUTF8AndLoneSurrogatesAreRefused() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#""\ud800""#) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#""\x""#) }
    }

    @Test func deepNestingIsRefused() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
    }

    @Test func recordedBytesAreCanonical() throws {
        let s = try Submission.parse(json(dose(at: "2025-03-01T10:00:00+01:00", mcg: 150.0)), line: 1, now: testNow).get()
        let e = RecordedEvent.seal(s, id: id(1), site: "north", seq: 1, recordedAt: testNow, clock: VectorClock(["north": 1]), prev: ChainHash.genesis)
        let text = String(decoding: e.canonical, as: UTF8.self)
        #expect(text == #"{"author":"dr.test","clock":{"north":1},"data":{"dailyDoseMcg":150},"id":"01950000-0000-7000-8000-000000000001","occurredAt":"2025-03-01T09:00:00Z","patient":"P001","prev":"\#(ChainHash.genesis)","recordedAt":"2025-10-01T12:00:00Z","rules":2,"seq":1,"site":"north","type":"dose.programmed"}"#)
        #expect(e.hash == ChainHash.eventHash(prev: ChainHash.genesis, canonical: e.canonical))
        // jsonLine inserts the hash in sorted position and stays canonical.
        let line = e.jsonLine
        #expect(CanonicalJSON.encode(try JSONParser.parse(line)) == line)
        #expect(String(decoding: line, as: UTF8.self).contains(#""data":{"dailyDoseMcg":150},"hash":"\#(e.hash)","id":"#))
        // Decoding the bytes gives the same event back.
        let decoded = try RecordedEvent.decode(e.canonical, targetType: { _ in nil }).get()
        #expect(decoded == e)
    }

    @Test func vectorClockJSON() {
        let c = VectorClock(["south": 48, "north": 120, "east": 0])
        #expect(c.description == #"{"north":120,"south":48}"#)
        #expect(VectorClock(json: c.json) == c)
        #expect(c.sum == 168)
        #expect(c.dominates(VectorClock(["north": 100])))
        #expect(!c.dominates(VectorClock(["west": 1])))
        #expect(c.merged(with: VectorClock(["north": 3, "west": 2])) == VectorClock(["north": 120, "south": 48, "west": 2]))
    }

    @Test func chainHashIsSHA256OverPrevNewlineAndBytes() {
        // SHA-256 of "0\n{}", computed independently with `printf '0\n{}' | sha256sum`.
        let h = ChainHash.eventHash(prev: "0", canonical: Array("{}".utf8))
        #expect(h == "36f274348a18aa85b82d9dc7e123947388d4274f9eecf2720a091dd39cfdd4e0")
        #expect(ChainHash.sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ChainHash.bytes(hex: "0aFf") == [0x0A, 0xFF])
        #expect(ChainHash.bytes(hex: "0g") == nil)
        #expect(ChainHash.bytes(hex: "abc") == nil)
    }
}
