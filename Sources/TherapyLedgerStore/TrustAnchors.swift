import Foundation
import GRDB
import TherapyLedgerCore

/// How a site's key came to be pinned in this ledger.
public enum PinSource: String, Sendable {
    /// This site's own key, pinned by `init`.
    case own
    /// Pinned on direct first contact: a bundle whose sender was that site.
    case direct
    /// Pinned because an operator confirmed its fingerprint with `sites trust`.
    case trusted
}

/// What `sites trust` did.
public enum TrustOutcome: Sendable, Equatable {
    /// The site's key was pinned already with this fingerprint; its pin is now signed as trusted.
    case confirmedPinnedKey
    /// The site's key is not known yet: the first bundle presenting a key with this fingerprint pins it.
    case awaitingKey
}

extension LedgerStore {
    /// Records that `site`'s key is `publicKeyHex`, signed with this site's key.
    static func insertPin(site pinnedSite: String, publicKeyHex: String, how: PinSource, owner: String, network: String,
                          ownKey: SiteKey, now: String, _ db: Database) throws {
        let message = PinRecord.pinMessage(network: network, owner: owner, site: pinnedSite, publicKeyHex: publicKeyHex)
        try db.execute(sql: "INSERT INTO sites (site, public_key, pinned_at, pin_signature, pinned_how) VALUES (?, ?, ?, ?, ?)",
                       arguments: [pinnedSite, publicKeyHex, now, try PinRecord.sign(message, with: ownKey.privateKey), how.rawValue])
    }

