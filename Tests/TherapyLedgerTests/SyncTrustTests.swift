import Crypto
import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Replaces `old` by `new` in a recorded-event line and recomputes its hash, as anyone can: the result is
/// a well-formed event whose chain link still names the original previous hash.
private func rewrittenEventLine(_ line: String, replacing old: String, with new: String) throws -> String {
    let edited = line.replacingOccurrences(of: old, with: new)
    guard edited != line else { throw TestFailure("\(old) is not in \(line)") }
    guard let (canonical, _) = LedgerStore.splitHash(Array(edited.utf8)), case .object(let o) = json(edited),
          case .string(let prev)? = o["prev"] else { throw TestFailure("not a recorded event: \(edited)") }
    return String(decoding: LedgerStore.lineWithHash(canonical, hash: ChainHash.eventHash(prev: prev, canonical: canonical)), as: UTF8.self)
}

/// A bundle of `lines` (a header's lines excluded) sent by `sender` with a throwaway key, with a correct
/// digest unless `breakDigest`.
private func throwawayBundle(_ body: [String], sender: String, keys: [String: String], network: String = "test",
                             breakDigest: Bool = false, in dir: TempDir, _ name: String) throws -> String {
    let key = Curve25519.Signing.PrivateKey()
    var allKeys = keys
    allKeys[sender] = ChainHash.hex(Array(key.publicKey.rawRepresentation))
    var digest = ChainHash.sha256Hex(Array(body.map { $0 + "\n" }.joined().utf8))
    if breakDigest { digest = String(digest.reversed()) }
    let events = body.filter { !$0.hasPrefix("{\"head\":") }.count
    var header = BundleHeader(network: network, sender: sender, senderClock: VectorClock(), since: VectorClock(), count: events,
                              headCount: body.count - events, digest: digest, keys: allKeys)
    try header.sign(with: key)
    return writeBundle([String(decoding: header.line, as: UTF8.self)] + body, in: dir, name)
}

@Suite(.serialized) struct SyncTrustTests {
    // MARK: Item 7: a key is pinned only by its own site

    @Test func aRelayCannotPinAThirdSitesKey() throws {
        let bundles = TempDir(inMemory: true)
        let south = try SyncSite("south", index: 2)
        let relay = try SyncSite("relay", index: 3)
        let impostor = try SyncSite("west", index: 9)
        let west = try SyncSite("west", index: 4)
        try impostor.append([enrol("P1", at: syncTime(0))])
        try relay.store.importBundle(from: impostor.export(to: bundles))
        let relayed = try relay.export(to: bundles)
        #expect(try bundleHeader(relayed).keys["west"] != nil, "the relay lists a key for west")
        try expectRefused(south, relayed, ["west:1", "relayed by relay", "therapy-ledger sites trust west", try impostor.fingerprint()])
        #expect(try south.store.sites().map(\.site) == ["south"], "nothing was pinned")
        // The real west, met directly, is accepted and pinned.
        try west.append([enrol("P2", at: syncTime(5))])
        let r = try south.store.importBundle(from: west.export(to: bundles))
        #expect(r.newEvents == 1)
        #expect(try south.store.sites().first { $0.site == "west" }?.fingerprint == west.fingerprint())
        #expect(try south.store.verify().isOK)
        // And the impostor's relay is now refused as an impersonation.
        try expectRefused(south, relay.export(to: bundles), ["site west presents key \(try impostor.fingerprint())", "impersonation"])
    }

    @Test func aTrustedFingerprintLetsARelayCarryTheSite() throws {
        try requireCLI()
        let bundles = TempDir(inMemory: true)
        let north = try SyncSite("north", index: 1), south = try SyncSite("south", index: 2), east = try SyncSite("east", index: 3)
        try north.append([enrol("P1", at: syncTime(0)), implant("P1", at: syncTime(60))])
        try south.store.importBundle(from: north.export(to: bundles))
        let relayed = try south.export(to: bundles)
        // A wrong fingerprint trusted for north: the relay's key for north is refused.
        let impostor = try SyncSite("north", index: 9)
        let wrong = try cli(["sites", "trust", "north", try impostor.fingerprint(), "--ledger", east.path])
        #expect(wrong.status == 0, "\(wrong)")
        #expect(wrong.stdout.contains("first bundle presenting this key"), "\(wrong)")
        try expectRefused(east, relayed, ["presents key \(try north.fingerprint()) for site north", "trusts \(try impostor.fingerprint())"])
        // The right one: the relayed events are accepted and north's key pinned.
        let right = try cli(["sites", "trust", "north", try north.fingerprint(), "--ledger", east.path])
        #expect(right.status == 0, "\(right)")
        let listed = try cli(["sites", "list", "--ledger", east.path])
        #expect(listed.stdout.contains("north  \(try north.fingerprint())  trusted, key not seen yet"), "\(listed)")
        let r = try east.store.importBundle(from: relayed)
        #expect((r.newEvents, r.duplicates) == (2, 0))
        #expect(try east.store.sites().first { $0.site == "north" }?.fingerprint == north.fingerprint())
        #expect(try east.store.verify().isOK)
        // `sites` alone still lists, as `sites list` does.
        let plain = try cli(["sites", "--ledger", east.path])
        let northPrint = try north.fingerprint()
        #expect(plain.status == 0 && plain.stdout.contains("north  \(northPrint)  last seq 2"), "\(plain)")
        // Trusting another fingerprint for a pinned site is refused.
        let clash = try cli(["sites", "trust", "north", try impostor.fingerprint(), "--ledger", east.path])
        #expect(clash.status == 1, "\(clash)")
        #expect(clash.stderr.contains("pinned here with key \(try north.fingerprint())"), "\(clash)")
    }

