import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore
import TherapyLedgerSimulation

/// One seeded run: 3-6 sites (mostly 3-5), 2-4 patients, 8-40 events (mostly 8-20; tiny, so hundreds of seeds run fast) appended at random sites, bundles cut with
/// fresh, stale, empty or remembered (`peerClock`) clocks, delivered duplicated, dropped, reordered and
/// relayed (a file forwarded to a third site, and sites re-exporting what they imported), gaps retried
/// later; then anti-entropy until quiescent, and every ledger must agree byte for byte.
private struct SyncWorld {
    let seed: UInt64
    var rng: SeededRandom
    let sites: [SyncSite]
    let bundles = TempDir(inMemory: true)
    let patients: [String]
    /// Where each patient's enrolment and implant were recorded.
    var enrolledAt: [String: (site: String, seq: Int64)] = [:]
    var implantedAt: [String: (site: String, seq: Int64)] = [:]
    /// Dose programmings by patient, the targets of corrections.
    var doses: [String: [(id: String, site: String, seq: Int64)]] = [:]
    /// (site, target) pairs already corrected: a site corrects an event at most once.
    var corrected = Set<String>()
    var minute = 0
    var appended = 0
    let target: Int
    /// Bundles in flight: the file and the index of the site it will be delivered to.
    var inFlight: [(path: String, to: Int)] = []
    /// Old clocks of each site, for stale `since` clocks.
    var oldClocks: [[VectorClock]]
    var trace: [String] = []
    var gapsRefused = 0

    init(seed: UInt64) throws {
        self.seed = seed
        rng = SeededRandom(seed: seed)
        let siteCount = rng.chance(0.1) ? 6 : rng.int(3...5)
        sites = try (0..<siteCount).map { try SyncSite("s\($0)", index: $0) }
        try trustEachOther(sites)
        patients = (0..<rng.int(2...4)).map { "P\($0)" }
        target = rng.chance(0.1) ? rng.int(25...40) : rng.int(8...20)
        oldClocks = Array(repeating: [VectorClock()], count: siteCount)
    }

    mutating func note(_ s: String) { trace.append(s) }

    func has(_ site: SyncSite, _ clock: VectorClock, _ at: (site: String, seq: Int64)?) -> Bool {
        guard let at else { return false }
        return clock[at.site] >= at.seq
    }

    /// Appends one valid event at a random site, if the chosen site can record one.
    mutating func appendOne() throws {
        let i = rng.int(0...(sites.count - 1))
        let site = sites[i]
        let p = rng.pick(patients)
        let clock = try site.store.clock()
        if rng.chance(0.75) { minute += rng.int(1...600) }  // else: the same minute as the previous event
        let at = syncTime(minute)
        let line: String
        let kind: String
        if enrolledAt[p] == nil {
            line = enrol(p, at: at); kind = "enrol"
        } else if !has(site, clock, enrolledAt[p]) {
            return
        } else if implantedAt[p] == nil {
            line = implant(p, at: at); kind = "implant"
        } else if !has(site, clock, implantedAt[p]) {
            return
        } else {
            let known = (doses[p] ?? []).filter { clock[$0.site] >= $0.seq && !corrected.contains(site.name + " " + $0.id) }
            switch rng.int(0...99) {
            case 0..<35: line = dose(p, at: at, mcg: Double(rng.int(50...400))); kind = "dose"
            case 35..<50: line = syncRefill(p, at: at, residualMl: Double(rng.int(0...4)), addedMl: Double(rng.int(10...15))); kind = "refill"
            case 50..<62: line = syncBolus(p, at: at, mcg: Double(rng.int(25...100))); kind = "bolus"
            case 62..<80: line = assessment(p, at: at, penn: rng.int(0...4)); kind = "assessment"
            default:
                guard !known.isEmpty else { line = assessment(p, at: at, penn: rng.int(0...4)); kind = "assessment"; break }
                let t = rng.pick(known)
                corrected.insert(site.name + " " + t.id)
                if rng.chance(0.5) {
                    line = syncVoid(p, target: t.id, at: at); kind = "void \(t.site):\(t.seq)"
                } else {
                    line = syncAmendDose(p, target: t.id, at: at, mcg: Double(rng.int(50...400))); kind = "amend \(t.site):\(t.seq)"
                }
            }
        }
        let outcomes: [AppendOutcome]
        do {
            outcomes = try site.store.append(jsonLines: Array((line + "\n").utf8))
        } catch {
            throw TestFailure("the generator made an invalid event at \(site.name) (\(kind)): \(error)\n\(line)")
        }
        guard let o = outcomes.first, let seq = o.seq else { throw TestFailure("append at \(site.name) recorded nothing") }
        switch kind {
        case "enrol": enrolledAt[p] = (site.name, seq)
        case "implant": implantedAt[p] = (site.name, seq)
        case "dose": doses[p, default: []].append((o.id, site.name, seq))
        default: break
        }
        appended += 1
        note("\(site.name):\(seq) \(kind) \(p)")
    }

