import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerServer
@testable import TherapyLedgerStore

/// A site server on 127.0.0.1 (ephemeral port) over a test site's ledger, with one user per role.
final class TestServer: @unchecked Sendable {
    let site: SyncSite
    var running: SiteServer.Running
    let options: SiteServerOptions
    /// Token by user name; the users are named after their roles.
    var tokens: [String: String] = [:]

    init(_ site: SyncSite, options: SiteServerOptions = SiteServerOptions(), users: Bool = true) async throws {
        self.site = site
        var o = options
        o.port = options.port == 8750 ? 0 : options.port
        o.logLevel = .error
        self.options = o
        if users {
            for role in UserRole.allCases { tokens[role.rawValue] = try site.store.addUser(name: role.rawValue, role: role, by: "test") }
        }
        running = try await SiteServer(store: site.store, options: o).start()
    }

    var base: String { running.baseURL }

    func stop() async throws { try await running.stop() }

    /// Starts again on the same port (after ``stop()``).
    func restart() async throws {
        var o = options
        o.port = running.port
        running = try await SiteServer(store: site.store, options: o).start()
    }

    /// A request as `user` (nil: no Authorization header).
    func call(_ method: HTTPMethod, _ path: String, as user: String? = nil, body: [UInt8]? = nil,
              contentType: String = "application/x-ndjson", headers: [(String, String)] = []) async throws -> HTTPAnswer {
        var h = headers
        if let user { h.append(("Authorization", "Bearer \(tokens[user] ?? user)")) }
        if body != nil { h.append(("Content-Type", contentType)) }
        return try await httpCall(method, base + path, headers: h, body: body)
    }
}

/// What a server answered.
struct HTTPAnswer: CustomStringConvertible {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSONValue { (try? JSONParser.parse(body)) ?? .null }
    var contentType: String { headers.first(name: "Content-Type") ?? "" }
    var description: String { "\(status) \(contentType) \(text.prefix(600))" }
}

func httpCall(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
              client: HTTPClient = .shared, timeout: TimeAmount = .seconds(300)) async throws -> HTTPAnswer {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (n, v) in headers { request.headers.add(name: n, value: v) }
    if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
    let response = try await client.execute(request, timeout: timeout)
    let bytes = try await response.body.collect(upTo: 1 << 28)
    return HTTPAnswer(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
}

/// Lines as a request body.
func ndjson(_ lines: [String]) -> [UInt8] { Array((lines.joined(separator: "\n") + "\n").utf8) }

/// Expects a problem+json answer with `status` whose detail contains every fragment.
func expectProblem(_ a: HTTPAnswer, _ status: Int, _ fragments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.status == status, "\(a)", sourceLocation: sourceLocation)
    #expect(a.contentType == "application/problem+json", "\(a)", sourceLocation: sourceLocation)
    #expect(a.json["status"]?.numberValue == Double(status), "\(a)", sourceLocation: sourceLocation)
    #expect(a.json["title"]?.stringValue != nil && a.json["type"]?.stringValue != nil, "\(a)", sourceLocation: sourceLocation)
    let detail = a.json["detail"]?.stringValue ?? ""
    for f in fragments { #expect(detail.contains(f), "detail \(detail) lacks \(f)", sourceLocation: sourceLocation) }
}

/// Every recorded line of a ledger, sorted: two ledgers holding the same events give the same list.
func sortedLines(_ store: LedgerStore) throws -> [String] {
    var lines: [String] = []
    try store.forEachRecordedLine { lines.append(String(decoding: $0, as: UTF8.self)) }
    return lines.sorted()
}

/// Pins each site's key in every other site (what `sites --pin` does).
func pinAll(_ sites: [SyncSite]) throws {
    for a in sites {
        for b in sites where a !== b { try a.store.pin(site: b.name, publicKeyHex: try b.store.publicKeyHex) }
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}
