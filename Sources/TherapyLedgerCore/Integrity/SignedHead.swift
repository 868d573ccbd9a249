import Crypto

/// A site's signed chain head: the site vouches, with its Ed25519 key, that its chain reached
/// `seq` with hash `hash`. One is made at the end of every committed batch, as Certificate
/// Transparency signs tree heads.
public struct SignedHead: Sendable, Hashable {
    public var site: String
    public var seq: Int64
    public var hash: String
    /// Ed25519 signature of ``message(network:)``, lowercase hex.
    public var signature: String

    public init(site: String, seq: Int64, hash: String, signature: String) {
        self.site = site
        self.seq = seq
        self.hash = hash
        self.signature = signature
    }

    /// The signed bytes: `therapy-ledger head v1`, network, site, seq and hash, one per line.
    public static func message(network: String, site: String, seq: Int64, hash: String) -> [UInt8] {
        Array("therapy-ledger head v1\n\(network)\n\(site)\n\(seq)\n\(hash)".utf8)
    }

    /// Signs a head with a site's private key.
    public static func sign(network: String, site: String, seq: Int64, hash: String, key: Curve25519.Signing.PrivateKey) throws -> SignedHead {
        let sig = try key.signature(for: message(network: network, site: site, seq: seq, hash: hash))
        return SignedHead(site: site, seq: seq, hash: hash, signature: ChainHash.hex(Array(sig)))
    }

    /// Whether the signature is valid for this head under `publicKey` (raw 32 bytes, hex).
    public func isValid(network: String, publicKeyHex: String) -> Bool {
        guard let raw = ChainHash.bytes(hex: publicKeyHex), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw),
              let sig = ChainHash.bytes(hex: signature) else { return false }
        return key.isValidSignature(sig, for: SignedHead.message(network: network, site: site, seq: seq, hash: hash))
    }

    /// A short, comparable fingerprint of a public key: `SHA256:` and the first 16 bytes of its hash in hex.
    public static func fingerprint(publicKeyHex: String) -> String {
        let digest = ChainHash.sha256Hex(ChainHash.bytes(hex: publicKeyHex) ?? [])
        return "SHA256:" + digest.prefix(32)
    }

    /// The head as a JSON object.
    public var json: JSONValue {
        .object(["site": .string(site), "seq": .number(Double(seq)), "hash": .string(hash), "signature": .string(signature)])
    }

    /// Parses a head from a JSON object.
    public init?(json: JSONValue) {
        guard case .string(let site)? = json["site"], let seq = json["seq"]?.integer(in: IntegerLimits.seq),
              case .string(let hash)? = json["hash"], case .string(let signature)? = json["signature"] else { return nil }
        self.init(site: site, seq: seq, hash: hash, signature: signature)
    }
}
