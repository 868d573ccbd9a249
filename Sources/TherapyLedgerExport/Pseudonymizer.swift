import Crypto
import Foundation

/// Keyed pseudonyms: HMAC-SHA256 of the patient id under a secret key, as lowercase hex.
///
/// The same key gives the same pseudonym in every export, so files can be joined; without the key the
/// id cannot be recomputed. This is pseudonymization, not HIPAA Safe Harbor de-identification.
public struct Pseudonymizer {
    let key: SymmetricKey

    public init(key: [UInt8]) { self.key = SymmetricKey(data: key) }

    /// The pseudonym of `patient`: 64 lowercase hex digits.
    public func pseudonym(_ patient: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(patient.utf8), using: key)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in mac {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
