import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TherapyLedgerCore
import TherapyLedgerStore

/// The network-sync endpoints: a peer site's signed requests carry the same bundles as `sync export` and
/// `sync import`, gzip-compressed.
extension SiteResponder {
    func handleSync(_ route: Route, _ request: Request, _ context: SiteContext) async throws -> Response {
        let body: [UInt8] = route.kind == .syncBundles ? try await collect(request) : []
        let headers = request.headers
        let path = request.uri.path, query = request.uri.query, method = request.method.rawValue
        let peers = self.peers, store = self.store
        let site = try await Blocking.run {
            try peers.verify(method: method, path: path, query: query, headers: { name in HTTPField.Name(name).flatMap { headers[$0] } }, body: body)
        }
        switch route.kind {
        case .syncClock:
            let clock = try await Blocking.run { try store.clock() }
            return json(.object(["site": .string(store.site), "clock": clock.json]))
        case .syncBundle:
            let q = Query(query)
            let since: VectorClock
            if let text = q["since"] {
                guard let value = try? JSONParser.parse(Array(text.utf8)), let clock = VectorClock(json: value) else {
                    throw Problem(.unprocessableContent, "invalid-parameter", "since \(text): expected a vector clock like {\"north\":120,\"south\":48}")
                }
                since = clock
            } else {
                since = VectorClock()
            }
            let compressed = try await Blocking.run { try Gzip.compress(try store.bundleBytes(since: since)) }
            var h: HTTPFields = [:]
            h[.contentType] = SiteServer.bundleMediaType
            h[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: compressed)))
        default:
            guard headers[.contentEncoding] == "gzip" else {
                throw Problem(.unsupportedMediaType, "unsupported-media-type", "bundles travel gzip-compressed: send Content-Encoding: gzip")
            }
            let report = try await Blocking.run { () throws -> (BundleImportReport, VectorClock) in
                let bundle: [UInt8]
                do { bundle = try Gzip.decompress(body) } catch {
                    throw Problem(.unprocessableContent, "bundle-refused", "import refused, nothing written: the body is not gzip-compressed data")
                }
                do {
                    let r = try store.importBundle(bytes: bundle, label: "the bundle pushed by \(site)")
                    return (r, try store.clock())
                } catch let e as SyncError {
                    throw Problem(.unprocessableContent, "bundle-refused", "import refused, nothing written: \(e.message)")
                }
            }
            return json(.object([
                "sender": .string(report.0.sender), "new": .number(Double(report.0.newEvents)),
                "duplicates": .number(Double(report.0.duplicates)), "conflicts": .number(Double(report.0.conflicts)),
                "clock": report.1.json,
            ]))
        }
    }
}
