import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// `sync export --compress`: a gzip bundle of the same lines, which `sync import` recognizes by its first bytes.
@Suite(.serialized) struct CompressedBundleTests {
    /// North with a few patients' histories, and an empty south.
    static func sites() throws -> (north: SyncSite, south: SyncSite, dir: TempDir) {
        let north = try SyncSite("north", index: 1)
        let south = try SyncSite("south", index: 2)
        var lines: [String] = []
        for p in 1...12 {
            lines += [enrol("P\(p)", at: syncTime(0)), implant("P\(p)", at: syncTime(60)), dose("P\(p)", at: syncTime(120), mcg: 150),
                      syncRefill("P\(p)", at: syncTime(600)), syncBolus("P\(p)", at: syncTime(700))]
        }
        try north.append(lines)
        return (north, south, TempDir(inMemory: true))
    }

    @Test func aCompressedBundleHoldsTheSameLinesAndImportsAlike() throws {
        let (north, south, dir) = try Self.sites()
        let plain = dir.file("plain.jsonl")
        let packed = dir.file("packed.jsonl.gz")
        let a = try north.store.exportBundle(to: plain)
        let b = try north.store.exportBundle(to: packed, compress: true)
        let plainBytes = try #require(FileManager.default.contents(atPath: plain).map { Array($0) })
        let packedBytes = try #require(FileManager.default.contents(atPath: packed).map { Array($0) })
        #expect(Array(packedBytes.prefix(2)) == Gzip.magic && plainBytes.first == UInt8(ascii: "{"))
        #expect(b.bytes == packedBytes.count && a.bytes == plainBytes.count && b.events == a.events && b.events == 60)
        #expect(b.bytes * 3 < a.bytes, "compressed \(b.bytes) bytes, plain \(a.bytes)")
        // The same lines, byte for byte (header and signature included: the signature covers the lines, not the file).
        let reader = try BundleReader(path: packed)
        _ = try reader.header()
        var inflated = Array(plainBytes.split(separator: 0x0A, omittingEmptySubsequences: false).first ?? [])
        while let line = try reader.next() { inflated += [0x0A] + line }
        #expect(inflated + [0x0A] == plainBytes)

        let r = try south.store.importBundle(from: packed)
        #expect((r.newEvents, r.duplicates) == (60, 0))
        #expect(try SyncObservation(south) == SyncObservation(north))
        // The plain bundle after the compressed one: everything a duplicate.
        #expect(try south.store.importBundle(from: plain).duplicates == 60)
    }

    @Test func aDamagedOrTruncatedCompressedBundleIsRefusedAndWritesNothing() throws {
        let (north, south, dir) = try Self.sites()
        let packed = dir.file("packed.gz")
        _ = try north.store.exportBundle(to: packed, compress: true)
        let bytes = try #require(FileManager.default.contents(atPath: packed).map { Array($0) })
        func write(_ name: String, _ b: [UInt8]) throws -> String {
            let p = dir.file(name)
            try #require(FileManager.default.createFile(atPath: p, contents: Data(b)))
            return p
        }
        try expectRefused(south, write("cut.gz", Array(bytes.prefix(bytes.count - 30))), ["truncated"])
        try expectRefused(south, write("half.gz", Array(bytes.prefix(bytes.count / 2))), [])
        try expectRefused(south, write("magic-only.gz", Gzip.magic), [])
        try expectRefused(south, write("trailing.gz", bytes + Array("{}\n".utf8)), ["follow the end"])
        for i in stride(from: 10, to: bytes.count - 8, by: max(1, bytes.count / 25)) {
            var flipped = bytes
            flipped[i] ^= 0x10
            try expectRefused(south, write("flip-\(i).gz", flipped), [])
        }
        #expect(try south.store.eventCount() == 0)
    }

    @Test func aCompressedStreamThatInflatesHugelyIsReadInBoundedPieces() throws {
        // 64 MiB of one byte compresses to about 64 KiB; the reader inflates a chunk at a time and refuses the
        // endless first line once past its limit, never holding the whole.
        let deflater = try Gzip.Deflater()
        var compressed: [UInt8] = []
        let block = [UInt8](repeating: UInt8(ascii: "{"), count: 1 << 20)
        for _ in 0..<64 { compressed += try deflater.compress(block) }
        compressed += try deflater.finish()
        #expect(compressed.count < 1 << 18)
        let reader = BundleReader(bytes: compressed, name: "bomb.gz")
        #expect(throws: SyncError.self) { _ = try reader.header() }
    }
}
