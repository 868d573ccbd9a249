import Foundation
import TherapyLedgerCore
import TherapyLedgerStore

/// A `LedgerStore` as the simulation driver sees it.
final class StoreSimulationLedger: SimulationLedger {
    let store: LedgerStore
    init(_ store: LedgerStore) { self.store = store }

    func appendBatch(_ submissions: [Submission]) throws { _ = try store.append(submissions) }

    func exportBundle(to path: String, for peer: StoreSimulationLedger) throws -> (events: Int, bytes: Int) {
        let r = try store.exportBundle(to: path, since: try peer.store.clock())
        return (r.events, r.bytes)
    }

    func importBundle(at path: String) throws -> (newEvents: Int, conflicts: Int) {
        let r = try store.importBundle(from: path)
        return (r.newEvents, r.conflicts)
    }
}

/// A generated history played against real ledgers in a folder (used by `generate`, `demo` and the tests).
public struct NetworkRun {
    public var stores: [String: LedgerStore]
    public var report: DriverReport
    public var summary: SimulationSummary
    public var clock: SimulationClock

    /// Creates `dir` (and `dir/bundles` when bundles are kept), one ledger per site on the simulated clock,
    /// and plays the history.
    public static func play(_ parameters: SimulationParameters, in dir: String, keepBundles: Bool) throws -> NetworkRun {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for site in parameters.siteNames where fm.fileExists(atPath: (dir as NSString).appendingPathComponent("\(site).sqlite")) {
            throw StoreError("\((dir as NSString).appendingPathComponent("\(site).sqlite")) already exists: choose an empty --out folder")
        }
        let bundles = keepBundles ? (dir as NSString).appendingPathComponent("bundles") : dir
        try fm.createDirectory(atPath: bundles, withIntermediateDirectories: true)
        let clock = SimulationClock(start: parameters.start)
        let env = LedgerStore.Environment(now: { clock.now }, newID: { clock.nextID() })
        var stores: [String: LedgerStore] = [:]
        for site in parameters.siteNames {
            stores[site] = try LedgerStore.create(at: (dir as NSString).appendingPathComponent("\(site).sqlite"), site: site,
                                                  network: parameters.network, environment: env)
        }
        // The sites' administrators exchanged key fingerprints when the network was set up: every site trusts
        // every other, so that events relayed through a third site are accepted (see `sites trust`).
        for (name, store) in stores {
            for (other, peer) in stores where other != name { try store.trust(site: other, fingerprint: try peer.ownFingerprint()) }
        }
        var driver = SimulationDriver(ledgers: stores.mapValues(StoreSimulationLedger.init), clock: clock, bundleDirectory: bundles,
                                      keepBundles: keepBundles)
        let summary: SimulationSummary
        do { summary = try driver.run(parameters) } catch { throw StoreError("\(error)") }
        return NetworkRun(stores: stores, report: driver.report, summary: summary, clock: clock)
    }
}
