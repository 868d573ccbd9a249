import Crypto
import Foundation
import GRDB
import TherapyLedgerCore

/// What `sync import` did.
public struct BundleImportReport: Sendable {
    public var sender: String
    public var newEvents: Int
    public var duplicates: Int
    /// Conflicts (concurrent programming or corrections) that involve an event this import brought in.
    public var conflicts: Int
    public var seconds: Double
    /// The events this import quarantined (kept in the chain, out of every projection): `site:seq` and the rule.
    public var quarantined: [String] = []
}

/// A bundle line decoded ahead of applying it.
enum PreDecoded: Sendable {
    case other
    /// Canonical bytes, the claimed hash, and the decoded event (nil when it must be decoded in order).
    case event([UInt8], String, Result<RecordedEvent, RecordedEvent.DecodeError>?)
}

/// Two different events claim one (site, seq): the site forked its history.
struct ForkDetected: Error {
    var site: String
    var seq: Int64
    var recordedHash: String
    var incomingHash: String
    var incomingBody: [UInt8]
}

/// An event of the bundle that differs from the one held for its (site, seq): a fork only if a head signed
/// with the site's pinned key covers it, otherwise damage or forgery. The rest of the bundle is read only to
/// follow that version's chain to its heads (and to check the digest); nothing of it is written.
struct ForkCandidate {
    var fork: ForkDetected
    var line: Int
    /// The bundle's version of the site's chain from the differing event on: hash by seq.
    var branch: [Int64: String]
    var tip: (seq: Int64, hash: String)
    /// Whether a head signed with the site's pinned key covers the bundle's version.
    var signed = false
}

