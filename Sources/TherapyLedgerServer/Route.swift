import Foundation
import HTTPTypes

/// Where a request goes: the endpoint, its path parameters, and its template (logged instead of the path).
struct Route: Sendable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case health, events, status(String), timeline(String), worklist, export(String), verify, accessLog
        case syncClock, syncBundle, syncBundles
        case notFound
        case methodNotAllowed(String)
    }

    let kind: Kind
    /// The path with parameters replaced by names, e.g. `/api/v1/patients/{id}/status`.
    let template: String

    init(method: HTTPRequest.Method, path rawPath: String) {
        let path = rawPath.removingPercentEncoding ?? rawPath
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        func expect(_ m: HTTPRequest.Method, _ k: Kind, _ t: String) -> (Kind, String) {
            method == m || (m == .get && method == .head) ? (k, t) : (.methodNotAllowed(m.rawValue), t)
        }
        var result: (Kind, String) = (.notFound, "/api/v1/…")
        if parts.count >= 3, parts[0] == "api", parts[1] == "v1" {
            let rest = Array(parts.dropFirst(2))
            switch rest.count {
            case 1:
                switch rest[0] {
                case "health": result = expect(.get, .health, "/api/v1/health")
                case "events": result = expect(.post, .events, "/api/v1/events")
                case "worklist": result = expect(.get, .worklist, "/api/v1/worklist")
                case "verify": result = expect(.get, .verify, "/api/v1/verify")
                case "access-log": result = expect(.get, .accessLog, "/api/v1/access-log")
                default: break
                }
            case 2:
                if rest[0] == "exports", rest[1].hasSuffix(".csv") {
                    result = expect(.get, .export(String(rest[1].dropLast(4))), "/api/v1/exports/{kind}.csv")
                } else if rest[0] == "sync" {
                    switch rest[1] {
                    case "clock": result = expect(.get, .syncClock, "/api/v1/sync/clock")
                    case "bundle": result = expect(.get, .syncBundle, "/api/v1/sync/bundle")
                    case "bundles": result = expect(.post, .syncBundles, "/api/v1/sync/bundles")
                    default: break
                    }
                }
            case 3 where rest[0] == "patients" && !rest[1].isEmpty:
                if rest[2] == "status" { result = expect(.get, .status(rest[1]), "/api/v1/patients/{id}/status") }
                if rest[2] == "timeline" { result = expect(.get, .timeline(rest[1]), "/api/v1/patients/{id}/timeline") }
            default: break
            }
        }
        kind = result.0
        // An unknown path is reported by its first segments only: it may hold a patient id.
        if case .notFound = result.0 {
            template = parts.count >= 2 ? "/" + parts.prefix(2).joined(separator: "/") + "/…" : "/…"
        } else {
            template = result.1
        }
    }

    /// Every operation the server answers, as `METHOD /path` relative to `/api/v1` (schemas/openapi.yaml lists the same).
    static let operations = [
        "GET /health", "POST /events", "GET /patients/{id}/status", "GET /patients/{id}/timeline", "GET /worklist",
        "GET /exports/{kind}.csv", "GET /verify", "GET /access-log", "GET /sync/clock", "GET /sync/bundle", "POST /sync/bundles",
    ]

    /// The access-log action and role-table row.
    var action: String {
        switch kind {
        case .health: return "health"
        case .events: return "append"
        case .status: return "status"
        case .timeline: return "timeline"
        case .worklist: return "worklist"
        case .export: return "export"
        case .verify: return "verify"
        case .accessLog: return "access-log"
        case .syncClock, .syncBundle, .syncBundles: return "sync"
        case .notFound, .methodNotAllowed: return "none"
        }
    }

    /// The patient the request names, if any.
    var patient: String? {
        switch kind {
        case .status(let p), .timeline(let p): return p
        default: return nil
        }
    }

    /// What the request does, for messages ("read a patient's status").
    var description: String {
        switch kind {
        case .events: return "record events"
        case .status: return "read a patient's status"
        case .timeline: return "read a patient's timeline"
        case .worklist: return "read the worklist"
        case .export: return "export"
        case .verify: return "verify the ledger"
        case .accessLog: return "read the access log"
        default: return template
        }
    }
}
