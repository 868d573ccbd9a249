import Crypto
import Foundation
import GRDB
import TherapyLedgerCore

/// What `sync export` wrote.
public struct BundleExportReport: Sendable {
    public var path: String
    public var events: Int
    public var bytes: Int
    public var seconds: Double
    public var since: VectorClock
    public var clock: VectorClock
}

extension LedgerStore {
    /// The clock `site` last reported (from its latest bundle's header), if any.
    public func peerClock(_ site: String) throws -> VectorClock? {
        try db.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT last_clock FROM sites WHERE site = ?", arguments: [site]) else { return nil }
            return (try? JSONParser.parse(text)).flatMap { VectorClock(json: $0) }
        }
    }

    /// Writes a bundle of every recorded event (own and relayed) that `since` lacks, in causal order,
    /// with every signed head this ledger holds in that range (the last one covers them all), signed by this site. Streams: memory stays flat.
    /// Written by the rule of ``OutputFile``: to a temporary file and renamed, so a failed export leaves nothing
    /// behind; an existing file is replaced only with `force`; a device or FIFO is written into.
    /// With `compress`, the file is one gzip stream of the same bytes (see ``Gzip``), which `importBundle` recognizes.
    public func exportBundle(to path: String, since: VectorClock = VectorClock(), force: Bool = false, compress: Bool = false) throws -> BundleExportReport {
        let started = Date()
        let key = try SiteKey.load(from: keyPath)
        let kind = OutputFile.kind(of: path)
        if kind == .regular && !force {
            throw SyncError("\(path) already exists: choose a new bundle name, or add --force to replace it")
        }
        // The body is staged beside a file destination (same file system), in the temporary folder for a device or FIFO.
        let dir = kind == .special ? NSTemporaryDirectory() : (path as NSString).deletingLastPathComponent
        let bodyPath = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).body-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: bodyPath) }
        var header = try db.read { db -> BundleHeader in
            try self.checkOwnKey(key, db)
            let clock = try Self.clock(db)
            let body = try FileWriter(creating: bodyPath, mode: 0o600)
            var hasher = SHA256()
            func emit(_ bytes: [UInt8]) throws {
                hasher.update(data: bytes)
                try body.write(bytes)
            }
            var ranges: [(site: String, after: Int64, upTo: Int64)] = []
            for (site, top) in clock.entries.sorted(by: { $0.key < $1.key }) where top > since[site] {
                ranges.append((site, since[site], top))
            }
            var count = 0
            if !ranges.isEmpty {
                let condition = ranges.map { _ in "(site = ? AND seq > ?)" }.joined(separator: " OR ")
                var args: [any DatabaseValueConvertible] = []
                for r in ranges { args.append(r.site); args.append(r.after) }
                let cursor = try Row.fetchCursor(db, sql: "SELECT body, hash FROM events WHERE \(condition) ORDER BY clock_sum, site, seq",
                                                 arguments: StatementArguments(args))
                while let row = try cursor.next() {
                    let bytes: Data = row[0]
                    var line = Self.lineWithHash(Array(bytes), hash: row[1])
                    line.append(0x0A)
                    try emit(line)
                    count += 1
                }
            }
            let keys = try Self.pinnedKeys(db)
            var bundleKeys: [String: String] = [site: key.publicKeyHex]
            // Every head signed in each range, not only the last: a receiver then holds the head that ended each batch,
            // so reports name the same covering heads at every site holding the same events (LedgerStore.coveringHeads).
            var headCount = 0
            for r in ranges {
                let heads = try Row.fetchAll(db, sql: "SELECT site, seq, hash, signature FROM heads WHERE site = ? AND seq > ? AND seq <= ? ORDER BY seq",
                                             arguments: [r.site, r.after, r.upTo])
                guard let last = heads.last, (last[1] as Int64) == r.upTo else {
                    throw SyncError("no signed head covers \(r.site):\(r.upTo) in this ledger: run `therapy-ledger verify`")
                }
                for h in heads {
                    let head = SignedHead(site: h[0], seq: h[1], hash: h[2], signature: h[3])
                    try emit(CanonicalJSON.encode(.object(["head": head.json])) + [0x0A])
                    headCount += 1
                }
                bundleKeys[r.site] = keys[r.site]
            }
            try body.close()
            return BundleHeader(network: network, sender: site, senderClock: clock, since: since, count: count, headCount: headCount,
                                digest: ChainHash.hex(Array(hasher.finalize())), keys: bundleKeys)
        }
        try header.sign(with: key.privateKey)
        // The signed header goes first, then the body as written: bundles never land half-written.
        let bytes = try OutputFile.write(path, force: force, what: "bundle") { out in
            let gzip = compress ? try Gzip.Deflater() : nil
            func put(_ bytes: [UInt8]) throws {
                guard let gzip else { try out.write(bytes); return }
                let compressed = try gzip.compress(bytes)
                if !compressed.isEmpty { try out.write(compressed) }
            }
            try put(header.line + [0x0A])
            let reader = try LineReader(path: bodyPath)
            var pending: [UInt8] = []
            pending.reserveCapacity(1 << 17)
            while let line = try reader.next() {
                pending.append(contentsOf: line)
                pending.append(0x0A)
                if pending.count >= 1 << 16 {
                    try put(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
            try put(pending)
            if let gzip { try out.write(try gzip.finish()) }
            return out.bytesWritten
        }
        return BundleExportReport(path: path, events: header.count, bytes: bytes, seconds: Date().timeIntervalSince(started),
                                  since: since, clock: header.senderClock)
    }
}