    /// Cuts a bundle at one site for another, with a fresh, stale, empty or remembered clock, and puts it
    /// in flight (maybe dropped, duplicated, or forwarded to a third site).
    mutating func exportOne() throws {
        let a = rng.int(0...(sites.count - 1))
        var b = rng.int(0...(sites.count - 2))
        if b >= a { b += 1 }
        let from = sites[a], to = sites[b]
        let since: VectorClock
        let how: String
        switch rng.int(0...4) {
        case 0: since = VectorClock(); how = "everything"
        case 1: since = try to.store.clock(); how = "fresh"
        case 2: since = rng.pick(oldClocks[b]); how = "stale"
        case 3: since = rng.pick(oldClocks[a]); how = "delta"  // only what the sender recorded since an old clock of its own
        default: since = try from.store.peerClock(to.name) ?? VectorClock(); how = "peer"
        }
        if rng.chance(0.3) { oldClocks[b].append(try to.store.clock()) }
        if rng.chance(0.3) { oldClocks[a].append(try from.store.clock()) }
        let path = try from.export(to: bundles, since: since)
        var dest = b
        if rng.chance(0.15) { dest = rng.int(0...(sites.count - 1)) }  // the file is forwarded elsewhere
        if rng.chance(0.15) {
            note("export \(from.name)->\(to.name) \(how) \(since): dropped")
            return
        }
        inFlight.append((path, dest))
        if rng.chance(0.2) { inFlight.append((path, dest)) }
        note("export \(from.name)->\(sites[dest].name) \(how) \(since) as \((path as NSString).lastPathComponent)")
    }

    /// Delivers a random bundle in flight (so out of order). A gap is refused; the bundle is retried later or lost.
    mutating func deliverOne() throws {
        guard !inFlight.isEmpty else { return }
        let k = rng.int(0...(inFlight.count - 1))
        let (path, to) = inFlight.remove(at: k)
        let site = sites[to]
        let name = (path as NSString).lastPathComponent
        do {
            let r = try site.store.importBundle(from: path)
            note("import \(name) at \(site.name): \(r.newEvents) new, \(r.duplicates) dup, \(r.conflicts) conflicts")
            if rng.chance(0.1) { inFlight.append((path, to)) }  // delivered again later
        } catch let e as SyncError where e.message.hasPrefix("missing ") {
            gapsRefused += 1
            note("import \(name) at \(site.name): refused (\(e.message.prefix(60)))")
            if rng.chance(0.7) { inFlight.append((path, to)) }
        }
    }

    /// Random appends and exchanges until the target number of events is recorded.
    mutating func play() throws {
        var steps = 0
        while appended < target {
            steps += 1
            guard steps < 2000 else { throw TestFailure("the generator is stuck after \(appended) events") }
            let r = rng.int(0...99)
            if r < 50 {
                try appendOne()
            } else if r < 75 {
                try exportOne()
            } else {
                try deliverOne()
            }
        }
        // Some bundles still in flight arrive late; the rest wait until after anti-entropy.
        for _ in 0..<rng.int(0...inFlight.count) { try deliverOne() }
    }

