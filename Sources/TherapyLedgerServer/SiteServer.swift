import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnixSignals
import TherapyLedgerExport
import TherapyLedgerStore

/// How to run a site server (`therapy-ledger serve`).
public struct SiteServerOptions: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port = 8750
    /// PEM files: both, or neither.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// Allows a non-loopback address without TLS.
    public var insecure = false
    /// Peers' base URLs to keep in sync with, every ``syncEvery``.
    public var peers: [String] = []
    public var syncEvery: Duration = .seconds(300)
    /// The pseudonym key for analysts' exports (`--export-key FILE`).
    public var exportKey: [UInt8]?
    public var logLevel: Logger.Level = .info
    /// The largest request body accepted (413 beyond).
    public var maxBodyBytes = SiteServer.maxBodyBytes
    /// How often the write-ahead log is checkpointed in the background (off the appends' commits).
    public var checkpointEvery: Duration = .milliseconds(200)

    public init() {}

    /// Parses `HOST:PORT` (`[::1]:8750` for IPv6).
    public mutating func setListen(_ text: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw SiteServerError("--listen \(text): expected HOST:PORT, e.g. 127.0.0.1:8750")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw SiteServerError("--listen \(text): the host is missing, e.g. 127.0.0.1:8750") }
        self.host = host
        self.port = port
    }

    var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }
    var usesTLS: Bool { tlsCertificate != nil }

    /// Refuses what cannot run safely: a network address in clear text, half a TLS setup.
    public func validate() throws {
        if (tlsCertificate == nil) != (tlsKey == nil) {
            throw SiteServerError("give both --tls-cert FILE and --tls-key FILE, or neither")
        }
        if !isLoopback && !usesTLS && !insecure {
            throw SiteServerError("refusing to serve patient data on \(host) without TLS: give --tls-cert FILE --tls-key FILE, listen on 127.0.0.1, or pass --insecure if a TLS proxy stands in front")
        }
        for peer in peers { _ = try SyncClient.baseURL(peer) }
    }
}

/// Why the server cannot start.
public struct SiteServerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The site server: the ledger over HTTP for a clinic team (see the README, schemas/openapi.yaml).
public final class SiteServer: Sendable {
    /// The largest request body accepted by default (413 beyond; see ``SiteServerOptions/maxBodyBytes``).
    public static let maxBodyBytes = 64 << 20
    /// The media type of a bundle (sent with `Content-Encoding: gzip`).
    public static let bundleMediaType = "application/x-therapy-ledger-bundle"

    public let store: LedgerStore
    public let options: SiteServerOptions

    public init(store: LedgerStore, options: SiteServerOptions) throws {
        try options.validate()
        self.store = store
        self.options = options
    }

    /// A server started by ``start(stopOnSignals:)``.
    public final class Running: Sendable {
        /// The port listened on (the real one when 0 was asked).
        public let port: Int
        /// `http://127.0.0.1:PORT` or `https://...`.
        public let baseURL: String
        let group: ServiceGroup
        let task: Task<Void, any Error>

        init(port: Int, baseURL: String, group: ServiceGroup, task: Task<Void, any Error>) {
            self.port = port
            self.baseURL = baseURL
            self.group = group
            self.task = task
        }

        /// Graceful shutdown: stops accepting, finishes the requests in flight, then returns.
        public func stop() async throws {
            await group.triggerGracefulShutdown()
            try await task.value
        }

        /// Waits until the server stops (on a signal, or ``stop()``).
        public func wait() async throws { try await task.value }
    }

    /// Starts listening; returns once the server accepts connections. With `stopOnSignals`, SIGTERM and SIGINT
    /// shut it down gracefully (`serve`); tests stop it with ``Running/stop()``.
    public func start(stopOnSignals: Bool = false) async throws -> Running {
        let gracefulShutdownSignals: [UnixSignal] = stopOnSignals ? [.sigterm, .sigint] : []
        var logger = Logger(label: "therapy-ledger.server")
        logger.logLevel = options.logLevel
        let auth = Authenticator(store: store), accessLog = AccessLogWriter(store: store)
        let responder = SiteResponder(store: store, auth: auth, accessLog: accessLog,
                                      peers: PeerAuthenticator(store: store), exportKey: options.exportKey,
                                      maxBodyBytes: options.maxBodyBytes, logger: logger,
                                      pages: PageResponder(store: store, auth: auth, accessLog: accessLog, secure: options.usesTLS || (options.insecure && !options.isLoopback), logger: logger))
        let server: HTTPServerBuilder
        if let cert = options.tlsCertificate, let key = options.tlsKey {
            let chain: [NIOSSLCertificate]
            let privateKey: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(cert)
                privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            } catch {
                throw SiteServerError("cannot read the TLS certificate \(cert) or key \(key) (PEM files expected): \(error)")
            }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
            server = try .tls(.http1(), tlsConfiguration: tls)
        } else {
            server = .http1()
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: responder, server: server,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "therapy-ledger"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        // Shut down in reverse order: peers' sync, then the HTTP server, then the checkpoints (the last one after
        // the last request).
        var services: [any Service] = [app]
        if let checkpointer = try store.checkpointInBackground() {
            services.insert(CheckpointService(checkpointer: checkpointer, every: options.checkpointEvery, logger: logger), at: 0)
        }
        if !options.peers.isEmpty {
            let peers = try options.peers.map(SyncClient.baseURL)
            services.append(PeerSyncService(client: SyncClient(store: store), peers: peers, every: options.syncEvery, logger: logger))
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: gracefulShutdownSignals, cancellationSignals: [], logger: logger)
        let task = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var port: Int?
        for await p in ports { port = p }
        guard let port else {
            // The group ended before listening: surface why (e.g. the address is in use).
            try await task.value
            throw SiteServerError("the server stopped before it listened on \(options.host):\(options.port)")
        }
        let host = options.host.contains(":") ? "[\(options.host)]" : options.host
        return Running(port: port, baseURL: "\(options.usesTLS ? "https" : "http")://\(host):\(port)", group: group, task: task)
    }
}
