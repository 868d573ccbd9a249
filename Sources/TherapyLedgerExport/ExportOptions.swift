import Foundation
import TherapyLedgerCore

/// What to export and how.
public struct ExportOptions: Sendable {
    public var kind: ExportKind
    /// Only these patients (empty: every patient). Each must be known to the ledger.
    public var patients: [String]
    /// Keep only rows whose time (see the kind's schema) lies in `from...to`, both inclusive.
    public var from: Timestamp?
    public var to: Timestamp?
    /// Clinical time: fold events that occurred at or before it. Nil: every event, except for `alerts`
    /// and `reservoir`, which need an instant and use the ledger's current time.
    public var asOf: Timestamp?
    /// Ledger time: ignore events recorded after it.
    public var knownAt: Timestamp?
    /// The HMAC key for pseudonyms (nil: real patient ids).
    public var pseudonymKey: [UInt8]?
    /// Write times as days since the patient's first implant.
    public var relativeDates: Bool

    public init(kind: ExportKind, patients: [String] = [], from: Timestamp? = nil, to: Timestamp? = nil, asOf: Timestamp? = nil,
                knownAt: Timestamp? = nil, pseudonymKey: [UInt8]? = nil, relativeDates: Bool = false) {
        self.kind = kind
        self.patients = patients
        self.from = from
        self.to = to
        self.asOf = asOf
        self.knownAt = knownAt
        self.pseudonymKey = pseudonymKey
        self.relativeDates = relativeDates
    }

    /// The shortest key accepted, in bytes.
    public static let minimumKeyBytes = 16

    /// Reads a pseudonym key file: its raw bytes, at least ``minimumKeyBytes``.
    public static func readKey(path: String) throws(ExportError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExportError("cannot read the key file \(path): no such file or not readable (give a file of at least \(minimumKeyBytes) random bytes, e.g. `head -c 32 /dev/urandom > key`)")
        }
        guard data.count >= minimumKeyBytes else {
            throw ExportError("the key file \(path) holds \(data.count) byte\(data.count == 1 ? "" : "s"): a pseudonym key needs at least \(minimumKeyBytes) (e.g. `head -c 32 /dev/urandom > key`)")
        }
        return Array(data)
    }

    /// Checks what can be checked without the ledger.
    public func validate() throws(ExportError) {
        if let from, let to, from > to {
            throw ExportError("--from \(from.iso8601) is after --to \(to.iso8601): give a from time at or before the to time")
        }
        if let key = pseudonymKey, key.count < Self.minimumKeyBytes {
            throw ExportError("the pseudonym key holds \(key.count) byte\(key.count == 1 ? "" : "s"): it needs at least \(Self.minimumKeyBytes)")
        }
    }

    /// Whether a row time passes the `from`/`to` filter. A row without a time passes only when no filter is set.
    func keeps(_ t: Timestamp?) -> Bool {
        guard let t else { return from == nil && to == nil }
        if let from, t < from { return false }
        if let to, t > to { return false }
        return true
    }
}
