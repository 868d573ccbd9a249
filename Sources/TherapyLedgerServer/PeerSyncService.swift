import Foundation
import Logging
import ServiceLifecycle
import TherapyLedgerStore

/// `serve --peer URL --sync-every D`: syncs with each peer every D, retrying a peer that is down with
/// exponential backoff (1 s, 2 s, 4 s... up to D), until the server shuts down.
struct PeerSyncService: Service {
    let client: SyncClient
    let peers: [String]
    let every: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for peer in peers {
                    group.addTask { await loop(peer) }
                }
            }
        }
    }

    private func loop(_ peer: String) async {
        var failures = 0
        while !Task.isCancelled {
            let wait: Duration
            do {
                let r = try await client.sync(peer)
                failures = 0
                logger.info("synced with \(r.peerSite) (\(peer)): pushed \(r.pushed), pulled \(r.pulled)")
                wait = every
            } catch {
                failures += 1
                wait = min(every, .seconds(1) * (1 << min(failures - 1, 16)))
                logger.warning("sync with \(peer) failed (attempt \(failures)), retrying in \(wait): \(error)")
            }
            do { try await Task.sleep(for: wait) } catch { return }
        }
    }
}
