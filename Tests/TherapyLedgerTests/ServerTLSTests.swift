import AsyncHTTPClient
import Foundation
import NIOHTTP1
import NIOSSL
import Testing
@testable import TherapyLedgerServer
@testable import TherapyLedgerStore

/// The server over TLS, with a certificate made in the test by the openssl command.
@Suite struct ServerTLSTests {
    @Test func servesOverTLSWithACertificateMadeHere() async throws {
        let site = try SyncSite("north", index: 1)
        let cert = site.dir.file("cert.pem"), key = site.dir.file("key.pem")
        let r = try run("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        guard r.status == 0 else { throw TestFailure("openssl could not make a certificate (install openssl): \(r)") }
        var o = SiteServerOptions()
        o.tlsCertificate = cert
        o.tlsKey = key
        let server = try await TestServer(site, options: o)
        #expect(server.base.hasPrefix("https://127.0.0.1:"))
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(cert))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        let health = try await httpCall(.GET, server.base + "/api/v1/health", client: client)
        #expect(health.status == 200, "\(health)")
        let token = server.tokens["auditor"] ?? ""
        let verify = try await httpCall(.GET, server.base + "/api/v1/verify", headers: [("Authorization", "Bearer \(token)")], client: client)
        #expect(verify.status == 200 && verify.json["ok"] == .bool(true), "\(verify)")
        // Plain HTTP to the TLS port does not get an answer.
        await #expect(throws: (any Error).self) { try await httpCall(.GET, server.base.replacingOccurrences(of: "https", with: "http") + "/api/v1/health", timeout: .seconds(5)) }
        try await client.shutdown()
        try await server.stop()
    }
}
