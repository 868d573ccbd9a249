import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// SQL that replaces, in the ledger it runs on, every event and head of `site` with those of the ledger
/// `other` (attached), and the key pinned for `site` with `other`'s (and, with `pin`, its pin signature too).
private func rewriteHistorySQL(of site: String, from other: String, pin: String) -> String {
    dropTriggersSQL + """
    ATTACH '\(other)' AS o;
    DELETE FROM events WHERE site = '\(site)'; DELETE FROM heads WHERE site = '\(site)';
    INSERT INTO events SELECT * FROM o.events WHERE site = '\(site)';
    INSERT INTO heads SELECT * FROM o.heads WHERE site = '\(site)';
    UPDATE sites SET public_key = (SELECT public_key FROM o.sites WHERE site = '\(site)') WHERE site = '\(site)';
    \(pin)
    """
}

@Suite(.serialized) struct TrustAnchorTests {
    /// Another site's key swapped in the file, its events rewritten, chain recomputed and heads re-signed
    /// with the new key: the pin no longer carries this site's signature.
    @Test(arguments: [
        "",  // the old pin signature kept
        "UPDATE sites SET pin_signature = NULL WHERE site = 'west';",  // stripped, as if pinned before signed pins
        "UPDATE sites SET pin_signature = (SELECT pin_signature FROM o.sites WHERE site = 'west') WHERE site = 'west';",
    ])
    func anotherSitesSwappedKeyAndRewrittenHistoryFailVerify(pin: String) throws {
        try requireCLI()
        let bundles = TempDir(inMemory: true)
        let south = try SyncSite("south", index: 2), west = try SyncSite("west", index: 4), impostor = try SyncSite("west", index: 9)
        try west.append([enrol("P1", at: syncTime(0)), implant("P1", at: syncTime(30)), dose("P1", at: syncTime(60), mcg: 150)])
        try impostor.append([enrol("P1", at: syncTime(0)), implant("P1", at: syncTime(30)), dose("P1", at: syncTime(60), mcg: 900)])
        try south.store.importBundle(from: west.export(to: bundles))
        try #require(try cli(["verify", "--ledger", south.path]).status == 0)
        let r = try sqlite(south.path, rewriteHistorySQL(of: "west", from: impostor.path, pin: pin))
        try #require(r.status == 0, "\(r)")
        #expect(try sqliteValue(south.path, "SELECT daily_dose_mcg FROM events WHERE site = 'west' AND seq = 3") == "900.0")
        let v = try cli(["verify", "--ledger", south.path])
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("problem: west: the pinned key \(try impostor.fingerprint())"), "\(v)")
    }

    /// This site's own history rewritten in a backup without its key file: without an anchor verify says
    /// what it could not check; with the fingerprint known out of band (or a kept heads file) it fails.
    @Test func theOwnSitesRewrittenHistoryNeedsAnOutsideAnchor() throws {
        try requireCLI()
        let l = try ledgerWithEvents(10, batch: 5)
        let realPrint = try l.open().ownFingerprint()
        let heads = l.dir.file("heads.json")
        try #require(try cli(["verify", "--ledger", l.path, "--heads", heads]).status == 0)
        let impostor = try TestLedger()
        try impostor.append([enrol("P001", id: id(1)), implant("P001", id: id(2), reservoirMl: 40, fillMl: 40)])
        try FileManager.default.removeItem(atPath: l.keyPath)  // the state of a backup
        // Untouched but without its key file: consistent, partly verified, exit 0.
        let partial = try cli(["verify", "--ledger", l.path])
        #expect(partial.status == 0, "\(partial)")
        #expect(partial.stdout.contains("not checked: this site's key (north)"), "\(partial)")
        #expect(partial.stdout.contains("only partly verified"), "\(partial)")
        #expect(!partial.stdout.contains("ok:"), "\(partial)")
        let anchored = try cli(["verify", "--ledger", l.path, "--site-key", realPrint])
        #expect(anchored.status == 0 && anchored.stdout == "ok: 10 events from 1 site verified\n", "\(anchored)")

        let pin = "UPDATE sites SET pin_signature = (SELECT pin_signature FROM o.sites WHERE site = 'north') WHERE site = 'north';"
        try #require(try sqlite(l.path, rewriteHistorySQL(of: "north", from: impostor.path, pin: pin)).status == 0)
        // Alone, the file is consistent: verify can only say what it did not check.
        let alone = try cli(["verify", "--ledger", l.path])
        #expect(alone.status == 0, "\(alone)")
        #expect(alone.stdout.contains("not checked: this site's key (north)") && alone.stdout.contains("partly verified"), "\(alone)")
        // The fingerprint known out of band catches it...
        let byKey = try cli(["verify", "--ledger", l.path, "--site-key", realPrint])
        #expect(byKey.status == 2, "\(byKey)")
        #expect(byKey.stdout.contains("not \(realPrint) given with --site-key"), "\(byKey)")
        // ...and so do the heads an auditor kept.
        let byHeads = try cli(["verify", "--ledger", l.path, "--against", heads])
        #expect(byHeads.status == 2, "\(byHeads)")
        #expect(byHeads.stdout.contains("north"), "\(byHeads)")
    }

    @Test func aKeptHeadsFileAnchorsTheOwnKey() throws {
        try requireCLI()
        let l = try ledgerWithEvents(4, batch: 2)
        let heads = l.dir.file("heads.json")
        try #require(try cli(["verify", "--ledger", l.path, "--heads", heads]).status == 0)
        try FileManager.default.removeItem(atPath: l.keyPath)
        let v = try cli(["verify", "--ledger", l.path, "--against", heads])
        #expect(v.status == 0 && !v.stdout.contains("not checked"), "\(v)")
    }

    @Test func aStrippedOwnPinFailsVerify() throws {
        try requireCLI()
        let l = try ledgerWithEvents(4, batch: 2)
        try #require(try sqlite(l.path, "UPDATE sites SET pin_signature = NULL;").status == 0)
        let v = try cli(["verify", "--ledger", l.path])
        #expect(v.status == 2 && v.stdout.contains("not signed by this site"), "\(v)")
        #expect(v.stdout.contains("therapy-ledger sites trust north FINGERPRINT"), "\(v)")
        // As in a ledger made before signed pins: confirming the own key's fingerprint signs the pin again.
        let fingerprint = try l.open().ownFingerprint()
        let wrong = try cli(["sites", "trust", "north", "SHA256:" + String(repeating: "0", count: 32), "--ledger", l.path])
        #expect(wrong.status == 1, "\(wrong)")
        let t = try cli(["sites", "trust", "north", fingerprint, "--ledger", l.path])
        #expect(t.status == 0, "\(t)")
        let again = try cli(["verify", "--ledger", l.path])
        #expect(again.status == 0 && again.stdout == "ok: 4 events from 1 site verified\n", "\(again)")
    }

    @Test func aMalformedSiteKeyIsAUsageError() throws {
        try requireCLI()
        let l = try ledgerWithEvents(2, batch: 2)
        let v = try cli(["verify", "--ledger", l.path, "--site-key", "SHA256:xyz"])
        #expect(v.status == 64, "\(v)")
    }
}
