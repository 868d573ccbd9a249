import NIOCore
import NIOPosix

/// Runs blocking ledger work (SQLite, hashing) on a thread pool, off Swift's cooperative threads and NIO's event loops.
enum Blocking {
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(16, System.coreCount * 4))
        pool.start()
        return pool
    }()

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
