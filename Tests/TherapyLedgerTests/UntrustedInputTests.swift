import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Issue 10, items 10 and 11: integers from outside are range-checked (no trap), reads are bounded, and every
/// fuzz fixture goes through the fuzzers' entry points without trapping.
@Suite struct UntrustedInputTests {
    /// A ledger pair: `north` with a few events, and a bundle of them for `south`.
    static func bundleLines() throws -> (south: SyncSite, dir: TempDir, lines: [String]) {
        let north = try SyncSite("north", index: 1)
        let south = try SyncSite("south", index: 2)
        try north.append([enrol("P001", id: id(1)), implant("P001", id: id(2)), dose("P001", id: id(3))])
        try north.append([#"{"id":"\#(id(4))","type":"event.corrected","patient":"P001","occurredAt":"2025-03-01T10:00:00Z","author":"dr","reason":"typo","data":{"target":"\#(id(3))","action":"amend","data":{"dailyDoseMcg":160}}}"#])
        let dir = TempDir(inMemory: true)
        let path = try north.export(to: dir)
        let lines = String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return (south, dir, lines)
    }

    static func write(_ lines: [String], in dir: TempDir) -> String {
        dir.write("edited-\(UUID().uuidString).jsonl", lines.joined(separator: "\n"))
    }

    /// Replaces the first `"key":NUMBER` in a line by `"key":value`.
    static func replacing(_ key: String, by value: String, in line: String) -> String {
        guard let r = line.range(of: #""\#(key)":[0-9]+"#, options: .regularExpression) else { return line }
        return line.replacingCharacters(in: r, with: #""\#(key)":\#(value)"#)
    }

    static let hugeNumbers = ["1e300", "9.3e18", "9223372036854775807", "-1e300", "1.5", "18446744073709551616"]

    @Test("a header count or headCount out of range is refused, not trapped", arguments: ["count", "headCount"])
    func headerCounts(field: String) throws {
        let (south, dir, lines) = try Self.bundleLines()
        for value in Self.hugeNumbers {
            var edited = lines
            edited[0] = Self.replacing(field, by: value, in: lines[0])
            #expect(edited[0] != lines[0])
            let path = Self.write(edited, in: dir)
            #expect(throws: SyncError.self) { try south.store.importBundle(from: path) }
            #expect(throws: SyncError.self) { try UntrustedInput.bundle(Array(edited.joined(separator: "\n").utf8)) }
        }
        #expect(try south.store.eventCount() == 0)
    }

    @Test("a head or event seq out of range is refused, not trapped")
    func lineSeqs() throws {
        let (south, dir, lines) = try Self.bundleLines()
        let amend = try #require(lines.firstIndex { $0.contains(#""action":"amend""#) })
        let head = try #require(lines.firstIndex { $0.hasPrefix(#"{"head":"#) })
        for index in [amend, head, 1] {
            for value in Self.hugeNumbers {
                var edited = lines
                edited[index] = Self.replacing("seq", by: value, in: lines[index])
                #expect(edited[index] != lines[index])
                let path = Self.write(edited, in: dir)
                #expect(throws: SyncError.self) { try south.store.importBundle(from: path) }
                _ = try? UntrustedInput.bundle(Array(edited.joined(separator: "\n").utf8))
            }
        }
        #expect(try south.store.eventCount() == 0)
    }

    @Test("a heads file with a seq out of range is refused, not trapped")
    func headsFileSeq() throws {
        let l = try ledgerWithEvents(3)
        let text = CanonicalJSON.string(try l.open().headsFile().json)
        for value in Self.hugeNumbers {
            let edited = Self.replacing("seq", by: value, in: text)
            #expect(edited != text)
            #expect(throws: StoreError.self) { try UntrustedInput.headsFile(Array(edited.utf8)) }
        }
        #expect(try UntrustedInput.headsFile(Array(text.utf8)).heads.count == 1)
    }

    @Test("integer(in:) accepts whole numbers in range only")
    func integerAccessor() {
        #expect(JSONValue.number(5).integer(in: Int64(1)...Int64(10)) == 5)
        for n in [0.0, 11, 5.5, 1e300, -1e300, .infinity, .nan, 9.3e18, -9.3e18, 9_223_372_036_854_775_807] {
            #expect(JSONValue.number(n).integer(in: Int64(1)...Int64(10)) == nil)
            _ = JSONValue.number(n).integer(in: Int64.min...Int64.max)
        }
        #expect(JSONValue.number(9.3e18).integer(in: Int64.min...Int64.max) == nil)
        #expect(JSONValue.string("5").integer(in: 0...10) == nil)
        #expect(VectorClock(json: json(#"{"north":1e300}"#)) == nil)
    }

    @Test("a submission line longer than the limit is refused with its line number")
    func longSubmissionLine() {
        let long = #"{"type":"patient.enrolled","patient":"P1","author":"a","occurredAt":"2025-01-01T00:00:00Z","data":{"x":""#
            + String(repeating: "a", count: Submission.Limits.maxLineBytes) + #""}}"#
        let results = UntrustedInput.submissions(Array((enrol() + "\n" + long + "\n").utf8))
        #expect(results.count == 2)
        guard case .failure(let e) = results[1] else { Issue.record("the long line was accepted"); return }
        #expect(e.errors.first?.line == 2)
        #expect(e.errors.first?.message.contains("at most") == true)
    }

    // MARK: - Bounded reads (item 11)

    @Test("sync import of /dev/zero and of binary bytes is refused at once, naming what it is")
    func nonBundles() throws {
        let south = try SyncSite("south", index: 2)
        let e = try #require(throws: SyncError.self) { try south.store.importBundle(from: "/dev/zero") }
        #expect(e.message.contains("not a therapy-ledger bundle"))
        let dir = TempDir(inMemory: true)
        var g = SystemRandomNumberGenerator()
        let binary = dir.file("random.bin")
        _ = FileManager.default.createFile(atPath: binary, contents: Data([0xFF] + (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &g) }))
        #expect(throws: SyncError.self) { try south.store.importBundle(from: binary) }
    }

    @Test("a first line without a newline is refused after reading a bounded amount")
    func endlessFirstLine() throws {
        // "{" and then no newline at all, through a pipe (as /dev/zero would be, but ending): the reader stops
        // at the header limit instead of holding the whole stream.
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let total = 8 * BundleHeader.maxHeaderBytes
        let writeEnd = fds[1], readEnd = fds[0]
        let writer = Thread {
            signal(SIGPIPE, SIG_IGN)
            var block = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 16)
            block[0] = UInt8(ascii: "{")
            var sent = 0
            while sent < total {
                let n = block.withUnsafeBytes { Foundation.write(writeEnd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                sent += n
                block[0] = UInt8(ascii: "a")
            }
            close(writeEnd)
        }
        signal(SIGPIPE, SIG_IGN)
        writer.start()
        let reader = LineReader(descriptor: readEnd, name: "pipe", maxLineBytes: BundleHeader.maxHeaderBytes, chunkSize: 1 << 16)
        #expect(throws: LineReader.LineTooLong.self) { try reader.next() }
        #expect(reader.bytesRead <= BundleHeader.maxHeaderBytes + (1 << 16))
        close(readEnd)
    }

    @Test("the line reader returns the same lines whatever the chunk size, long lines included")
    func lineReaderChunks() throws {
        let lines = ["", "a", String(repeating: "b", count: 70_000), "c", String(repeating: "d", count: 3), ""]
        let text = Array(lines.joined(separator: "\n").utf8)
        let dir = TempDir()
        let path = dir.file("lines")
        _ = FileManager.default.createFile(atPath: path, contents: Data(text))
        for chunk in [1, 7, 4096, 1 << 20] {
            let reader = try LineReader(path: path, chunkSize: chunk)
            var got: [String] = []
            while let l = try reader.next() { got.append(String(decoding: l, as: UTF8.self)) }
            #expect(got == Array(lines.dropLast()))
            #expect(reader.lastLineTerminated)
        }
        let limited = try LineReader(path: path, maxLineBytes: 1000, chunkSize: 4096)
        _ = try limited.next(); _ = try limited.next()
        let e = try #require(throws: LineReader.LineTooLong.self) { try limited.next() }
        #expect(e.line == 3)
    }

    // MARK: - Fuzz fixtures

    static func fixtures(_ target: String) -> [String] {
        let dir = rootPath("Tests/Fixtures/fuzz/\(target)")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
    }

    @Test("every fuzz fixture runs through the fuzzers' entry points without trapping")
    func fuzzFixtures() throws {
        let submissions = Self.fixtures("submission"), bundles = Self.fixtures("bundle"), heads = Self.fixtures("heads")
        #expect(submissions.count >= 2 && bundles.count >= 2 && heads.count >= 2)
        for path in submissions {
            _ = UntrustedInput.submissions(Array(try #require(FileManager.default.contents(atPath: path))))
        }
        for path in bundles {
            _ = try? UntrustedInput.bundle(Array(try #require(FileManager.default.contents(atPath: path))))
        }
        for path in heads {
            _ = try? UntrustedInput.headsFile(Array(try #require(FileManager.default.contents(atPath: path))))
        }
        // The same bundles through a real import: refused or imported, never a trap.
        for path in bundles {
            let south = try SyncSite("south", index: 2)
            _ = try? south.store.importBundle(from: path)
        }
    }

    @Test("the seed bundle fixture reads whole")
    func seedBundle() throws {
        let path = rootPath("Tests/Fixtures/fuzz/bundle/seed-valid.jsonl")
        let summary = try UntrustedInput.bundle(Array(try #require(FileManager.default.contents(atPath: path))))
        #expect(summary.events == summary.header.count && summary.heads == summary.header.headCount)
        #expect(summary.invalidEvents.isEmpty)
    }
}