    // MARK: Item 8: a fork is declared only on signed evidence

    @Test(arguments: [false, true])
    func anAlteredCopyUnderAThrowawayKeyIsNoFork(breakDigest: Bool) throws {
        try requireCLI()
        let bundles = TempDir(inMemory: true)
        let north = try SyncSite("north", index: 1), south = try SyncSite("south", index: 2)
        try north.append([enrol("P1", at: syncTime(0)), implant("P1", at: syncTime(60)), dose("P1", at: syncTime(120), mcg: 150)])
        let real = try north.export(to: bundles)
        try south.store.importBundle(from: real)
        var body = Array(try bundleLines(real).dropFirst())
        body[2] = try rewrittenEventLine(body[2], replacing: "\"dailyDoseMcg\":150", with: "\"dailyDoseMcg\":999")
        let northKey = try #require(try bundleHeader(real).keys["north"])
        let forged = try throwawayBundle(body, sender: "mallory", keys: ["north": northKey], breakDigest: breakDigest, in: bundles, "forged.jsonl")
        let message = try expectRefused(south, forged, breakDigest ? ["digest"] : ["north:3", "no head signed with north's pinned key", "damaged or forged", "mallory"])
        #expect(!message.contains("forked its history") && !message.contains("Stop syncing"), "\(message)")
        #expect(try sqliteValue(south.path, "SELECT COUNT(*) FROM fork_evidence") == "0")
        let cliRun = try cli(["sync", "import", forged, "--ledger", south.path])
        #expect(cliRun.status == 1 && cliRun.stderr.contains("nothing written"), "\(cliRun)")
        #expect(try sqliteValue(south.path, "SELECT COUNT(*) FROM fork_evidence") == "0")
    }

    @Test func aForkSignedByTheSitesKeyKeepsEvidenceAndSaysSo() throws {
        try requireCLI()
        let bundles = TempDir(inMemory: true)
        let north = try SyncSite("north", index: 1), south = try SyncSite("south", index: 2)
        try north.append([enrol("P1", at: syncTime(0))])
        let restored = try SyncSite(restoredFrom: north, index: 8)
        try north.append([implant("P1", at: syncTime(60))])
        try restored.append([assessment("P1", at: syncTime(61))])
        try south.store.importBundle(from: north.export(to: bundles))
        let forked = try restored.export(to: bundles)
        do {
            try south.store.importBundle(from: forked)
            Issue.record("a signed fork was imported")
        } catch let e as SyncError {
            #expect(e.keptForkEvidence)
            #expect(e.message.contains("forked"))
        }
        let r = try cli(["sync", "import", forked, "--ledger", south.path])
        #expect(r.status == 1 && r.stderr.contains("only the fork evidence was written") && !r.stderr.contains("nothing written"), "\(r)")
    }

    // MARK: Item 6: truncation

    @Test func aPeerHoldingALaterHeadRefusesReusedSeqsAsAFork() throws {
        let bundles = TempDir(inMemory: true)
        let north = try SyncSite("north", index: 1), south = try SyncSite("south", index: 2)
        try north.append([enrol("P1", at: syncTime(0)), implant("P1", at: syncTime(60))])
        try north.append([dose("P1", at: syncTime(120), mcg: 150), dose("P1", at: syncTime(180), mcg: 160)])
        try south.store.importBundle(from: north.export(to: bundles))
        // The last batch and its head are deleted: what is left verifies on its own...
        let cut = try sqlite(north.path, dropTriggersSQL + "DELETE FROM events WHERE seq > 2; DELETE FROM heads WHERE seq = 4;")
        try #require(cut.status == 0, "\(cut)")
        #expect(try north.store.verify().isOK)
        // ...and the next append reuses seqs 3 and 4, signed with north's real key.
        try north.append([dose("P1", at: syncTime(200), mcg: 90), dose("P1", at: syncTime(210), mcg: 95)])
        #expect(try north.store.clock()["north"] == 4)
        // South holds the later head 4: the reuse is a fork, with evidence.
        let message = try expectRefusedKeepingEvidence(south, north.export(to: bundles))
        #expect(message.contains("north:3") && message.contains("forked"), "\(message)")
        #expect(try sqliteValue(south.path, "SELECT site || ':' || seq FROM fork_evidence") == "north:3")
    }
}

/// Imports `bundle` and expects a fork refusal that kept evidence (events and clock unchanged); returns the message.
private func expectRefusedKeepingEvidence(_ site: SyncSite, _ bundle: String) throws -> String {
    let before = try site.snapshot()
    do {
        try site.store.importBundle(from: bundle)
        Issue.record("the import was accepted")
        return ""
    } catch let e as SyncError {
        #expect(e.keptForkEvidence, "\(e.message)")
        #expect(try site.snapshot() == before)
        return e.message
    }
}
