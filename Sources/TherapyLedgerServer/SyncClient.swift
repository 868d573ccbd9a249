import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TherapyLedgerCore
import TherapyLedgerStore

/// What one network sync with a peer did.
public struct PeerSyncReport: Sendable {
    /// The peer's site.
    public var peerSite: String
    /// Events the peer took from us (push) and we took from it (pull).
    public var pushed: Int
    public var pulled: Int
    public var pulledConflicts: Int
}

/// Why a network sync failed, with the peer and what to do.
public struct SyncClientError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The client side of network sync (`sync push`, `sync pull`, `serve --peer`): signed requests carrying the
/// same bundles as files.
public struct SyncClient: Sendable {
    public let store: LedgerStore
    let client: HTTPClient
    public var timeout: TimeAmount = .seconds(300)

    /// A client that leaves bodies as sent (bundles are decompressed here, with a limit), for the process's lifetime.
    public static let defaultClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(decompression: .disabled))

    public init(store: LedgerStore, client: HTTPClient = SyncClient.defaultClient) {
        self.store = store
        self.client = client
    }

    /// Checks and normalizes a peer's base URL (`http://host:port` or `https://host:port`).
    public static func baseURL(_ text: String) throws -> String {
        guard let url = URL(string: text), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil,
              url.path.isEmpty || url.path == "/", url.query == nil else {
            throw SyncClientError("peer \(text): expected a base URL like http://host:8750 or https://host:8750")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// Sends the peer what it lacks; returns the events it took.
    public func push(_ peer: String) async throws -> PeerSyncReport {
        let base = try Self.baseURL(peer)
        do {
            let (site, clock) = try await peerClock(base)
            let store = self.store
            let bundle = try await blocking { try Gzip.compress(try store.bundleBytes(since: clock)) }
            let body = try await send("POST", base, "/api/v1/sync/bundles", nil, bundle, contentEncoding: "gzip")
            let value = try JSONParser.parse(body)
            let taken = Int(value["new"]?.numberValue ?? 0)
            try? await blocking { try store.recordPeerSync(peer: base, site: site, error: nil) }
            return PeerSyncReport(peerSite: site, pushed: taken, pulled: 0, pulledConflicts: 0)
        } catch {
            try? await blocking { [store] in try store.recordPeerSync(peer: base, site: nil, error: "\(error)") }
            throw error
        }
    }

    /// Takes from the peer what this ledger lacks; returns the events imported.
    public func pull(_ peer: String) async throws -> PeerSyncReport {
        let base = try Self.baseURL(peer)
        let store = self.store
        do {
            let clock = try await blocking { try store.clock() }
            let compressed = try await send("GET", base, "/api/v1/sync/bundle", "since=" + Self.encode(clock.description), [], contentEncoding: nil)
            let report = try await blocking { () throws -> BundleImportReport in
                let bytes: [UInt8]
                do { bytes = try Gzip.decompress(compressed) } catch { throw SyncClientError("\(base) sent a bundle that is not gzip-compressed") }
                return try store.importBundle(bytes: bytes, label: "the bundle from \(base)")
            }
            try? await blocking { try store.recordPeerSync(peer: base, site: report.sender, error: nil) }
            return PeerSyncReport(peerSite: report.sender, pushed: 0, pulled: report.newEvents, pulledConflicts: report.conflicts)
        } catch {
            try? await blocking { try store.recordPeerSync(peer: base, site: nil, error: "\(error)") }
            throw error
        }
    }

    /// Push, then pull.
    public func sync(_ peer: String) async throws -> PeerSyncReport {
        let pushed = try await push(peer)
        var pulled = try await pull(peer)
        pulled.pushed = pushed.pushed
        return pulled
    }

    func peerClock(_ base: String) async throws -> (String, VectorClock) {
        let body = try await send("GET", base, "/api/v1/sync/clock", nil, [], contentEncoding: nil)
        guard let value = try? JSONParser.parse(body), let site = value["site"]?.stringValue,
              let clockValue = value["clock"], let clock = VectorClock(json: clockValue) else {
            throw SyncClientError("\(base)/api/v1/sync/clock did not answer a site and a clock: is it a therapy-ledger server?")
        }
        return (site, clock)
    }

    /// One signed request; the body of a 200, else an error carrying the peer's problem detail.
    func send(_ method: String, _ base: String, _ path: String, _ query: String?, _ body: [UInt8], contentEncoding: String?) async throws -> [UInt8] {
        let store = self.store
        let site = store.site
        let signed = try await blocking {
            try PeerSignature.headers(method: method, path: path, query: query, body: body, site: site, key: SiteKey.load(from: store.keyPath).privateKey)
        }
        var request = HTTPClientRequest(url: base + path + (query.map { "?" + $0 } ?? ""))
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signed { request.headers.add(name: name, value: value) }
        if let contentEncoding {
            request.headers.add(name: "Content-Encoding", value: contentEncoding)
            request.headers.add(name: "Content-Type", value: SiteServer.bundleMediaType)
        }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw SyncClientError("cannot reach \(base): \(error) (is the peer's server running?)")
        }
        let bytes = Array(try await response.body.collect(upTo: Gzip.maxInflatedBytes).readableBytesView)
        guard response.status == .ok else {
            let detail = (try? JSONParser.parse(bytes))?["detail"]?.stringValue ?? String(decoding: bytes.prefix(500), as: UTF8.self)
            throw SyncClientError("\(base)\(path) answered \(response.status.code): \(detail)")
        }
        return bytes
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+:,{}\"")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T { try await Blocking.run(body) }
}
