import Crypto

/// The first line of a sync bundle: who sent it, what it covers, and a digest of the rest, signed by the sender.
///
/// A bundle is JSON Lines (schema: `schemas/bundle-header.schema.json`, `schemas/bundle-line.schema.json`):
/// this header, then the recorded events verbatim (each as `log --json` writes it), then one
/// `{"head": {...}}` line per origin site: the signed chain head covering that site's last event in the bundle.
public struct BundleHeader: Sendable, Hashable {
    /// The only format this version reads and writes.
    public static let format = "therapy-ledger-bundle/1"

    public var network: String
    public var sender: String
    /// The sender's vector clock when it wrote the bundle.
    public var senderClock: VectorClock
    /// The clock the bundle was cut against: it holds every event the sender had beyond it.
    public var since: VectorClock
    /// Number of event lines.
    public var count: Int
    /// Number of head lines.
    public var headCount: Int
    /// SHA-256 (hex) of every byte after the header line.
    public var digest: String
    /// Public keys (hex) of the sender and of every origin site in the bundle.
    public var keys: [String: String]
    /// The sender's Ed25519 signature (hex) over the canonical header without this field.
    public var signature: String

    public init(network: String, sender: String, senderClock: VectorClock, since: VectorClock, count: Int, headCount: Int, digest: String,
                keys: [String: String], signature: String = "") {
        self.network = network
        self.sender = sender
        self.senderClock = senderClock
        self.since = since
        self.count = count
        self.headCount = headCount
        self.digest = digest
        self.keys = keys
        self.signature = signature
    }

    func object(signed: Bool) -> JSONValue {
        var o: [String: JSONValue] = [
            "format": .string(Self.format), "network": .string(network), "sender": .string(sender),
            "senderClock": senderClock.json, "since": since.json, "count": .number(Double(count)),
            "headCount": .number(Double(headCount)), "digest": .string(digest),
            "keys": .object(keys.mapValues(JSONValue.string)),
        ]
        if signed { o["signature"] = .string(signature) }
        return .object(o)
    }

    /// The bytes the sender signs.
    public var signedBytes: [UInt8] { Array("therapy-ledger bundle v1\n".utf8) + CanonicalJSON.encode(object(signed: false)) }

    /// Signs the header with the sender's key.
    public mutating func sign(with key: Curve25519.Signing.PrivateKey) throws {
        signature = ChainHash.hex(Array(try key.signature(for: signedBytes)))
    }

    /// Whether the signature verifies with the sender's key in ``keys``.
    public var isSignatureValid: Bool {
        guard let hex = keys[sender], let raw = ChainHash.bytes(hex: hex), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw),
              let sig = ChainHash.bytes(hex: signature) else { return false }
        return key.isValidSignature(sig, for: signedBytes)
    }

    /// The header line (canonical JSON, no newline).
    public var line: [UInt8] { CanonicalJSON.encode(object(signed: true)) }

    /// Why a header could not be read.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses a header line, refusing unknown format versions with a clear message.
    public static func parse(_ bytes: [UInt8], file: String) throws(Invalid) -> BundleHeader {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw Invalid(description: "\(file): line 1 is not a bundle header: \(error)") }
        guard let format = value["format"]?.stringValue else {
            throw Invalid(description: "\(file): line 1 has no \"format\": this is not a therapy-ledger bundle")
        }
        guard format == Self.format else {
            throw Invalid(description: "\(file): unknown bundle format \"\(format)\": this version reads \(Self.format) only; upgrade therapy-ledger at this site")
        }
        func bad(_ field: String) -> Invalid { Invalid(description: "\(file): line 1, field \(field): missing or malformed") }
        guard let network = value["network"]?.stringValue else { throw bad("network") }
        guard let sender = value["sender"]?.stringValue, Identifiers.isSiteName(sender) else { throw bad("sender") }
        guard let sc = value["senderClock"], let senderClock = VectorClock(json: sc) else { throw bad("senderClock") }
        guard let s = value["since"], let since = VectorClock(json: s) else { throw bad("since") }
        guard let c = value["count"]?.integer(in: IntegerLimits.lineCount) else { throw bad("count") }
        guard let h = value["headCount"]?.integer(in: IntegerLimits.lineCount) else { throw bad("headCount") }
        guard let digest = value["digest"]?.stringValue, digest.utf8.count == 64 else { throw bad("digest") }
        guard case .object(let k)? = value["keys"] else { throw bad("keys") }
        var keys: [String: String] = [:]
        for (site, v) in k {
            guard Identifiers.isSiteName(site), let hex = v.stringValue, hex.utf8.count == 64, ChainHash.bytes(hex: hex) != nil else { throw bad("keys.\(site)") }
            keys[site] = hex
        }
        guard let signature = value["signature"]?.stringValue else { throw bad("signature") }
        let header = BundleHeader(network: network, sender: sender, senderClock: senderClock, since: since, count: c, headCount: h,
                                  digest: digest, keys: keys, signature: signature)
        guard CanonicalJSON.encode(value) == bytes else {
            throw Invalid(description: "\(file): line 1 is not in canonical form: the header was edited")
        }
        return header
    }
}
