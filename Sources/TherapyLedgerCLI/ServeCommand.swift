import ArgumentParser
import Foundation
import TherapyLedgerExport
import TherapyLedgerServer
import TherapyLedgerStore

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ledger over HTTP to the clinic team (API under /api/v1, schemas/openapi.yaml).",
        discussion: """
            Users authenticate with the tokens `therapy-ledger users add` prints. Listening on an address other than \
            loopback needs --tls-cert and --tls-key (or --insecure behind a TLS proxy). SIGTERM or SIGINT finishes the \
            requests in flight, then exits 0. With --peer, syncs with each peer every --sync-every, retrying with backoff.
            """)

    @OptionGroup var options: LedgerOptions
    @Option(help: ArgumentHelp("Where to listen.", valueName: "HOST:PORT")) var listen = "127.0.0.1:8750"
    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("The TLS certificate chain (PEM).", valueName: "FILE")) var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The TLS private key (PEM).", valueName: "FILE")) var tlsKey: String?
    @Flag(help: "Allow a non-loopback address without TLS (only behind a TLS-terminating proxy).") var insecure = false
    @Option(name: .customLong("peer"), help: ArgumentHelp("A peer site's base URL to keep in sync with (repeatable).", valueName: "URL"))
    var peers: [String] = []
    @Option(name: .customLong("sync-every"), help: ArgumentHelp("How often to sync with the peers: 30s, 5m, 1h.", valueName: "DURATION"))
    var syncEvery = "5m"
    @Option(name: .customLong("export-key"), help: ArgumentHelp("The pseudonym key file for analysts' exports (at least 16 bytes).", valueName: "FILE"))
    var exportKey: String?

    func validate() throws {
        _ = try serverOptions()
    }

    func serverOptions() throws -> SiteServerOptions {
        var o = SiteServerOptions()
        do {
            try o.setListen(listen)
        } catch let e as SiteServerError {
            throw ValidationError(e.message)
        }
        o.tlsCertificate = tlsCert
        o.tlsKey = tlsKey
        o.insecure = insecure
        o.peers = peers
        guard let every = Self.duration(syncEvery) else {
            throw ValidationError("--sync-every \(syncEvery): expected a duration like 30s, 5m or 1h")
        }
        o.syncEvery = every
        do { try o.validate() } catch let e as SiteServerError { throw ValidationError(e.message) } catch { throw ValidationError("\(error)") }
        return o
    }

    /// `250ms`, `30s`, `5m`, `1h`.
    static func duration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let n = Double(text.dropLast(suffix.count)), n.isFinite, n > 0 else { return nil }
            return .milliseconds(Int64(n * seconds * 1000))
        }
        return nil
    }

    func run() throws {
        var o = try serverOptions()
        if let exportKey {
            do { o.exportKey = try ExportOptions.readKey(path: exportKey) } catch { throw CLIError("--export-key: \(error.message)") }
        }
        let store = try options.open()
        let server: SiteServer
        do { server = try SiteServer(store: store, options: o) } catch let e as SiteServerError { throw ValidationError(e.message) }
        let site = store.site
        let peers = o.peers
        try AsyncBridge.run {
            let running = try await server.start(stopOnSignals: true)
            Output.line("therapy-ledger serving site \(site) at \(running.baseURL)/api/v1\(peers.isEmpty ? "" : ", syncing with \(peers.joined(separator: ", "))")")
            try await running.wait()
            Output.line("stopped: every request in flight was answered")
        }
    }
}
