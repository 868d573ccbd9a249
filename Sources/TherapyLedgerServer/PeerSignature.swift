import Crypto
import Foundation
import NIOConcurrencyHelpers
import TherapyLedgerCore
import TherapyLedgerStore

/// HTTP Message Signatures (RFC 9421) as sites use them: an Ed25519 signature by the sending site's key over the
/// method, path, query, `Date` and `Content-Digest` (RFC 9530), with a creation time, the site as key id and a nonce.
public enum PeerSignature {
    /// How far a signature's creation time may be from the server's clock.
    public static let window: TimeInterval = 300

    /// The headers to send: `Date`, `Content-Digest`, `Signature-Input`, `Signature`.
    public static func headers(method: String, path: String, query: String?, body: [UInt8], site: String,
                               key: Curve25519.Signing.PrivateKey, now: Date = Date(), nonce: String? = nil) throws -> [(String, String)] {
        let date = httpDate(now)
        let digest = contentDigest(body)
        let params = "(\"@method\" \"@path\" \"@query\" \"date\" \"content-digest\");created=\(Int64(now.timeIntervalSince1970));keyid=\"\(site)\";nonce=\"\(nonce ?? newNonce())\";alg=\"ed25519\""
        let base = signatureBase(method: method, path: path, query: query, date: date, digest: digest, params: params)
        let signature = try key.signature(for: Array(base.utf8))
        return [("Date", date), ("Content-Digest", digest), ("Signature-Input", "sig1=" + params),
                ("Signature", "sig1=:\(Data(signature).base64EncodedString()):")]
    }

    static func signatureBase(method: String, path: String, query: String?, date: String, digest: String, params: String) -> String {
        """
        "@method": \(method.uppercased())
        "@path": \(path)
        "@query": ?\(query ?? "")
        "date": \(date)
        "content-digest": \(digest)
        "@signature-params": \(params)
        """
    }

    /// `sha-256=:BASE64:` of `body`.
    public static func contentDigest(_ body: [UInt8]) -> String {
        "sha-256=:\(Data(SHA256.hash(data: body)).base64EncodedString()):"
    }

    static func newNonce() -> String {
        var g = SystemRandomNumberGenerator()
        return ChainHash.hex((0..<16).map { _ in UInt8.random(in: 0...255, using: &g) })
    }

    static func httpDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: date)
    }

    /// One parameter (`keyid`, `nonce`, `created`) of a `Signature-Input` value.
    static func parameter(_ name: String, in input: String) -> String? {
        for part in input.split(separator: ";").dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0] == name else { continue }
            return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }
}

/// Checks peers' signed requests: a pinned site's key, within the window, never seen before.
final class PeerAuthenticator: Sendable {
    let store: LedgerStore
    /// Signatures seen within the window, by `keyid nonce`, to refuse replays.
    private let seen = NIOLockedValueBox<[String: Date]>([:])

    init(store: LedgerStore) { self.store = store }

    /// The verified sending site, or a 401 problem saying why not.
    func verify(method: String, path: String, query: String?, headers: (String) -> String?, body: [UInt8], now: Date = Date()) throws -> String {
        guard let inputHeader = headers("Signature-Input"), let sigHeader = headers("Signature"),
              let date = headers("Date"), let digest = headers("Content-Digest") else {
            throw Problem.unauthorized("sync requests must be signed by a site: Signature-Input, Signature, Date and Content-Digest are required (use `therapy-ledger sync push` or `sync pull`)")
        }
        guard inputHeader.hasPrefix("sig1="), sigHeader.hasPrefix("sig1=:"), sigHeader.hasSuffix(":") else {
            throw Problem.unauthorized("the Signature-Input or Signature header is not of the form sig1=...")
        }
        let params = String(inputHeader.dropFirst(5))
        guard params.hasPrefix("(\"@method\" \"@path\" \"@query\" \"date\" \"content-digest\");"),
              let site = PeerSignature.parameter("keyid", in: params), let nonce = PeerSignature.parameter("nonce", in: params),
              let created = PeerSignature.parameter("created", in: params).flatMap(Int64.init) else {
            throw Problem.unauthorized("the signature must cover @method, @path, @query, date and content-digest, with created, keyid and nonce")
        }
        let age = now.timeIntervalSince1970 - Double(created)
        guard abs(age) <= PeerSignature.window else {
            throw Problem.unauthorized("the signature was created \(Int(age)) s from this server's clock, outside \(Int(PeerSignature.window)) s: check both sites' clocks")
        }
        guard digest == PeerSignature.contentDigest(body) else {
            throw Problem.unauthorized("Content-Digest does not match the body: the request was altered in transit")
        }
        guard site != store.site, let keyHex = try store.pinnedPublicKey(site: site), let keyBytes = ChainHash.bytes(hex: keyHex),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes) else {
            throw Problem.unauthorized("site \(site) is not a pinned peer of this ledger: pin its key with `therapy-ledger sites --pin \(site)=KEY` first")
        }
        let signature = Data(base64Encoded: String(sigHeader.dropFirst(6).dropLast())) ?? Data()
        let base = PeerSignature.signatureBase(method: method, path: path, query: query, date: date, digest: digest, params: params)
        guard key.isValidSignature(signature, for: Array(base.utf8)) else {
            throw Problem.unauthorized("the signature does not verify with the key pinned for site \(site)")
        }
        let id = site + " " + nonce
        let replayed = seen.withLockedValue { table -> Bool in
            table = table.filter { now.timeIntervalSince($0.value) <= 2 * PeerSignature.window }
            if table[id] != nil { return true }
            table[id] = now
            return false
        }
        guard !replayed else { throw Problem.unauthorized("this signed request was already received (nonce \(nonce)): a replay is refused") }
        return site
    }
}
