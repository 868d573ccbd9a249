import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
@testable import TherapyLedgerCore
@testable import TherapyLedgerServer
@testable import TherapyLedgerStore

/// A browser's side of the served pages: one session cookie, redirects not followed (the tests check them).
final class PageBrowser: @unchecked Sendable {
    /// A client that never follows redirects (HTTPClient.shared does).
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    let base: String
    var cookie: String?

    init(_ base: String) { self.base = base }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> HTTPAnswer {
        try await httpCall(.GET, base + path, headers: headers + (cookie.map { [("Cookie", "therapy_ledger_session=\($0)")] } ?? []), client: Self.client)
    }

    func post(_ path: String, _ form: [(String, String)], headers: [(String, String)] = []) async throws -> HTTPAnswer {
        let body = form.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var h = headers + [("Content-Type", "application/x-www-form-urlencoded")]
        if let cookie { h.append(("Cookie", "therapy_ledger_session=\(cookie)")) }
        return try await httpCall(.POST, base + path, headers: h, body: Array(body.utf8), client: Self.client)
    }

    /// Signs in as `user` with `token`; keeps the session cookie when one is set.
    @discardableResult
    func signIn(_ user: String, _ token: String, next: String? = nil) async throws -> HTTPAnswer {
        let a = try await post("/sign-in", [("user", user), ("token", token)] + (next.map { [("next", $0)] } ?? []))
        if let set = a.headers.first(name: "Set-Cookie"), let value = set.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last {
            cookie = String(value)
        }
        return a
    }

    /// The `csrf` value of the page's forms.
    static func csrf(_ html: String) -> String? { attribute(in: html, after: "name=\"csrf\" value=\"") }

    static func attribute(in html: String, after marker: String) -> String? {
        guard let r = html.range(of: marker) else { return nil }
        let rest = html[r.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// Every value of attribute `name` on elements whose tag text contains `marker`, in document order.
    static func values(_ html: String, marker: String, attributes names: [String]) -> [[String]] {
        var out: [[String]] = []
        var rest = html[...]
        while let r = rest.range(of: marker) {
            let tagEnd = rest[r.upperBound...].firstIndex(of: ">") ?? rest.endIndex
            let tagStart = rest[..<r.lowerBound].lastIndex(of: "<") ?? r.lowerBound
            let tag = String(rest[tagStart..<tagEnd])
            out.append(names.map { attribute(in: tag, after: " \($0)=\"") ?? "" })
            rest = rest[tagEnd...]
        }
        return out
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
