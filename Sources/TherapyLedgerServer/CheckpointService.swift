import Logging
import ServiceLifecycle
import TherapyLedgerStore

/// Checkpoints the ledger's write-ahead log every ``every``, off the appends' commits (see ``WALCheckpointer``),
/// and once more when the server has finished its last request.
struct CheckpointService: Service {
    let checkpointer: WALCheckpointer
    let every: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await Blocking.run { [checkpointer] in _ = try checkpointer.checkpoint() }
            } catch {
                logger.warning("background checkpoint failed (the next one retries): \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: every) }
        }
        do {
            try await Blocking.run { [checkpointer] in try checkpointer.finish() }
        } catch {
            logger.warning("the last checkpoint failed (SQLite checkpoints the log on the next open): \(error)")
        }
    }
}
