import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Issue 10, item 17: a damaged bundle is named for what happened to it, and inputs are read from pipes.
@Suite struct BundleMessageTests {
    static func refusal(_ lines: [String], joinedBy separator: String = "\n", at south: SyncSite, in dir: TempDir) throws -> String {
        let path = dir.write("edited-\(UUID().uuidString).jsonl", lines.joined(separator: separator))
        let before = try south.snapshot()
        let e = try #require(throws: SyncError.self) { try south.store.importBundle(from: path) }
        #expect(try south.snapshot() == before)
        return e.message
    }

    @Test("two swapped event lines are damage, not a missing bundle", arguments: [(1, 2), (2, 4), (1, 4)])
    func swappedLines(pair: (Int, Int)) throws {
        let (south, dir, lines) = try UntrustedInputTests.bundleLines()
        var edited = lines
        edited.swapAt(pair.0, pair.1)
        let message = try Self.refusal(edited, at: south, in: dir)
        #expect(message.contains("damaged"), "\(message)")
        #expect(!message.contains("import the earlier bundle first"), "\(message)")
    }

    @Test("a bundle cut anywhere says truncated: get the file again")
    func truncated() throws {
        let (south, dir, lines) = try UntrustedInputTests.bundleLines()
        let text = lines.joined(separator: "\n")
        let bytes = Array(text.utf8)
        for cut in [bytes.count - 1, bytes.count - 40, bytes.count - 200, bytes.count / 2, lines[0].utf8.count + 1, lines[0].utf8.count + 30, 10] {
            let path = dir.file("cut-\(cut).jsonl")
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes[0..<cut]))
            let e = try #require(throws: SyncError.self) { try south.store.importBundle(from: path) }
            #expect(e.message.contains("truncated") && e.message.contains("get the file again") || e.message.contains("Get the file again"), "cut at \(cut): \(e.message)")
            #expect(!e.message.contains("malformed signed head"))
        }
        // Whole lines missing at the end (the head lines, then the last event too).
        let withoutHeads = lines.filter { !$0.hasPrefix(#"{"head":"#) && !$0.isEmpty }
        for kept in [withoutHeads, Array(withoutHeads.dropLast())] {
            let message = try Self.refusal(kept + [""], at: south, in: dir)
            #expect(message.contains("truncated"), "\(message)")
        }
    }

    @Test("CRLF line endings are named as a line-ending conversion")
    func crlf() throws {
        let (south, dir, lines) = try UntrustedInputTests.bundleLines()
        let message = try Self.refusal(lines, joinedBy: "\r\n", at: south, in: dir)
        #expect(message.contains("CRLF") && message.contains("line endings"), "\(message)")
        #expect(!message.contains("the header was edited"))
        // Only the event lines converted.
        let mixed = [lines[0]] + lines.dropFirst().map { $0.isEmpty ? $0 : $0 + "\r" }
        let m2 = try Self.refusal(mixed, at: south, in: dir)
        #expect(m2.contains("CRLF"), "\(m2)")
    }

    @Test("append reads /dev/stdin and sync export reads --since from a pipe")
    func pipes() throws {
        try requireCLI()
        let l = try TestLedger()
        let r = try run("/bin/sh", ["-c", "printf '%s\\n' \"$1\" | \"$0\" append /dev/stdin --ledger \"$2\"", cliPath, enrol(), l.path])
        #expect(r.status == 0, "\(r)")
        #expect(try l.count() == 1)
        let dir = TempDir()
        let out = dir.file("b.jsonl")
        // A FIFO fed by a background writer, as bash's <(...) is.
        let since = try run("/bin/sh", ["-c", "mkfifo \"$3/clock\"; (printf '{\"north\":0}' > \"$3/clock\" &); \"$0\" sync export --since \"$3/clock\" --out \"$1\" --ledger \"$2\"",
                                        cliPath, out, l.path, dir.path])
        #expect(since.status == 0, "\(since)")
        #expect(since.stdout.contains("wrote 1 event"), "\(since)")
    }
}
