import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore
import TherapyLedgerSimulation

// MARK: - Scratch directories


// MARK: - Sites

/// One site's ledger in its own temporary directory, with a deterministic environment: a fixed "now"
/// (optionally skewed by days, as a site with a wrong wall clock) and counting ids unique to the site.
final class SyncSite: @unchecked Sendable {
    let name: String
    let dir: TempDir
    let path: String
    let environment: LedgerStore.Environment
    let store: LedgerStore

    /// - Parameters:
    ///   - index: makes the site's generated ids unique across sites (0...0xffff).
    ///   - skewDays: the site's wall-clock error, added to ``testNow``.
    init(_ name: String, index: Int, network: String = "test", skewDays: Double = 0) throws {
        self.name = name
        dir = TempDir(inMemory: true)
        path = dir.file("\(name).sqlite")
        let hex = String(index, radix: 16)
        environment = testEnvironment(now: testNow.adding(days: skewDays),
                                      idPrefix: "0195aaaa-" + String(repeating: "0", count: 4 - hex.count) + hex + "-7000-8000-")
        store = try LedgerStore.create(at: path, site: name, network: network, environment: environment)
    }

    /// A site with its own folder and environment.
    init(name: String, dir: TempDir, environment: LedgerStore.Environment, network: String) throws {
        self.name = name
        self.dir = dir
        path = dir.file("\(name).sqlite")
        self.environment = environment
        store = try LedgerStore.create(at: path, site: name, network: network, environment: environment)
    }

    /// A second site sharing this site's history and key: a ledger restored from a backup (a fork in the making).
    init(restoredFrom other: SyncSite, index: Int) throws {
        name = other.name
        dir = TempDir(inMemory: true)
        path = dir.file("\(other.name)-restored.sqlite")
        try other.store.backup(to: path)
        try FileManager.default.copyItem(atPath: other.store.keyPath, toPath: SiteKey.path(forLedger: path))
        let hex = String(index, radix: 16)
        environment = testEnvironment(now: testNow, idPrefix: "0195bbbb-" + String(repeating: "0", count: 4 - hex.count) + hex + "-7000-8000-")
        store = try LedgerStore.open(at: path, environment: environment)
    }

    /// Appends submission lines (all must be valid); returns the ids recorded, in order.
    @discardableResult
    func append(_ lines: [String]) throws -> [String] {
        try store.append(jsonLines: Array((lines.joined(separator: "\n") + "\n").utf8)).map(\.id)
    }

    /// Exports a bundle into `dir` (a new file each call).
    func export(to dir: TempDir, since: VectorClock = VectorClock()) throws -> String {
        let path = dir.file("bundle-\(name)-\(SyncSite.bundleCounter.next()).jsonl")
        _ = try store.exportBundle(to: path, since: since)
        return path
    }

    private static let bundleCounter = Counter()

    /// This site's own key fingerprint as `sites` lists it.
    func fingerprint() throws -> String {
        guard let own = try store.sites().first(where: { $0.site == name }) else { throw TestFailure("\(name) does not list itself in sites()") }
        return own.fingerprint
    }

    /// Everything an import could change: events (verbatim lines), clock, pinned sites and what they reported.
    func snapshot() throws -> SyncSnapshot {
        var lines: [String] = []
        try store.forEachRecordedLine { lines.append(String(decoding: $0, as: UTF8.self)) }
        let sites = try store.sites().map { "\($0.site) \($0.fingerprint) \($0.lastSeq) \($0.lastBundle ?? "-")" }
        return SyncSnapshot(count: try store.eventCount(), clock: try store.clock(), lines: lines, sites: sites)
    }
}

/// Every site trusts every other's key fingerprint (`sites trust`), as administrators who exchanged them
/// when the network was set up: events relayed through a third site are then accepted.
func trustEachOther(_ sites: [SyncSite]) throws {
    for a in sites {
        for b in sites where b.name != a.name { try a.store.trust(site: b.name, fingerprint: try b.fingerprint()) }
    }
}

/// The observable state of a ledger, to show a refused import changed nothing.
struct SyncSnapshot: Equatable, CustomStringConvertible {
    var count: Int
    var clock: VectorClock
    var lines: [String]
    var sites: [String]
    var description: String { "\(count) events, clock \(clock), sites \(sites)" }
}

/// Imports `bundle` into `site` and expects a refusal whose message contains every one of `fragments`,
/// with the ledger unchanged. Returns the message.
@discardableResult
func expectRefused(_ site: SyncSite, _ bundle: String, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let before = try site.snapshot()
    var message = ""
    do {
        let r = try site.store.importBundle(from: bundle)
        Issue.record("the import was accepted (\(r.newEvents) new, \(r.duplicates) duplicate) but should be refused", sourceLocation: sourceLocation)
    } catch let e as SyncError {
        message = e.message
        for f in fragments {
            #expect(message.contains(f), "the refusal should mention \"\(f)\": \(message)", sourceLocation: sourceLocation)
        }
    }
    #expect(try site.snapshot() == before, "a refused import changed the ledger", sourceLocation: sourceLocation)
    return message
}

