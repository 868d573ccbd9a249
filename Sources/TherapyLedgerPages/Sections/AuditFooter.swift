import TherapyLedgerCore
import TherapyLedgerStore

/// Where a report's facts come from, for the auditor: only what every site holding the same events
/// shares (the network, the events' own ids, seqs and hashes, and the signed heads that cover them),
/// never the local site, a file path or the time the report was made.
public struct ReportProvenance: Sendable, Hashable {
    public var network: String
    /// How many recorded events the report was computed from.
    public var eventCount: Int
    /// Per site, its last event used and the signed head covering it (by site).
    public var heads: [CoveringHead]

    public init(network: String, eventCount: Int, heads: [CoveringHead]) {
        self.network = network
        self.eventCount = eventCount
        self.heads = heads
    }

    /// Each site's last seq among `events`.
    public static func lastSeqs(of events: [ProjectionEvent]) -> [String: Int64] {
        var out: [String: Int64] = [:]
        for e in events { out[e.site] = max(out[e.site] ?? 0, e.seq) }
        return out
    }
}

/// The auditor's footer.
enum AuditFooter {
    /// The report format, printed so that a reader knows which rules made the file.
    static let format = "therapy-ledger-report/1"

    static func render(_ b: inout HTMLBuilder, _ p: ReportProvenance, scope: String, asOf: Timestamp, knownAt: Timestamp?) {
        b.element("footer", [("class", "audit"), ("aria-labelledby", "audit-heading")]) { b in
            b.element("h2", [("id", "audit-heading")], text: "For the auditor")
            b.element("p") { b in
                b.text("Report format \(format), network \(p.network). \(scope) as of \(asOf.iso8601)")
                b.text(knownAt.map { ", as the ledger knew it at \($0.iso8601)" } ?? ", every event recorded")
                b.text(": computed from \(p.eventCount) recorded event\(p.eventCount == 1 ? "" : "s") of \(p.heads.count) site\(p.heads.count == 1 ? "" : "s"). ")
                b.text("This page holds only facts every site holding these events shares: the same events give the same bytes at every site. It names no local site, file or time of printing.")
            }
            b.element("table", [("class", "heads")]) { b in
                b.element("caption", text: "Signed heads covering the events used: each site's last event, and the head that site signed at the end of the batch that recorded it")
                b.element("thead") { b in
                    b.element("tr") { b in
                        for h in ["site", "last event used", "its hash", "signed head", "head hash", "Ed25519 signature", "site key"] {
                            b.element("th", [("scope", "col")], text: h)
                        }
                    }
                }
                b.element("tbody") { b in
                    for h in p.heads {
                        b.element("tr") { b in
                            b.element("td", text: h.site)
                            b.element("td", text: "\(h.site):\(h.lastSeq)")
                            b.element("td") { b in b.element("code", text: h.lastHash) }
                            b.element("td", text: "\(h.head.site):\(h.head.seq)")
                            b.element("td") { b in b.element("code", text: h.head.hash) }
                            b.element("td") { b in b.element("code", text: h.head.signature) }
                            b.element("td") { b in b.element("code", text: h.keyFingerprint) }
                        }
                        b.newline()
                    }
                }
            }
            b.element("p", text: "To check: the signature is over the lines \"therapy-ledger head v1\", network, site, seq and hash; the head's hash chains back through every earlier event of its site, the last event used included. `therapy-ledger verify` on any ledger holding these events recomputes the chains and checks every signed head against the site's pinned key.")
        }
    }
}
