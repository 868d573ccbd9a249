import Crypto

/// A site's record that it pinned another site's key (or trusts a fingerprint for it), signed with its own
/// key so that an edit of the ledger file alone cannot swap a pinned key unnoticed.
///
/// Two kinds of records exist, told apart by their first line:
/// - a pin, `therapy-ledger pin v1`: this site holds `key` as the public key of `site` (its own included);
/// - a trust, `therapy-ledger trust v1`: this site accepts for `site` the key whose fingerprint is
///   `fingerprint`, confirmed by hand (`sites trust`) before any bundle from it was seen.
public enum PinRecord {
    /// The bytes a pin's signature covers.
    public static func pinMessage(network: String, owner: String, site: String, publicKeyHex: String) -> [UInt8] {
        Array("therapy-ledger pin v1\n\(network)\n\(owner)\n\(site)\n\(publicKeyHex)".utf8)
    }

    /// The bytes a trusted fingerprint's signature covers.
    public static func trustMessage(network: String, owner: String, site: String, fingerprint: String) -> [UInt8] {
        Array("therapy-ledger trust v1\n\(network)\n\(owner)\n\(site)\n\(fingerprint)".utf8)
    }

    /// Signs `message` with the owner's private key; lowercase hex.
    public static func sign(_ message: [UInt8], with key: Curve25519.Signing.PrivateKey) throws -> String {
        ChainHash.hex(Array(try key.signature(for: message)))
    }

    /// Whether `signature` (hex) over `message` verifies with the owner's public key (hex).
    public static func isValid(_ signature: String?, for message: [UInt8], ownerKeyHex: String?) -> Bool {
        guard let signature, let ownerKeyHex, let raw = ChainHash.bytes(hex: ownerKeyHex),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw), let sig = ChainHash.bytes(hex: signature) else { return false }
        return key.isValidSignature(sig, for: message)
    }

    /// A fingerprint as typed by a person, normalized to the form ``SignedHead/fingerprint(publicKeyHex:)``
    /// prints (`SHA256:` and 32 lowercase hex digits), or nil when it is not one.
    public static func normalizedFingerprint(_ text: String) -> String? {
        var t = text.trimmingCharactersInWhitespace()
        if t.lowercased().hasPrefix("sha256:") { t = String(t.dropFirst(7)) }
        let hex = t.lowercased()
        guard hex.utf8.count == 32, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return "SHA256:" + hex
    }
}

extension String {
    fileprivate func trimmingCharactersInWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }
}