    /// The fingerprints trusted by hand for sites whose key has not been seen yet, by site, whose signature
    /// verifies with this site's pinned key (an unsigned or forged row is ignored, and `verify` reports it).
    static func trustedFingerprints(_ db: Database, owner: String, network: String) throws -> [String: String] {
        let ownKey = try String.fetchOne(db, sql: "SELECT public_key FROM sites WHERE site = ?", arguments: [owner])
        var trusted: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT site, fingerprint, signature FROM trusted_sites") {
            let site: String = row[0], fingerprint: String = row[1]
            if PinRecord.isValid(row[2], for: PinRecord.trustMessage(network: network, owner: owner, site: site, fingerprint: fingerprint), ownerKeyHex: ownKey) {
                trusted[site] = fingerprint
            }
        }
        return trusted
    }

    /// Trusts `fingerprint` as the key of `site`, confirmed out of band with that site's administrator:
    /// bundles relayed by other sites may then carry its events. Needs this site's key file (the trust is
    /// signed with it). Refuses a fingerprint that differs from a key pinned already. For this site itself,
    /// re-signs its own pin when `fingerprint` is its key file's (a ledger made before signed pins).
    @discardableResult
    public func trust(site trustedSite: String, fingerprint text: String) throws -> TrustOutcome {
        guard Identifiers.isSiteName(trustedSite) else {
            throw StoreError("invalid site name \"\(trustedSite)\": use 1-32 of lowercase letters, digits and '-'")
        }
        guard let fingerprint = PinRecord.normalizedFingerprint(text) else {
            throw StoreError("\"\(text)\" is not a key fingerprint: expected SHA256: and 32 hex digits, as `therapy-ledger sites list` prints it at \(trustedSite)")
        }
        let key = try SiteKey.load(from: keyPath)
        if trustedSite == site && SignedHead.fingerprint(publicKeyHex: key.publicKeyHex) != fingerprint {
            throw StoreError("\(fingerprint) is not the fingerprint of this site's key file \(keyPath) (\(SignedHead.fingerprint(publicKeyHex: key.publicKeyHex))): nothing changed")
        }
        let now = environment.now().iso8601
        return try db.write { db in
            // The own site's pin (unsigned in a ledger made before signed pins) is re-signed the same way.
            try self.checkOwnKey(key, db)
            if let pinned = try String.fetchOne(db, sql: "SELECT public_key FROM sites WHERE site = ?", arguments: [trustedSite]) {
                let pinnedPrint = SignedHead.fingerprint(publicKeyHex: pinned)
                guard pinnedPrint == fingerprint else {
                    throw StoreError("site \(trustedSite) is pinned here with key \(pinnedPrint), not \(fingerprint): nothing changed. If \(trustedSite) really replaced its key, this version cannot re-key a site; ask its administrator which fingerprint is right")
                }
                let message = PinRecord.pinMessage(network: network, owner: site, site: trustedSite, publicKeyHex: pinned)
                try db.execute(sql: "UPDATE sites SET pin_signature = ?, pinned_how = ? WHERE site = ?",
                               arguments: [try PinRecord.sign(message, with: key.privateKey), (trustedSite == site ? PinSource.own : .trusted).rawValue, trustedSite])
                return .confirmedPinnedKey
            }
            let message = PinRecord.trustMessage(network: network, owner: site, site: trustedSite, fingerprint: fingerprint)
            try db.execute(sql: "INSERT OR REPLACE INTO trusted_sites (site, fingerprint, trusted_at, signature) VALUES (?, ?, ?, ?)",
                           arguments: [trustedSite, fingerprint, now, try PinRecord.sign(message, with: key.privateKey)])
            return .awaitingKey
        }
    }

    /// Fingerprints trusted by hand whose key no bundle has presented yet, by site.
    public func awaitingTrust() throws -> [String: String] {
        try db.read { db in try Self.trustedFingerprints(db, owner: site, network: network) }
    }

    /// The checks of the trust anchors: this site's key (against the key file, `--site-key` or a kept heads
    /// file) and every pin's and trusted fingerprint's signature. Returns the problems and the checks that
    /// could not be made.
    static func verifyAnchors(_ db: Database, site ownSite: String, network: String, keyPath: String?, siteKey: String?,
                              against: HeadsFile?) throws -> (problems: [VerificationProblem], notChecked: [String]) {
        var problems: [VerificationProblem] = []
        var notChecked: [String] = []
        let keys = try pinnedKeys(db)
        let ownKey = keys[ownSite]
        var anchored = false
        if let keyPath, FileManager.default.fileExists(atPath: keyPath) {
            do {
                let key = try SiteKey.load(from: keyPath)
                if ownKey != key.publicKeyHex {
                    problems.append(VerificationProblem(site: ownSite, message: "the key file \(keyPath) does not match the key pinned for this site: the key file was swapped or the pinned key was edited"))
                } else {
                    anchored = true
                }
            } catch {
                problems.append(VerificationProblem(site: ownSite, message: "\(error)"))
            }
        }
        if let siteKey {
            let pinnedPrint = ownKey.map { SignedHead.fingerprint(publicKeyHex: $0) } ?? "none"
            if PinRecord.normalizedFingerprint(siteKey) != pinnedPrint {
                problems.append(VerificationProblem(site: ownSite, message: "the key pinned for this site has fingerprint \(pinnedPrint), not \(siteKey) given with --site-key: the pinned key was replaced, and this site's history and pins may have been rewritten and re-signed with it. Restore the ledger from a backup you trust, or rebuild it from a peer"))
            } else {
                anchored = true
            }
        }
        if let against, let kept = against.heads.first(where: { $0.head.site == ownSite }), kept.publicKey == ownKey {
            anchored = true  // a mismatch is reported by the heads-file check itself
        }
        if !anchored && !problems.contains(where: { $0.site == ownSite }) {
            notChecked.append("this site's key (\(ownSite)): no key file at \(keyPath ?? "-") and no --site-key FINGERPRINT, so the ledger file alone cannot show a history re-signed with a new key; give --site-key with the fingerprint `sites list` printed when the ledger was whole, or --against a kept heads file")
            if keys.count > 1 {
                notChecked.append("the keys pinned for other sites: their pins are signed with this site's key, which nothing outside the file vouches for")
            }
        }
        for row in try Row.fetchAll(db, sql: "SELECT site, public_key, pin_signature FROM sites ORDER BY site") {
            let pinnedSite: String = row[0], key: String = row[1]
            let signature: String? = row[2]
            let message = PinRecord.pinMessage(network: network, owner: ownSite, site: pinnedSite, publicKeyHex: key)
            if signature == nil {
                problems.append(VerificationProblem(site: pinnedSite, message: "the pinned key \(SignedHead.fingerprint(publicKeyHex: key)) is not signed by this site (pinned by a version before signed pins, or the signature was removed): confirm the fingerprint with \(pinnedSite)'s administrator, then run `therapy-ledger sites trust \(pinnedSite) FINGERPRINT`"))
            } else if !PinRecord.isValid(signature, for: message, ownerKeyHex: ownKey) {
                problems.append(VerificationProblem(site: pinnedSite, message: "the pinned key \(SignedHead.fingerprint(publicKeyHex: key)) is not the one this site signed: the pinned key was replaced, and \(pinnedSite)'s events and heads may have been rewritten with it. Restore the ledger from a backup, or rebuild it from a peer"))
            }
        }
        for row in try Row.fetchAll(db, sql: "SELECT site, fingerprint, signature FROM trusted_sites ORDER BY site") {
            let trustedSite: String = row[0], fingerprint: String = row[1]
            if !PinRecord.isValid(row[2], for: PinRecord.trustMessage(network: network, owner: ownSite, site: trustedSite, fingerprint: fingerprint), ownerKeyHex: ownKey) {
                problems.append(VerificationProblem(site: trustedSite, message: "the fingerprint \(fingerprint) trusted for this site is not signed by this site: it was added or edited outside therapy-ledger; it is ignored by imports. Delete the ledger's row or run `therapy-ledger sites trust \(trustedSite) FINGERPRINT` with the right fingerprint"))
            }
        }
        return (problems, notChecked)
    }
}

extension LedgerStore {
    /// The fingerprint of this site's pinned key, as `sites list` prints it (what other sites give to
    /// `sites trust`, and an auditor to `verify --site-key`).
    public func ownFingerprint() throws -> String {
        try db.read { db in
            guard let key = try String.fetchOne(db, sql: "SELECT public_key FROM sites WHERE site = ?", arguments: [site]) else {
                throw StoreError("\(path) pins no key for its own site \(site): the ledger is damaged; run `therapy-ledger verify`")
            }
            return SignedHead.fingerprint(publicKeyHex: key)
        }
    }
}
