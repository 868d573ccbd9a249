import Foundation
import Hummingbird
import NIOCore
import TherapyLedgerCore

/// An error answer: `application/problem+json` (RFC 9457), with the CLI's own text in `detail`.
public struct Problem: Error, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A short name of the kind of problem (the last part of `type`).
    public var kind: String
    /// What was wrong and what to do: the CLI's message.
    public var detail: String
    /// For a refused batch: every error with its line and field.
    public var errors: [FieldError] = []
    /// Extra headers (`WWW-Authenticate`, `Retry-After`).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ kind: String, _ detail: String, errors: [FieldError] = []) {
        self.status = status
        self.kind = kind
        self.detail = detail
        self.errors = errors
    }

    /// The problem document.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "type": .string("https://therapy-ledger.invalid/problems/\(kind)"),
            "title": .string(status.reasonPhrase),
            "status": .number(Double(status.code)),
            "detail": .string(detail),
        ]
        if !errors.isEmpty {
            o["errors"] = .array(errors.map { e in
                var x: [String: JSONValue] = ["field": .string(e.field), "message": .string(e.message)]
                x["line"] = e.line.map { .number(Double($0)) } ?? .null
                return .object(x)
            })
        }
        return .object(o)
    }

    /// The response carrying this problem.
    public var response: Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: CanonicalJSON.encode(json) + [0x0A])))
    }

    static func unauthorized(_ detail: String) -> Problem {
        var p = Problem(.unauthorized, "unauthorized", detail)
        p.headers[.wwwAuthenticate] = "Bearer realm=\"therapy-ledger\""
        return p
    }

    static func forbidden(role: String, action: String, allowed: [String]) -> Problem {
        Problem(.forbidden, "forbidden", "the role \(role) may not \(action): it needs the role \(allowed.joined(separator: " or "))")
    }

    static func notFound(_ detail: String) -> Problem { Problem(.notFound, "not-found", detail) }

    static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, "bad-request", detail) }
}
