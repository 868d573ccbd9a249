import ArgumentParser
import TherapyLedgerServer
import TherapyLedgerStore

struct SyncPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Send a peer's site server every event it lacks (a signed request; the peer must have pinned this site).")
    @OptionGroup var options: LedgerOptions
    @Argument(help: "The peer's base URL, e.g. http://south.example:8750.") var url: String

    func run() throws {
        let store = try options.open()
        let url = self.url
        do {
            let r = try AsyncBridge.run { try await SyncClient(store: store).push(url) }
            Output.line("pushed to \(r.peerSite) at \(url): \(Plural.count(r.pushed, "new event")) taken")
        } catch let e as SyncClientError {
            Output.error("push failed: \(e.message)")
            throw ExitStatus.dataFailure
        }
    }
}

struct SyncPullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Import from a peer's site server every event this ledger lacks, all or nothing.")
    @OptionGroup var options: LedgerOptions
    @Argument(help: "The peer's base URL, e.g. http://north.example:8750.") var url: String

    func run() throws {
        let store = try options.open()
        let url = self.url
        do {
            let r = try AsyncBridge.run { try await SyncClient(store: store).pull(url) }
            Output.line("pulled from \(r.peerSite) at \(url): \(Plural.count(r.pulled, "new event")), \(Plural.count(r.pulledConflicts, "conflict"))")
        } catch let e as SyncClientError {
            Output.error("pull failed: \(e.message)")
            throw ExitStatus.dataFailure
        } catch let e as SyncError {
            Output.error("import refused, nothing written: \(e.message)")
            throw ExitStatus.dataFailure
        }
    }
}
