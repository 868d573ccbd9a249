import Foundation
import NIOConcurrencyHelpers
import TherapyLedgerStore

/// Writes access-log entries with group commit: a request waits until its entry is in the ledger, and all the
/// entries that arrived meanwhile are written in one transaction, so that logging every read costs little.
final class AccessLogWriter: Sendable {
    let store: LedgerStore
    private struct State {
        var pending: [([AccessEntry], CheckedContinuation<Void, any Error>)] = []
        var flushing = false
    }
    private let state = NIOLockedValueBox(State())

    init(store: LedgerStore) { self.store = store }

    /// Records `entries`; returns once they are committed.
    func record(_ entries: [AccessEntry]) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let start = state.withLockedValue { s -> Bool in
                s.pending.append((entries, c))
                if s.flushing { return false }
                s.flushing = true
                return true
            }
            if start { Blocking.pool.submit { _ in self.flushAll() } }
        }
    }

    /// Writes batches until nothing is pending.
    private func flushAll() {
        while true {
            let batch = state.withLockedValue { s -> [([AccessEntry], CheckedContinuation<Void, any Error>)] in
                let b = s.pending
                s.pending = []
                if b.isEmpty { s.flushing = false }
                return b
            }
            if batch.isEmpty { return }
            do {
                try store.appendAccessLog(batch.flatMap(\.0))
                for (_, c) in batch { c.resume() }
            } catch {
                for (_, c) in batch { c.resume(throwing: error) }
            }
        }
    }
}
