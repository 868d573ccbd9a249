import Foundation
import TherapyLedgerCore

/// A request's query parameters, percent-decoded, repeatable names kept in order.
struct Query: Sendable {
    private var pairs: [(String, String)] = []
    /// The query as sent.
    let raw: String

    init(_ query: String?) {
        raw = query ?? ""
        for part in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode: (Substring) -> String = { ($0.replacingOccurrences(of: "+", with: " ")).removingPercentEncoding ?? String($0) }
            pairs.append((decode(kv[0]), kv.count > 1 ? decode(kv[1]) : ""))
        }
    }

    subscript(_ name: String) -> String? { pairs.last { $0.0 == name }?.1 }

    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    /// A time parameter (`asOf`, `knownAt`, `from`, `to`, `since`): an ISO 8601 time with offset, or a date.
    func time(_ name: String) throws -> Timestamp? {
        guard let text = self[name] else { return nil }
        guard let t = Timestamp.parseTimeOrDate(text) else {
            throw Problem(.unprocessableContent, "invalid-parameter",
                          "\(name) \(text): expected a time like 2026-03-01T09:30:00Z (with an offset) or a date like 2026-03-01")
        }
        return t
    }

    /// The names not in `known`, for a clear refusal of a misspelt parameter.
    func unknown(_ known: Set<String>) -> [String] { pairs.map(\.0).filter { !known.contains($0) } }
}
