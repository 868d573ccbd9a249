import Foundation
import GRDB
import TherapyLedgerCore

/// A site's last event that a report used, and the signed head that vouches for it.
public struct CoveringHead: Sendable, Hashable {
    /// The site and seq of the last event of that site the report used, and its chain hash.
    public var site: String
    public var lastSeq: Int64
    public var lastHash: String
    /// The first head the site signed at or after `lastSeq`: the end of the batch that recorded that event. Its hash
    /// chains back through every earlier event of the site, so it covers all the site's events the report used.
    public var head: SignedHead
    /// The fingerprint of the site's pinned public key (``SignedHead/fingerprint(publicKeyHex:)``).
    public var keyFingerprint: String
}

extension LedgerStore {
    /// For each site in `lastSeqs` (site to the last seq used), that event's hash and the first signed head at or
    /// after it.
    ///
    /// The head chosen is the one the site signed at the end of the batch that recorded the event: a fact of the
    /// events themselves, not of how they travelled. Every ledger holding the event holds that head, since
    /// bundles carry every head in the range they ship (``exportBundle(to:since:)``), so two sites holding the
    /// same events name the same heads.
    public func coveringHeads(_ lastSeqs: [String: Int64]) throws -> [CoveringHead] {
        try db.read { db in
            let keys = try Self.pinnedKeys(db)
            var out: [CoveringHead] = []
            for (site, seq) in lastSeqs.sorted(by: { $0.key < $1.key }) {
                guard let hash = try String.fetchOne(db, sql: "SELECT hash FROM events WHERE site = ? AND seq = ?", arguments: [site, seq]) else {
                    throw StoreError("no event \(site):\(seq) in this ledger")
                }
                guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash, signature FROM heads WHERE site = ? AND seq >= ? ORDER BY seq LIMIT 1",
                                                 arguments: [site, seq]) else {
                    throw StoreError("no signed head covers \(site):\(seq) in this ledger: run `therapy-ledger verify`")
                }
                let head = SignedHead(site: site, seq: row[0], hash: row[1], signature: row[2])
                out.append(CoveringHead(site: site, lastSeq: seq, lastHash: hash, head: head,
                                        keyFingerprint: keys[site].map { SignedHead.fingerprint(publicKeyHex: $0) } ?? "unknown"))
            }
            return out
        }
    }

    /// Each site's highest seq among the events recorded (at their origin) at or before `knownAt` (every event when
    /// nil), and how many events that is.
    public func lastSeqs(knownAt: Timestamp?) throws -> (lastSeqs: [String: Int64], events: Int) {
        try db.read { db in
            var out: [String: Int64] = [:]
            var count = 0
            let rows: [Row]
            if let knownAt {
                rows = try Row.fetchAll(db, sql: "SELECT site, MAX(seq), COUNT(*) FROM events WHERE recorded_at <= ? GROUP BY site", arguments: [knownAt.seconds])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT site, MAX(seq), COUNT(*) FROM events GROUP BY site")
            }
            for row in rows {
                out[row[0]] = row[1]
                count += row[2] as Int
            }
            return (out, count)
        }
    }
}
