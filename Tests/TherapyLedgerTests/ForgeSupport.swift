import Foundation
import GRDB
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Records submission lines in a site's own chain without checking them against the ledger, each batch
/// signed with the site's key as an append is: what a peer with buggy or hostile software sends. Lines are
/// parsed leniently (rule set 1 for their own content); `recordedAt` gives each line's recording time
/// (default ``testNow``); `rules` is the rule set written into the events (1 writes no `rules` member).
@discardableResult
func forgeAppend(_ site: SyncSite, _ lines: [String], recordedAt: [Timestamp]? = nil, rules: Int = RuleSet.current) throws -> [RecordedEvent] {
    let key = try SiteKey.load(from: site.store.keyPath)
    let store = site.store
    return try store.db.write { db in
        var clock = try LedgerStore.clock(db)
        var seq = clock[site.name]
        var prev = try String.fetchOne(db, sql: "SELECT hash FROM events WHERE site = ? AND seq = ?", arguments: [site.name, seq]) ?? ChainHash.genesis
        var out: [RecordedEvent] = []
        for (i, line) in lines.enumerated() {
            var notes: [FieldError] = []
            guard case .success(var s) = Submission.parse(try JSONParser.parse(line), line: i + 1, now: Timestamp(seconds: Int64.max / 4), rules: 1, notes: &notes) else {
                throw TestFailure("the forged line \(i + 1) does not parse: \(line)")
            }
            if s.type == .eventCorrected, s.facts.action == "amend", let target = s.facts.ref, let t = try LedgerStore.type(of: target, db),
               case .success(let f) = RecordedEvent.amendFacts(s, targetType: t, rules: 1, notes: &notes) {
                s.facts = f
            }
            seq += 1
            clock[site.name] = seq
            let e = RecordedEvent.seal(s, id: s.id ?? site.environment.newID(), site: site.name, seq: seq, recordedAt: recordedAt?[i] ?? testNow,
                                       clock: clock, prev: prev, recordedBy: nil, hashing: true, rules: rules)
            try EventRow.insert(e, db)
            prev = e.hash
            out.append(e)
        }
        let head = try SignedHead.sign(network: store.network, site: site.name, seq: seq, hash: prev, key: key.privateKey)
        try db.execute(sql: "INSERT INTO heads (site, seq, hash, signature) VALUES (?, ?, ?, ?)", arguments: [head.site, head.seq, head.hash, head.signature])
        return out
    }
}

/// The alerts of a patient's status JSON with the given code.
func alerts(_ status: PatientStatus, code: String) -> [Alert] {
    status.alerts.filter { $0.code == code }
}
