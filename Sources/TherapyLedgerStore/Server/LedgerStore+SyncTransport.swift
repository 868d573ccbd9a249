import Foundation
import GRDB
import TherapyLedgerCore

/// One peer's network-sync record: when this ledger last synced with it.
public struct PeerSyncRecord: Sendable, Hashable {
    /// The peer's base URL.
    public var peer: String
    /// The peer's site, once known.
    public var site: String?
    public var lastSuccess: String?
    public var lastAttempt: String?
    public var lastError: String?
}

/// Bundles as bytes, for transports other than files (the site server's network sync). The protocol is the
/// file protocol: the same bundle, written and read by ``exportBundle(to:since:)`` and ``importBundle(from:)``
/// with all their checks, through a private temporary file.
extension LedgerStore {
    /// The bundle of every event `since` lacks, as bytes.
    public func bundleBytes(since: VectorClock) throws -> [UInt8] {
        try withTemporaryFolder { folder in
            let path = folder + "/outgoing.bundle"
            _ = try exportBundle(to: path, since: since)
            guard let data = FileManager.default.contents(atPath: path) else { throw SyncError("cannot read back the bundle just written") }
            return Array(data)
        }
    }

    /// Imports a bundle received as bytes; `label` (e.g. "the bundle from http://north:8750") replaces the
    /// temporary file's name in messages.
    @discardableResult
    public func importBundle(bytes: [UInt8], label: String) throws -> BundleImportReport {
        try withTemporaryFolder { folder in
            let path = folder + "/incoming.bundle"
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
                throw SyncError("cannot write the received bundle to a temporary file in \(folder)")
            }
            do {
                return try importBundle(from: path)
            } catch let e as SyncError {
                throw SyncError(e.message.replacingOccurrences(of: path, with: label))
            }
        }
    }

    private func withTemporaryFolder<T>(_ body: (String) throws -> T) throws -> T {
        let folder = NSTemporaryDirectory() + "therapy-ledger-sync-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try body(folder)
    }

    /// The public key (hex) this ledger pinned for `site`, if any.
    public func pinnedPublicKey(site: String) throws -> String? {
        try db.read { db in try String.fetchOne(db, sql: "SELECT public_key FROM sites WHERE site = ?", arguments: [site]) }
    }

    /// This site's own public key (hex), as pinned in the ledger.
    public var publicKeyHex: String {
        get throws { try pinnedPublicKey(site: site) ?? "" }
    }

    /// Pins `site`'s public key (hex, 32 bytes) so that the site can sync over the network. Refuses to replace
    /// a different pinned key.
    public func pin(site: String, publicKeyHex key: String) throws {
        guard site != self.site else { throw StoreError("\(site) is this ledger's own site: its key is pinned by init") }
        guard Identifiers.isSiteName(site) else { throw StoreError("invalid site name \"\(site)\": use 1-32 of lowercase letters, digits and '-'") }
        guard key.utf8.count == 64, ChainHash.bytes(hex: key) != nil, key == key.lowercased() else {
            throw StoreError("the key for \(site) must be 64 lowercase hex digits (the site's `therapy-ledger sites --key` output)")
        }
        // The operator confirmed the key out of band, as with `sites trust`; the pin is signed with this site's key.
        let ownKey = try SiteKey.load(from: keyPath)
        try db.write { db in
            if let known = try String.fetchOne(db, sql: "SELECT public_key FROM sites WHERE site = ?", arguments: [site]) {
                guard known == key else {
                    throw StoreError("site \(site) is already pinned with key \(SignedHead.fingerprint(publicKeyHex: known)): a pinned key is never replaced")
                }
                return
            }
            try Self.insertPin(site: site, publicKeyHex: key, how: .trusted, owner: self.site, network: network, ownKey: ownKey,
                               now: environment.now().iso8601, db)
        }
    }

    /// Records a network sync with `peer` (its base URL): a success, or a failure with its error.
    public func recordPeerSync(peer: String, site: String?, error: String?) throws {
        let now = environment.now().iso8601
        try db.write { db in
            try db.execute(sql: """
                INSERT INTO peer_sync (peer, site, last_success, last_attempt, last_error) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (peer) DO UPDATE SET site = coalesce(excluded.site, site),
                    last_success = coalesce(excluded.last_success, last_success), last_attempt = excluded.last_attempt, last_error = excluded.last_error
                """, arguments: [peer, site, error == nil ? now : nil, now, error])
        }
    }

    /// Every peer this ledger synced with over the network, by URL.
    public func peerSyncs() throws -> [PeerSyncRecord] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT peer, site, last_success, last_attempt, last_error FROM peer_sync ORDER BY peer").map {
                PeerSyncRecord(peer: $0[0], site: $0[1], lastSuccess: $0[2], lastAttempt: $0[3], lastError: $0[4])
            }
        }
    }
}
