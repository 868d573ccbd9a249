import Foundation
import TherapyLedgerCore

/// What the driver needs of a site's ledger: append, export for a peer, import (`NetworkRun` adapts
/// `LedgerStore` to it).
public protocol SimulationLedger: AnyObject {
    /// Appends one batch atomically; throws when any event is refused.
    func appendBatch(_ submissions: [Submission]) throws
    /// Writes to `path` a bundle of every event `peer` lacks; returns the events and bytes written.
    func exportBundle(to path: String, for peer: Self) throws -> (events: Int, bytes: Int)
    /// Imports a bundle; returns the new events and the conflicts they brought.
    func importBundle(at path: String) throws -> (newEvents: Int, conflicts: Int)
}

/// The simulated "now" shared by the driver and the ledgers' environments: ledgers created with
/// `now: { clock.now }` record each batch at the simulated time of its step.
public final class SimulationClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Timestamp
    private var counter: UInt64 = 0

    /// A clock at `start`.
    public init(start: Timestamp) { current = start }

    /// The simulated time.
    public var now: Timestamp {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Moves the clock (never backwards).
    public func advance(to t: Timestamp) {
        lock.lock()
        defer { lock.unlock() }
        if t > current { current = t }
    }

    /// A deterministic fallback event id (generated events carry their own ids; this is never expected to be used).
    public func nextID() -> String {
        lock.lock()
        defer { lock.unlock() }
        counter += 1
        var bytes: [UInt8] = []
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: counter >> (8 * UInt64(k)))) }
        return Identifiers.uuidV7(milliseconds: UInt64(max(0, current.seconds)) * 1000, random: bytes + [0xFE, 0xED])
    }
}

/// What a driver run did.
public struct DriverReport: Sendable, Hashable {
    public var batches = 0
    public var eventsAppended = 0
    public var eventsBySite: [String: Int] = [:]
    public var bundles = 0
    public var bundleEvents = 0
    public var bundleBytes = 0
    public var conflictsSeen = 0
    public var appendSeconds = 0.0
    public var syncSeconds = 0.0

    public init() {}
}

/// Why a step of a generated history failed against real ledgers.
public struct DriverError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Plays a generated history against real ledgers: appends each batch at its site (with the clock at the
/// step's time) and performs each sync by a bundle file from one ledger to the other.
public struct SimulationDriver<Ledger: SimulationLedger> {
    public let ledgers: [String: Ledger]
    public let clock: SimulationClock
    /// Where bundle files are written.
    public let bundleDirectory: String
    /// Keep bundle files after import (the demo shows them); otherwise each is removed once imported.
    public let keepBundles: Bool
    public private(set) var report = DriverReport()

    /// A driver over `ledgers` (by site name). `bundleDirectory` must exist.
    public init(ledgers: [String: Ledger], clock: SimulationClock, bundleDirectory: String, keepBundles: Bool = false) {
        self.ledgers = ledgers
        self.clock = clock
        self.bundleDirectory = bundleDirectory
        self.keepBundles = keepBundles
    }

    /// Performs one step.
    public mutating func perform(_ step: SimulationStep) throws {
        clock.advance(to: step.at)
        switch step {
        case .append(let site, let at, let events):
            guard let ledger = ledgers[site] else { throw DriverError("no ledger for site \(site): create one per site of the simulation") }
            let started = Date()
            do {
                try ledger.appendBatch(events)
            } catch {
                throw DriverError("site \(site) refused the batch of \(events.count) events at \(at.iso8601): \(error)")
            }
            report.appendSeconds += Date().timeIntervalSince(started)
            report.batches += 1
            report.eventsAppended += events.count
            report.eventsBySite[site, default: 0] += events.count
        case .sync(let from, let to, _):
            guard let source = ledgers[from], let target = ledgers[to] else {
                throw DriverError("sync \(from) -> \(to): no ledger for one of these sites")
            }
            let started = Date()
            report.bundles += 1
            let name = String(repeating: "0", count: max(0, 5 - String(report.bundles).count)) + String(report.bundles)
            let path = (bundleDirectory as NSString).appendingPathComponent("\(name)-\(from)-to-\(to).bundle")
            let written: (events: Int, bytes: Int)
            let imported: (newEvents: Int, conflicts: Int)
            do {
                written = try source.exportBundle(to: path, for: target)
                imported = try target.importBundle(at: path)
            } catch {
                throw DriverError("sync \(from) -> \(to) at \(step.at.iso8601) failed: \(error)")
            }
            if !keepBundles { try? FileManager.default.removeItem(atPath: path) }
            report.syncSeconds += Date().timeIntervalSince(started)
            report.bundleEvents += written.events
            report.bundleBytes += written.bytes
            report.conflictsSeen += imported.conflicts
        }
    }

    /// Generates the history of `parameters` and plays it, step by step (streaming: nothing is held).
    public mutating func run(_ parameters: SimulationParameters) throws -> SimulationSummary {
        var generator = try HistoryGenerator(parameters)
        return try generator.run { try self.perform($0) }
    }
}

extension Submission {
    /// The submission as one canonical JSON line (without the newline), as `therapy-ledger append` reads it.
    public var jsonLine: [UInt8] {
        var o = envelope(id: id ?? "")
        if id == nil { o["id"] = nil }
        return CanonicalJSON.encode(.object(o))
    }
}
