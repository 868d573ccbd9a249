import Foundation
import TherapyLedgerCore

/// The JSON answers of `status --json`, `timeline --json`, `worklist --json` and `verify`, as bytes: the CLI
/// prints them and the site server sends them, so both give exactly the same bytes.
extension LedgerStore {
    /// `status --json`: one canonical JSON object and a newline (schemas/status.schema.json).
    public func statusJSON(patient: String, asOf: Timestamp? = nil, knownAt: Timestamp? = nil) throws -> [UInt8] {
        try withSnapshot { try $0.statusJSON(patient: patient, asOf: asOf, knownAt: knownAt) }
    }

    /// `timeline --json`: JSON Lines, one entry per line, in clinical order (empty when nothing had occurred).
    public func timelineJSONLines(patient: String, asOf: Timestamp? = nil, knownAt: Timestamp? = nil) throws -> [UInt8] {
        try withSnapshot { try $0.timelineJSONLines(patient: patient, asOf: asOf, knownAt: knownAt) }
    }

    /// `worklist --json`: JSON Lines, one patient status per line, most urgent first.
    public func worklistJSONLines(within days: Double = 14, asOf: Timestamp? = nil, knownAt: Timestamp? = nil) throws -> [UInt8] {
        Self.jsonLines(try worklist(within: days, asOf: asOf, knownAt: knownAt).map(\.status.json))
    }

    static func jsonLines(_ values: [JSONValue]) -> [UInt8] {
        var out: [UInt8] = []
        for v in values {
            out += CanonicalJSON.encode(v)
            out.append(0x0A)
        }
        return out
    }
}

extension VerificationReport {
    /// The report as JSON: `{"ok","events","sites","problems":[{"site"?,"seq"?,"event"?,"message"}]}`.
    public var json: JSONValue {
        .object([
            "ok": .bool(isOK),
            "events": .number(Double(eventCount)),
            "sites": .number(Double(siteCount)),
            "problems": .array(problems.map { p in
                var o: [String: JSONValue] = ["message": .string(p.description)]
                if let site = p.site { o["site"] = .string(site) }
                if let seq = p.seq { o["seq"] = .number(Double(seq)) }
                if let id = p.eventID { o["event"] = .string(id) }
                return .object(o)
            }),
        ])
    }
}
