import Crypto
import Foundation
import TherapyLedgerCore

/// Keyed pseudonyms: HMAC-SHA256 of the patient id under a secret key, as lowercase hex.
///
/// The same key gives the same pseudonym in every export, so files can be joined; without the key the
/// id cannot be recomputed. This is pseudonymization, not HIPAA Safe Harbor de-identification.
public struct Pseudonymizer: Sendable {
    let keyBytes: [UInt8]

    public init(key: [UInt8]) { self.keyBytes = key }

    /// The pseudonym of `patient`: 64 lowercase hex digits.
    public func pseudonym(_ patient: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(patient.utf8), using: SymmetricKey(data: keyBytes))
        return ChainHash.hex(Array(mac))
    }
}
