import Foundation
import GRDB
import TherapyLedgerCore

/// A unit of a ``PatientScan``'s work.
enum PatientScanUnit: Sendable {
    /// Patients with `lower <= id < upper` (nil: unbounded), in ascending id order.
    case range(lower: String?, upper: String?)
    /// These patients, in this order.
    case patients([String])
}

/// Reads every patient's events on all cores: each worker has its own read-only connection and takes
/// units of work (a contiguous range of patient ids, or a list of patients) in turn, reads their rows,
/// and transforms each patient; the calling thread receives the results in patient order.
///
/// A full replay or export is bound by reading rows and folding them, both CPU work, so one connection
/// per core roughly multiplies the speed by the cores. Every worker reads the same events: the `read`
/// function bounds them (see ``LedgerStore/scanPatients``).
/// Memory stays bounded: a worker waits once its unit's pending results weigh more than ``pendingLimit``.
final class PatientScan<R: Sendable>: @unchecked Sendable {
    // All mutable state is guarded by `condition`.

    typealias Unit = PatientScanUnit

    private struct Slot {
        var results: [R] = []
        var weight = 0
        var done = false
        /// Why the unit stopped early (its results are those of the patients before the failing one).
        var error: Error?
    }

    /// The weight (bytes, roughly) a unit's pending results may reach before its worker waits.
    static var pendingLimit: Int { 16 << 20 }

    private let condition = NSCondition()
    private let units: [Unit]
    private var slots: [Slot]
    private var nextUnit = 0
    private var consumerUnit = 0
    private var finishedWorkers = 0
    /// A failure outside any unit (a connection that cannot open).
    private var failure: Error?
    private var cancelled = false
    /// A unit failed: no new unit is started, and the consumer stops at the first failed unit in order, so
    /// the error reported is the first in patient order, as a one-cursor scan would report it.
    private var stopTaking = false

    init(units: [Unit]) {
        self.units = units
        self.slots = Array(repeating: Slot(), count: units.count)
    }

    /// Runs the scan.
    /// - Parameters:
    ///   - workers: how many connections read at once.
    ///   - open: opens a worker's connection.
    ///   - read: reads one unit on a connection, calling its argument with each patient's events in order.
    ///   - transform: runs on the workers.
    ///   - weight: the memory a result holds.
    ///   - consume: the results in unit order, on the calling thread.
    func run(workers: Int,
             open: @escaping @Sendable () throws -> DatabaseQueue,
             read: @escaping @Sendable (Unit, Database, (String, [ProjectionEvent]) throws -> Void) throws -> Void,
             transform: @escaping @Sendable (String, [ProjectionEvent]) throws -> R,
             weight: @escaping @Sendable (R) -> Int,
             consume: (R) throws -> Void) throws {
        let count = max(1, min(workers, units.count))
        for _ in 0..<count {
            let thread = Thread { [self] in
                work(open: open, read: read, transform: transform, weight: weight)
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        defer { finish(workers: count) }
        while true {
            condition.lock()
            while failure == nil && consumerUnit < units.count && slots[consumerUnit].results.isEmpty && !slots[consumerUnit].done {
                condition.wait()
            }
            if let failure {
                condition.unlock()
                throw failure
            }
            guard consumerUnit < units.count else {
                condition.unlock()
                return
            }
            let batch = slots[consumerUnit].results
            slots[consumerUnit].results.removeAll(keepingCapacity: true)
            slots[consumerUnit].weight = 0
            if batch.isEmpty && slots[consumerUnit].done {
                if let error = slots[consumerUnit].error {
                    condition.unlock()
                    throw error
                }
                consumerUnit += 1
            }
            condition.broadcast()
            condition.unlock()
            for result in batch { try consume(result) }
        }
    }

    /// Stops the workers (when the consumer ended early) and waits until every one has ended.
    private func finish(workers: Int) {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while finishedWorkers < workers { condition.wait() }
        condition.unlock()
    }

    private func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    private func work(open: @escaping @Sendable () throws -> DatabaseQueue,
                      read: @escaping @Sendable (Unit, Database, (String, [ProjectionEvent]) throws -> Void) throws -> Void,
                      transform: @escaping @Sendable (String, [ProjectionEvent]) throws -> R,
                      weight: @escaping @Sendable (R) -> Int) {
        defer {
            condition.lock()
            finishedWorkers += 1
            condition.broadcast()
            condition.unlock()
        }
        do {
            let queue = try open()
            try queue.read { db in
                while let index = takeUnit() {
                    var unitError: Error?
                    do {
                        try read(units[index], db) { patient, events in
                            let result = try transform(patient, events)
                            try deliver(result, weight: weight(result), unit: index)
                        }
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        unitError = error
                    }
                    condition.lock()
                    slots[index].done = true
                    slots[index].error = unitError
                    if unitError != nil { stopTaking = true }
                    condition.broadcast()
                    condition.unlock()
                    if unitError != nil { return }
                }
            }
        } catch is CancellationError {
            return
        } catch {
            fail(error)
        }
    }

    private func takeUnit() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        guard !cancelled, !stopTaking, nextUnit < units.count else { return nil }
        nextUnit += 1
        return nextUnit - 1
    }

    private func deliver(_ result: R, weight: Int, unit: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        // Also the unit being consumed waits while it holds too much: the consumer drains it without waiting.
        while !cancelled && slots[unit].weight >= Self.pendingLimit { condition.wait() }
        if cancelled { throw CancellationError() }
        slots[unit].results.append(result)
        slots[unit].weight += weight
        condition.broadcast()
    }
}
