import Foundation
import HTTPTypes

/// Where a request for a page goes (every path outside `/api/`), and what the access log calls it.
struct PageRoute: Sendable {
    enum Kind: Sendable, Equatable {
        case signIn, signOut, stylesheet, script
        case worklist
        case patient(String)
        case expectedResidual(String)
        case record(String, String)
        case notFound
    }

    let kind: Kind
    /// The path with parameters replaced by names, for the server's own log (never a patient id).
    let template: String

    init(path rawPath: String) {
        let path = rawPath.removingPercentEncoding ?? rawPath
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch parts.count {
        case 0: (kind, template) = (.worklist, "/")
        case 1 where parts[0] == "sign-in": (kind, template) = (.signIn, "/sign-in")
        case 1 where parts[0] == "sign-out": (kind, template) = (.signOut, "/sign-out")
        case 2 where parts[0] == "assets" && parts[1] == "pages.css": (kind, template) = (.stylesheet, "/assets/pages.css")
        case 2 where parts[0] == "assets" && parts[1] == "pages.js": (kind, template) = (.script, "/assets/pages.js")
        case 2 where parts[0] == "patients": (kind, template) = (.patient(parts[1]), "/patients/{id}")
        case 3 where parts[0] == "patients" && parts[2] == "expected-residual":
            (kind, template) = (.expectedResidual(parts[1]), "/patients/{id}/expected-residual")
        case 4 where parts[0] == "patients" && parts[2] == "record":
            (kind, template) = (.record(parts[1], parts[3]), "/patients/{id}/record/{type}")
        default: (kind, template) = (.notFound, "/…")
        }
    }

    /// The methods the route answers.
    var methods: [HTTPRequest.Method] {
        switch kind {
        case .signIn, .record: return [.get, .head, .post]
        case .signOut: return [.post]
        default: return [.get, .head]
        }
    }

    /// The access-log action of a request that reads or writes patient data (nil: not patient data).
    func action(_ method: HTTPRequest.Method) -> String? {
        switch kind {
        case .worklist: return "page-worklist"
        case .patient: return "page-patient"
        case .expectedResidual: return "page-expected-residual"
        case .record: return method == .post ? "page-record" : "page-record-form"
        default: return nil
        }
    }

    /// The patient the request names.
    var patient: String? {
        switch kind {
        case .patient(let p), .expectedResidual(let p), .record(let p, _): return p
        default: return nil
        }
    }
}