// MARK: - Bundle bytes

/// A bundle's lines (without newlines).
func bundleLines(_ path: String) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { throw TestFailure("cannot read bundle \(path)") }
    var lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\n")
    if lines.last == "" { lines.removeLast() }
    return lines
}

/// Writes lines (each followed by a newline) to a new file in `dir`.
func writeBundle(_ lines: [String], in dir: TempDir, _ name: String) -> String {
    dir.write(name, lines.map { $0 + "\n" }.joined())
}

/// The parsed header of a bundle.
func bundleHeader(_ path: String) throws -> BundleHeader {
    guard let first = try bundleLines(path).first else { throw TestFailure("\(path) is empty") }
    return try BundleHeader.parse(Array(first.utf8), file: path)
}

// MARK: - Submissions for sync scenarios

/// An occurredAt `minutes` after 2025-03-01T00:00:00Z (well before every site's "now").
func syncTime(_ minutes: Int) -> String {
    Timestamp.parse("2025-03-01T00:00:00Z").map { $0.adding(seconds: Int64(minutes) * 60).iso8601 } ?? "bad time"
}

func syncRefill(_ patient: String, at: String, residualMl: Double = 2, addedMl: Double = 15, concentration: Double = 2000) -> String {
    event("reservoir.refilled", patient: patient, at: at, data: .object([
        "residualMl": .number(residualMl), "addedMl": .number(addedMl), "concentrationMcgPerMl": .number(concentration),
    ]))
}

func syncBolus(_ patient: String, at: String, mcg: Double = 50) -> String {
    event("bolus.delivered", patient: patient, at: at, data: .object(["doseMcg": .number(mcg), "kind": .string("single")]))
}

func syncVoid(_ patient: String, target: String, at: String) -> String {
    event("event.corrected", patient: patient, at: at, reason: "entered in error",
          data: .object(["target": .string(target), "action": .string("void")]))
}

func syncAmendDose(_ patient: String, target: String, at: String, mcg: Double) -> String {
    event("event.corrected", patient: patient, at: at, reason: "wrong dose typed",
          data: .object(["target": .string(target), "action": .string("amend"), "data": .object(["dailyDoseMcg": .number(mcg)])]))
}

// MARK: - What every ledger must agree on

/// Everything that must be byte-identical across ledgers holding the same events: the events themselves
/// (sorted recorded lines), and per patient the status JSON at a fixed time, the timeline, the conflict
/// records, and the stored projection.
struct SyncObservation: Equatable {
    var events: [String]
    var status: [String: String]
    var timelines: [String: String]
    var conflicts: [String: String]
    var stored: [String: String]

    init(_ site: SyncSite, asOf: Timestamp = testNow, stripRecordedAt: Bool = false) throws {
        var lines: [String] = []
        try site.store.forEachRecordedLine { lines.append(String(decoding: $0, as: UTF8.self)) }
        events = stripRecordedAt ? [] : lines.sorted()
        var patients = Set<String>()
        try site.store.forEachPatient { p, _ in patients.insert(p) }
        status = [:]
        timelines = [:]
        conflicts = [:]
        for p in patients {
            status[p] = CanonicalJSON.string(try site.store.status(patient: p, asOf: asOf).json)
            let entries = try site.store.timeline(patient: p).map { entry -> JSONValue in
                guard stripRecordedAt, case .object(var o) = entry.json else { return entry.json }
                o["recordedAt"] = nil
                return .object(o)
            }
            timelines[p] = CanonicalJSON.string(.array(entries))
            let (_, found, _) = Projector.projection(patient: p, events: try site.store.projectionEvents(patient: p))
            conflicts[p] = CanonicalJSON.string(.array(found.map(\.json)))
        }
        stored = try site.store.storedProjections().mapValues { String(decoding: $0, as: UTF8.self) }
    }

    /// The number of conflict records across patients.
    var conflictCount: Int {
        conflicts.values.reduce(0) { n, text in
            guard case .array(let a)? = try? JSONParser.parse(Array(text.utf8)) else { return n }
            return n + a.count
        }
    }

    /// The first difference from `other`, for a failure message.
    func firstDifference(from other: SyncObservation) -> String {
        if events != other.events { return "events differ: \(events.count) vs \(other.events.count)" }
        for (name, a, b) in [("status", status, other.status), ("timeline", timelines, other.timelines),
                             ("conflicts", conflicts, other.conflicts), ("stored projection", stored, other.stored)] {
            for p in Set(a.keys).union(b.keys).sorted() where a[p] != b[p] {
                return "\(name) of \(p) differs:\n  \(a[p] ?? "nil")\n  \(b[p] ?? "nil")"
            }
        }
        return "no difference"
    }
}

// MARK: - Randomness

extension SeededRandom {
    /// One element of a non-empty list.
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
}