extension LedgerStore {
    /// Imports a bundle in one transaction: all or nothing. Checks the header's signature and digest, the
    /// network, pinned site keys, that each origin site's events continue its chain here, that every
    /// event's clock is covered by what the ledger holds plus earlier events of the bundle, and that
    /// signed heads cover what is new. Events already present are skipped.
    @discardableResult
    public func importBundle(from path: String) throws -> BundleImportReport {
        let started = Date()
        deferredCheckpoint?.beforeWrite()
        do {
            return try db.writeWithoutTransaction { db in
                var report: BundleImportReport?
                var checkpointPages = 0
                defer { deferredCheckpoint?.resume(pages: checkpointPages, db) }
                try db.inTransaction(.immediate) {
                    let imported = try self.importBundle(path, db)
                    report = imported
                    checkpointPages = try deferredCheckpoint?.suspend(ifWrote: imported.newEvents, db) ?? 0
                    return .commit
                }
                guard var r = report else { throw SyncError("import produced no report") }
                r.seconds = Date().timeIntervalSince(started)
                return r
            }
        } catch let fork as ForkDetected {
            try? db.write { db in
                try db.execute(sql: """
                    INSERT OR IGNORE INTO fork_evidence (site, seq, recorded_hash, incoming_hash, incoming_body, bundle, detected_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [fork.site, fork.seq, fork.recordedHash, fork.incomingHash, Data(fork.incomingBody), path, environment.now().iso8601])
            }
            throw SyncError(keptForkEvidence: true, "site \(fork.site) has forked its history: this ledger holds \(fork.site):\(fork.seq) with hash \(fork.recordedHash.prefix(16))…, the bundle \(path) brings a different event with hash \(fork.incomingHash.prefix(16))…. Import refused; both sides are kept in the table fork_evidence for an investigation. Stop syncing with \(fork.site) until it is resolved.")
        }
    }

    private func importBundle(_ path: String, _ db: Database) throws -> BundleImportReport {
        let reader = try BundleReader(path: path)
        let header = try reader.header()
        guard header.network == network else {
            throw SyncError("\(path) comes from network \(header.network), this ledger belongs to network \(network): bundles never cross networks")
        }
        guard header.isSignatureValid else {
            throw SyncError("\(path): the header signature does not verify with the sender's key: the bundle was altered or re-signed")
        }
        // Key pinning (known_hosts style): a key already pinned must be presented unchanged; a new key is
        // pinned only on direct first contact (the bundle's sender itself) or when an operator trusted its
        // fingerprint by hand (`sites trust`). A key a relay lists for a third site pins nothing.
        var pinned = try Self.pinnedKeys(db)
        for (site, key) in header.keys.sorted(by: { $0.key < $1.key }) {
            if let known = pinned[site], known != key {
                throw SyncError("\(path): site \(site) presents key \(SignedHead.fingerprint(publicKeyHex: key)) but this ledger pinned \(SignedHead.fingerprint(publicKeyHex: known)): possible impersonation; import refused. If \(site) really replaced its key, confirm the new fingerprint with its administrator out of band before doing anything else.")
            }
        }
        let trusted = try Self.trustedFingerprints(db, owner: site, network: network)
        var newPins: [(site: String, key: String, how: PinSource)] = []
        for (site, key) in header.keys.sorted(by: { $0.key < $1.key }) where pinned[site] == nil {
            let print = SignedHead.fingerprint(publicKeyHex: key)
            if let expected = trusted[site] {
                guard expected == print else {
                    throw SyncError("\(path): the bundle from \(header.sender) presents key \(print) for site \(site), but this ledger trusts \(expected) for it (`sites trust`): possible impersonation; import refused.")
                }
                newPins.append((site, key, .trusted))
            } else if site == header.sender {
                newPins.append((site, key, .direct))
            }
        }
        if !newPins.isEmpty {
            let ownKey: SiteKey
            do { ownKey = try SiteKey.load(from: keyPath) } catch {
                throw SyncError("\(path): pinning the key of \(newPins.map(\.site).joined(separator: ", ")) needs this site's key file to sign the pin: \(error)")
            }
            try checkOwnKey(ownKey, db)
            let now = environment.now().iso8601
            for pin in newPins {
                try Self.insertPin(site: pin.site, publicKeyHex: pin.key, how: pin.how, owner: site, network: network, ownKey: ownKey, now: now, db)
                pinned[pin.site] = pin.key
                try db.execute(sql: "DELETE FROM trusted_sites WHERE site = ?", arguments: [pin.site])
            }
        }

        var known = try Self.clock(db)
        var lastHash: [String: String] = [:]
        let digest = BundleDigest()
        var newEvents = 0
        var duplicates = 0
        var eventLines = 0
        var headLines = 0
        var patients = Set<String>()
        // Patients whose new events can take part in a conflict (dose-setting events, corrections), with the
        // site of those events (nil: several sites).
        var conflictDomains: [String: String?] = [:]
        var newTop: [String: Int64] = [:]
        var headsSeen: [String: Int64] = [:]
        let existing = try db.cachedStatement(sql: "SELECT hash FROM events WHERE site = ? AND seq = ?")
        let clockOf = try db.cachedStatement(sql: "SELECT clock FROM events WHERE site = ? AND seq = ?")
        var lastClock: [String: VectorClock] = [:]
        let typeLookup: (String) -> EventType? = { id in try? Self.type(of: id, db) }
        var validation = try ImportValidation(db: db, receivedAt: environment.now())
        let insert = try EventRow.insertStatement(db)
        var quarantinedNow: [String] = []

        /// Refuses an event whose own site's earlier events, or whose causal past at other sites, this
        /// ledger does not hold yet.
        func requirePast(site eventSite: String, seq: Int64, clock: VectorClock, lineNo: Int) throws {
            let have = known[eventSite]
            // The bundle holds every event of its sender beyond `since`: when this ledger holds a site up to
            // `since`, a gap can only be damage inside the bundle (lines reordered or removed), not a missing bundle.
            if seq > have + 1 {
                if have >= header.since[eventSite] { throw reader.damaged(line: lineNo, "\(eventSite):\(seq) comes before \(eventSite):\(have + 1)") }
                throw SyncError("missing \(eventSite) \(have + 1)-\(seq - 1): import the earlier bundle first (\(path), line \(lineNo))")
            }
            // The first missing site in site order is reported; sorting only when one is missing.
            guard clock.entries.contains(where: { $0.key != eventSite && known[$0.key] < $0.value }) else { return }
            for (s, n) in clock.entries.sorted(by: { $0.key < $1.key }) where s != eventSite && known[s] < n {
                if known[s] >= header.since[s] { throw reader.damaged(line: lineNo, "\(eventSite):\(seq) has seen \(s):\(n), which has not come before it") }
                throw SyncError("missing \(s) \(known[s] + 1)-\(n): \(eventSite):\(seq) has seen them but this ledger has not; import the earlier bundle first (\(path), line \(lineNo))")
            }
        }

        func hashOf(_ site: String, _ seq: Int64) throws -> String? {
            if seq == 0 { return ChainHash.genesis }
            if let h = lastHash[site], known[site] == seq { return h }
            return try String.fetchOne(existing, arguments: [site, seq])
        }

        // Lines are read in chunks; event lines are decoded and hashed on all cores (decoding is pure; an
        // amend, whose facts need its target's type, is decoded in order below) while the chunk before is
        // applied in order here.
        func readChunk() throws -> (lines: [(line: [UInt8], number: Int)], pre: ParallelMap.Pending<PreDecoded>)? {
            var lines: [(line: [UInt8], number: Int)] = []
            while lines.count < 4096, let slice = try reader.next() { lines.append((Array(slice), reader.lineNumber)) }
            guard !lines.isEmpty else { return nil }
            let bytes = lines.map(\.line)
            digest.add(bytes)
            return (lines, ParallelMap.start(bytes) { Self.predecode($0) })
        }
        var candidate: ForkCandidate?
        /// After an event differing from the one held: follows that version's chain and its signed heads.
        func follow(_ candidate: inout ForkCandidate?, line: [UInt8], pre: PreDecoded, lineNo: Int) throws {
            guard var c = candidate else { return }
            defer { candidate = c }
            if line.starts(with: Self.headMarker) {
                guard case .object(let o)? = try? JSONParser.parse(line), let hv = o["head"], let head = SignedHead(json: hv) else {
                    throw SyncError("\(path): line \(lineNo): malformed signed head")
                }
                guard head.site == c.fork.site else { return }
                if let key = pinned[head.site], head.isValid(network: network, publicKeyHex: key), c.branch[head.seq] == head.hash {
                    c.signed = true
                }
                return
            }
            guard case .event(let canonical, let claimedHash, let decoded) = pre else {
                throw SyncError("\(path): line \(lineNo): not a recorded event (no hash field)")
            }
            guard case .success(let event) = decoded ?? RecordedEvent.decode(canonical, targetType: typeLookup) else {
                throw SyncError("\(path): line \(lineNo): invalid recorded event")
            }
            guard event.site == c.fork.site else { return }
            guard event.hash == claimedHash, event.seq == c.tip.seq + 1, event.prev == c.tip.hash else {
                throw SyncError("\(path): line \(lineNo): \(event.site):\(event.seq) does not match its hash or does not continue the bundle's own chain of \(event.site): the bundle was altered")
            }
            c.branch[event.seq] = event.hash
            c.tip = (event.seq, event.hash)
        }
        var upcoming = try readChunk()
        while let (chunk, predecoding) = upcoming {
            upcoming = try readChunk()
            let pre = predecoding.wait()
            for (k, item) in chunk.enumerated() {
                let line = item.line
                let lineNo = item.number
                if line.isEmpty { continue }
                if candidate != nil {
                    if line.starts(with: Self.headMarker) { headLines += 1 } else { eventLines += 1 }
                    try follow(&candidate, line: line, pre: pre[k], lineNo: lineNo)
                    continue
                }
                if line.starts(with: Self.headMarker) {
                    headLines += 1
                    guard case .object(let o)? = try? JSONParser.parse(line), let hv = o["head"], let head = SignedHead(json: hv) else {
                        throw SyncError("\(path): line \(lineNo): malformed signed head")
                    }
                    guard let key = pinned[head.site], head.isValid(network: network, publicKeyHex: key) else {
                        throw SyncError("\(path): line \(lineNo): the signed head \(head.site):\(head.seq) does not verify with the site's key: forged or altered")
                    }
                    guard let h = try hashOf(head.site, head.seq), h == head.hash else {
                        throw SyncError("\(path): line \(lineNo): the signed head \(head.site):\(head.seq) does not match the events: the bundle was altered")
                    }
                    try db.execute(sql: "INSERT OR IGNORE INTO heads (site, seq, hash, signature) VALUES (?, ?, ?, ?)",
                                   arguments: [head.site, head.seq, head.hash, head.signature])
                    headsSeen[head.site] = max(headsSeen[head.site] ?? 0, head.seq)
                    continue
                }
                eventLines += 1
                guard case .event(let canonical, let claimedHash, let decoded) = pre[k] else {
                    throw SyncError("\(path): line \(lineNo): not a recorded event (no hash field)")
                }
                let event: RecordedEvent
                if decoded == nil, case .object(let o)? = try? JSONParser.parse(canonical), case .string(let s)? = o["site"],
                   let n = o["seq"]?.integer(in: IntegerLimits.seq), let c = o["clock"].flatMap(VectorClock.init(json:)) {
                    // An amend's facts need its target, which its causal past holds: a missing past is reported
                    // as such (import the earlier bundle first), not as an unknown target.
                    try requirePast(site: s, seq: n, clock: c, lineNo: lineNo)
                }
                switch decoded ?? RecordedEvent.decode(canonical, targetType: typeLookup) {
                case .success(let e): event = e
                case .failure(let e): throw SyncError("\(path): line \(lineNo): invalid recorded event: \(e.message)")
                }
                guard event.hash == claimedHash else {
                    throw SyncError("\(path): line \(lineNo): event \(event.site):\(event.seq) does not match its hash: the bundle was altered")
                }
                // A seq above the highest held for its site cannot be recorded yet: no lookup needed.
                if event.seq <= known[event.site], let recorded = try String.fetchOne(existing, arguments: [event.site, event.seq]) {
                    if recorded == event.hash {
                        duplicates += 1
                        continue
                    }
                    if event.site != site && pinned[event.site] == nil {
                        throw SyncError("\(path): line \(lineNo): \(event.site):\(event.seq) differs from the event held here, and no key is pinned for \(event.site): the ledger is damaged; run `therapy-ledger verify`")
                    }
                    let fork = ForkDetected(site: event.site, seq: event.seq, recordedHash: recorded, incomingHash: event.hash, incomingBody: canonical)
                    candidate = ForkCandidate(fork: fork, line: lineNo, branch: [event.seq: event.hash], tip: (event.seq, event.hash))
                    continue
                }
                if event.site == site {
                    throw SyncError("\(path): line \(lineNo): the bundle holds \(site):\(event.seq), an event of this very site that this ledger lacks: was the ledger restored from an old backup? Import refused.")
                }
                guard pinned[event.site] != nil else {
                    guard let presented = header.keys[event.site] else {
                        throw SyncError("\(path): line \(lineNo): no key for site \(event.site) in the bundle or this ledger")
                    }
                    throw SyncError("\(path): line \(lineNo): \(event.site):\(event.seq) is relayed by \(header.sender), but this ledger has never had a bundle from \(event.site) itself, so its key is not trusted here (a relay cannot vouch for another site's key; the bundle presents \(SignedHead.fingerprint(publicKeyHex: presented))). Import a bundle \(event.site) sends itself, or confirm its fingerprint with its administrator out of band and run `therapy-ledger sites trust \(event.site) FINGERPRINT`, then import again.")
                }
                try requirePast(site: event.site, seq: event.seq, clock: event.clock, lineNo: lineNo)
                guard let prevHash = try hashOf(event.site, event.seq - 1), prevHash == event.prev else {
                    throw SyncError("\(path): line \(lineNo): \(event.site):\(event.seq) does not continue the chain of \(event.site) held here (prev mismatch)")
                }
                // A site's clock never goes back: conflict detection relies on it (see ConflictDetector.concurrentPairs).
                let previousClock: VectorClock?
                if let c = lastClock[event.site] {
                    previousClock = c
                } else if event.seq > 1, let text = try String.fetchOne(clockOf, arguments: [event.site, event.seq - 1]) {
                    previousClock = VectorClock(canonical: text)
                } else {
                    previousClock = nil
                }
                if let previousClock, !event.clock.dominates(previousClock) {
                    throw SyncError("\(path): line \(lineNo): the clock of \(event.site):\(event.seq) goes back from its previous event's: a site's clock never decreases; the bundle or that site's ledger is corrupt")
                }
                lastClock[event.site] = event.clock
                // Checked like an append, against what the origin had seen; a failure is quarantined, not refused.
                let rule = try validation.rule(for: event)
                // Ids are unique per site: the same id recorded at another site is a collision, kept and shown
                // (`id-collision`), never a reason to stop replication.
                try RawInsert.execute(insert, event)
                try validation.recorded(event, quarantinedFor: rule)
                if let rule {
                    quarantinedNow.append("\(event.site):\(event.seq) (\(event.type.rawValue), patient \(event.patient)): \(rule)")
                }
                known[event.site] = event.seq
                lastHash[event.site] = event.hash
                newTop[event.site] = event.seq
                patients.insert(event.patient)
                if ProjectionEvent.needsClock(event.type) {
                    if let domain = conflictDomains[event.patient] {
                        if domain != event.site { conflictDomains[event.patient] = .some(nil) }
                    } else {
                        conflictDomains[event.patient] = event.site
                    }
                }
                newEvents += 1
            }
            // Freeing a chunk's lines and decoded events is work the ordered part need not do.
            ParallelMap.release(chunk)
            ParallelMap.release(pre)
        }
        if eventLines < header.count || headLines < header.headCount {
            throw reader.truncated("the header announces \(header.count) event lines and \(header.headCount) signed heads, the file holds \(eventLines) and \(headLines)")
        }
        guard digest.finalize() == header.digest else {
            throw SyncError("\(path): the digest does not match the header: the bundle is truncated or was altered")
        }
        guard eventLines == header.count else {
            throw SyncError("\(path): the header announces \(header.count) event\(header.count == 1 ? "" : "s") but the bundle holds \(eventLines): truncated or altered")
        }
        if let c = candidate {
            guard c.signed else {
                let f = c.fork
                throw SyncError("\(path): line \(c.line): the bundle's \(f.site):\(f.seq) (hash \(f.incomingHash.prefix(16))…) differs from the one this ledger holds (hash \(f.recordedHash.prefix(16))…), but no head signed with \(f.site)'s pinned key covers it: the bundle was damaged or forged by its sender \(header.sender), which is no evidence that \(f.site) forked. Get the bundle again, or from a site you trust.")
            }
            throw c.fork
        }
        for (site, top) in newTop.sorted(by: { $0.key < $1.key }) where (headsSeen[site] ?? 0) < top {
            throw SyncError("\(path): no signed head covers \(site) up to \(top): the bundle is incomplete or altered")
        }
        try db.execute(sql: "UPDATE sites SET last_clock = ?, last_bundle = ? WHERE site = ?",
                       arguments: [header.senderClock.description, "\((path as NSString).lastPathComponent) (\(header.digest.prefix(12)))", header.sender])
        try markStale(patients, db)
        var conflicts = 0
        for (patient, site) in conflictDomains.sorted(by: { $0.key < $1.key }) {
            // A conflict needs concurrent events, so events of several sites: where the patient's events that can
            // conflict all come from the one site of its new ones, there is none (the usual case), and its
            // history need not be read.
            if let site, try !Self.hasEventThatCanConflict(patient: patient, otherThan: site, db) {
                if validation.crossChecks, try Self.newConflicts(of: patient, validation.past, db) != 0 {
                    throw StoreError("import found no conflict for patient \(patient) without reading its history, but there is one. This is a bug in therapy-ledger; nothing was imported, please report it")
                }
                continue
            }
            conflicts += try Self.newConflicts(of: patient, validation.past, db)
        }
        return BundleImportReport(sender: header.sender, newEvents: newEvents, duplicates: duplicates, conflicts: conflicts, seconds: 0,
                                  quarantined: quarantinedNow)
    }

    /// The conflicts of `patient` that involve an event this import brought in.
    static func newConflicts(of patient: String, _ past: ImportPast, _ db: Database) throws -> Int {
        let effective = EffectiveEvents(try ProjectionRows.events(patient: patient, db))
        let found = ConflictDetector.conflicts(in: effective.all, status: effective.status, asOf: nil)
        return found.filter { $0.eventIDs.contains(where: past.hasImported) }.count
    }

    /// Whether the ledger holds an event of `patient` that can take part in a conflict, recorded at a site other than `site`.
    static func hasEventThatCanConflict(patient: String, otherThan site: String, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: otherSiteConflictSQL), arguments: [patient, site]) ?? true
    }

    static let otherSiteConflictSQL = "SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_facts_by_patient WHERE patient = ? AND site != ? AND type IN ("
        + EventType.allCases.filter(ConflictDetector.canConflict).map { String($0.code) }.joined(separator: ", ") + "))"

    static let amendMarker = Array("\"action\":\"amend\"".utf8)
    /// How a signed head's line begins.
    static let headMarker = Array("{\"head\":".utf8)

    /// Decodes an event line ahead of applying it (pure, so lines are decoded in parallel).
    static func predecode(_ line: [UInt8]) -> PreDecoded {
        if line.isEmpty || line.starts(with: headMarker) { return .other }
        guard let (canonical, claimedHash) = splitHash(line) else { return .other }
        if CanonicalJSON.firstOffset(of: amendMarker, in: line) != nil { return .event(canonical, claimedHash, nil) }
        return .event(canonical, claimedHash, RecordedEvent.decode(canonical, targetType: { _ in nil }))
    }

    /// Splits a recorded-event line into its canonical bytes (without `"hash"`) and the hash.
    static func splitHash(_ line: [UInt8]) -> ([UInt8], String)? {
        guard let i = CanonicalJSON.topLevelMemberOffset("hash", in: line) else { return nil }
        let start = i + 9  // ,"hash":"
        guard start + 65 <= line.count, line[start - 1] == 0x22, line[start + 64] == 0x22 else { return nil }
        let hash = String(decoding: line[start..<(start + 64)], as: UTF8.self)
        return (Array(line[..<i]) + line[(start + 65)...], hash)
    }

    /// Each known site: its pinned key's fingerprint, last seq held, and the last bundle seen from it.
    public func sites() throws -> [(site: String, fingerprint: String, lastSeq: Int64, lastBundle: String?, pinnedAt: String)] {
        try db.read { db in
            let clock = try Self.clock(db)
            return try Row.fetchAll(db, sql: "SELECT site, public_key, last_bundle, pinned_at FROM sites ORDER BY site").map {
                ($0[0], SignedHead.fingerprint(publicKeyHex: $0[1]), clock[$0[0] as String], $0[2], $0[3])
            }
        }
    }
}
