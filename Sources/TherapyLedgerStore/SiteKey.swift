import Crypto
import Foundation
import TherapyLedgerCore

/// A site's Ed25519 signing key, kept in its own file beside the ledger (`LEDGER.key`, mode 0600),
/// never inside the ledger. The file holds the 32-byte private key as hex on one line.
public struct SiteKey {
    /// The private key.
    public let privateKey: Curve25519.Signing.PrivateKey

    /// The public key, raw 32 bytes as lowercase hex.
    public var publicKeyHex: String { ChainHash.hex(Array(privateKey.publicKey.rawRepresentation)) }

    /// The key file path for a ledger path: the ledger's path with `.key` appended to its name
    /// (`clinic.sqlite` -> `clinic.sqlite.key`).
    public static func path(forLedger ledger: String) -> String { ledger + ".key" }

    /// Creates a new key and writes it to `path` with mode 0600; refuses to overwrite.
    public static func create(at path: String) throws -> SiteKey {
        let key = Curve25519.Signing.PrivateKey()
        let text = ChainHash.hex(Array(key.rawRepresentation)) + "\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw StoreError("cannot create key file \(path): \(String(cString: strerror(errno))) (it must not already exist)")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw StoreError("cannot write key file \(path): \(String(cString: strerror(errno)))")
        }
        return SiteKey(privateKey: key)
    }

    /// Loads the key from `path`. Like ssh with a private key, refuses a key file that its group or others may
    /// read or write (mode bits 077): anyone who can read it can sign as this site.
    public static func load(from path: String) throws -> SiteKey {
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & 0o077 != 0 {
            let mode = String(st.st_mode & 0o777, radix: 8)
            throw StoreError("the site key file \(path) has permissions 0\(mode): it is readable or writable by others, and anyone who can read it can sign as this site. It must be private to its owner: run `chmod 600 \(path)` (and consider whether the key has leaked)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError("cannot read the site key file \(path): it must sit beside the ledger (created by `therapy-ledger init`)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = ChainHash.bytes(hex: text), raw.count == 32,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw StoreError("the site key file \(path) is not a 32-byte Ed25519 key in hex")
        }
        return SiteKey(privateKey: key)
    }
}
