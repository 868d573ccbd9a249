import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerServer
@testable import TherapyLedgerStore

/// Network sync between site servers: signed requests, gzip bundles, convergence byte for byte.
@Suite struct ServerSyncTests {
    @Test func twoServersConvergeOverHTTP() async throws {
        let north = try SyncSite("north", index: 1), south = try SyncSite("south", index: 2)
        try pinAll([north, south])
        try north.append([enrol("P001"), implant("P001"), dose("P001")])
        try south.append([enrol("P100"), implant("P100")])
        let s = try await TestServer(south, users: false)
        let client = SyncClient(store: north.store)
        let r = try await client.sync(s.base)
        #expect(r.peerSite == "south" && r.pushed == 3 && r.pulled == 2, "\(r)")
        #expect(try sortedLines(north.store) == sortedLines(south.store))
        #expect(try north.store.verify().isOK && south.store.verify().isOK)
        // Idempotent: syncing again brings nothing.
        let again = try await client.sync(s.base)
        #expect(again.pushed == 0 && again.pulled == 0)
        #expect(try north.store.peerSyncs().first?.lastSuccess != nil)
        #expect(try north.store.peerSyncs().first?.site == "south")
        try await s.stop()
    }

    @Test func threeServersStayConvergedThroughARestart() async throws {
        let sites = try ["east", "west", "hub"].enumerated().map { try SyncSite($0.element, index: $0.offset + 1) }
        try pinAll(sites)
        let hub = try await TestServer(sites[2], users: false)
        var fast = SiteServerOptions()
        fast.peers = [hub.base]
        fast.syncEvery = .milliseconds(100)
        let east = try await TestServer(sites[0], options: fast, users: false)
        let west = try await TestServer(sites[1], options: fast, users: false)
        try sites[0].append([enrol("E1"), implant("E1")])
        try sites[1].append([enrol("W1")])
        try await converge(sites)
        // The hub goes down; the sites keep recording; it comes back on the same port.
        try await hub.stop()
        try sites[0].append([dose("E1")])
        try sites[1].append([assessment("W1", at: "2025-03-04T09:00:00Z")])
        try await Task.sleep(for: .milliseconds(300))
        try await hub.restart()
        try await converge(sites)
        #expect(try sites[2].store.eventCount() == 5)
        for s in sites { #expect(try s.store.verify().isOK) }
        for server in [east, west, hub] { try await server.stop() }
    }

    /// Waits (at most 20 s) until every site holds the same lines.
    func converge(_ sites: [SyncSite]) async throws {
        for _ in 0..<200 {
            let all = try sites.map { try sortedLines($0.store) }
            if all.dropFirst().allSatisfy({ $0 == all[0] }) && !all[0].isEmpty { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("sites did not converge: \(try sites.map { "\($0.name) \(try $0.store.clock())" })")
    }

    @Test func replayedExpiredAndUnsignedSyncRequestsAreRefused() async throws {
        let north = try SyncSite("north", index: 1), south = try SyncSite("south", index: 2), stranger = try SyncSite("stranger", index: 3)
        try pinAll([north, south])
        let s = try await TestServer(south, users: false)
        let key = try SiteKey.load(from: north.store.keyPath).privateKey
        let path = "/api/v1/sync/clock"
        let signed = try PeerSignature.headers(method: "GET", path: path, query: nil, body: [], site: "north", key: key)
        #expect(try await httpCall(.GET, s.base + path, headers: signed).status == 200)
        expectProblem(try await httpCall(.GET, s.base + path, headers: signed), 401, ["replay"])
        let old = try PeerSignature.headers(method: "GET", path: path, query: nil, body: [], site: "north", key: key, now: Date().addingTimeInterval(-600))
        expectProblem(try await httpCall(.GET, s.base + path, headers: old), 401, ["outside"])
        expectProblem(try await httpCall(.GET, s.base + path), 401, ["signed"])
        // Signed for another path, or by a site the server never pinned.
        let other = try PeerSignature.headers(method: "GET", path: "/api/v1/sync/bundle", query: nil, body: [], site: "north", key: key)
        expectProblem(try await httpCall(.GET, s.base + path, headers: other), 401, ["does not verify"])
        let strangerKey = try SiteKey.load(from: stranger.store.keyPath).privateKey
        let unknown = try PeerSignature.headers(method: "GET", path: path, query: nil, body: [], site: "stranger", key: strangerKey)
        expectProblem(try await httpCall(.GET, s.base + path, headers: unknown), 401, ["not a pinned peer"])
        // A pushed body that was altered after signing.
        let body = try Gzip.compress(try north.store.bundleBytes(since: VectorClock()))
        var push = try PeerSignature.headers(method: "POST", path: "/api/v1/sync/bundles", query: nil, body: body, site: "north", key: key)
        push.append(("Content-Encoding", "gzip"))
        expectProblem(try await httpCall(.POST, s.base + "/api/v1/sync/bundles", headers: push, body: body + [0]), 401, ["Content-Digest"])
        try await s.stop()
    }

    @Test func aRefusedPushWritesNothingAndSaysWhy() async throws {
        let north = try SyncSite("north", index: 1), south = try SyncSite("south", index: 2, network: "other")
        try pinAll([north, south])
        try north.append([enrol("P001")])
        let s = try await TestServer(south, users: false)
        await #expect(throws: SyncClientError.self) { try await SyncClient(store: north.store).push(s.base) }
        do { _ = try await SyncClient(store: north.store).push(s.base) } catch let e as SyncClientError {
            #expect(e.message.contains("422") && e.message.contains("network"), "\(e)")
        }
        #expect(try south.store.eventCount() == 0)
        #expect(try north.store.peerSyncs().first?.lastError != nil)
        try await s.stop()
    }
}