    /// Everyone exchanges with a rotating hub, with fresh clocks, until a round brings nothing new.
    mutating func antiEntropy() throws {
        for round in 0..<5 {
            let hub = sites[round % sites.count]
            var new = 0
            for s in sites where s !== hub {
                new += try hub.store.importBundle(from: s.export(to: bundles, since: try hub.store.clock())).newEvents
            }
            for s in sites where s !== hub {
                new += try s.store.importBundle(from: hub.export(to: bundles, since: try s.store.clock())).newEvents
            }
            note("anti-entropy round \(round) via \(hub.name): \(new) new")
            if new == 0 { return }
        }
        throw TestFailure("anti-entropy did not become quiescent in 5 rounds")
    }

    /// Checks convergence; returns a description of every failure.
    mutating func check() throws -> [String] {
        var failures: [String] = []
        let reference = try SyncObservation(sites[0])
        if reference.events.count != appended {
            failures.append("\(sites[0].name) holds \(reference.events.count) events, \(appended) were appended")
        }
        for s in sites {
            let v = try s.store.verify()
            if !v.isOK { failures.append("verify at \(s.name): \(v.problems)") }
            if s === sites[0] { continue }
            let o = try SyncObservation(s)
            if o != reference { failures.append("\(s.name) differs from \(sites[0].name): \(o.firstDifference(from: reference))") }
        }
        // Bundles still in flight arrive after convergence: all accepted, nothing new.
        for (path, to) in inFlight {
            let r = try sites[to].store.importBundle(from: path)
            if r.newEvents != 0 { failures.append("a late bundle brought \(r.newEvents) new events after convergence") }
        }
        conflictCount = reference.conflictCount
        return failures
    }

    var conflictCount = 0
}

/// Runs one seed; returns its failures (empty when it converged).
private func runSyncSeed(_ seed: UInt64) -> (failures: [String], conflicts: Int, gaps: Int) {
    var world: SyncWorld
    do { world = try SyncWorld(seed: seed) } catch { return (["setup: \(error)"], 0, 0) }
    do {
        let t0 = Date()
        try world.play()
        let t1 = Date()
        try world.antiEntropy()
        let t2 = Date()
        let failures = try world.check()
        if ProcessInfo.processInfo.environment["SYNC_PROFILE"] != nil {
            print("PROFILE seed \(seed) sites \(world.sites.count) events \(world.appended) play \(t1.timeIntervalSince(t0)) ae \(t2.timeIntervalSince(t1)) check \(Date().timeIntervalSince(t2))")
        }
        if failures.isEmpty { return ([], world.conflictCount, world.gapsRefused) }
        return (failures + ["trace:"] + world.trace.suffix(40), 0, 0)
    } catch {
        return (["\(error)", "trace:"] + world.trace.suffix(40), 0, 0)
    }
}

@Suite struct SyncPropertyTests {
    /// Seeds per chunk (8 chunks, run one after another): 13 by default, so 104 seeds (about 20 s in a debug
    /// build, also in CI); `SYNC_SEEDS=25` runs 200 seeds. `SYNC_SEED=N` replays one seed.
    static let perChunk = Int(ProcessInfo.processInfo.environment["SYNC_SEEDS"] ?? "") ?? 13

    @Test("anti-entropy converges: same events, byte-identical projections, conflicts and timelines", .serialized, arguments: 0..<8)
    func convergence(chunk: Int) throws {
        let seeds: [UInt64]
        if let one = ProcessInfo.processInfo.environment["SYNC_SEED"].flatMap(UInt64.init) {
            guard chunk == 0 else { return }
            seeds = [one]
        } else {
            seeds = (0..<Self.perChunk).map { UInt64(chunk * Self.perChunk + $0) }
        }
        var conflicts = 0, gaps = 0
        for seed in seeds {
            let r = runSyncSeed(seed)
            #expect(r.failures.isEmpty, "seed \(seed) failed (replay with SYNC_SEED=\(seed)):\n\(r.failures.joined(separator: "\n"))")
            conflicts += r.conflicts
            gaps += r.gaps
        }
        // With a handful of patients and several sites, conflicts must come up in any chunk (gaps are rarer:
        // `gaps` is reported, and SyncTests covers refusal and retry deterministically).
        if gaps == 0 { print("note: chunk \(chunk) refused no gap") }
        if seeds.count >= 10 {
            #expect(conflicts > 0, "no seed of chunk \(chunk) produced a conflict: the generator no longer exercises concurrency")
        }
    }
}
