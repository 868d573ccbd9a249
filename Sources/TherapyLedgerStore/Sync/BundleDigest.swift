import Crypto
import Dispatch
import TherapyLedgerCore

/// The SHA-256 of a bundle's lines (each followed by a newline: the digest its header announces), computed on a
/// thread of its own while the import applies the lines: chunks are hashed in the order they are added.
final class BundleDigest: @unchecked Sendable {
    // `hasher` is used only on `queue` (a serial queue): chunks are hashed one at a time, in order.
    private let queue = DispatchQueue(label: "therapy-ledger.bundle-digest")
    private var hasher = SHA256()

    /// Hashes `lines` after every chunk added before.
    func add(_ lines: [[UInt8]]) {
        queue.async { [self] in
            for line in lines {
                hasher.update(data: line)
                hasher.update(data: Self.newline)
            }
        }
    }

    /// The digest of every line added, as lowercase hex, once they are hashed.
    func finalize() -> String {
        queue.sync { ChainHash.hex(Array(hasher.finalize())) }
    }

    private static let newline: [UInt8] = [0x0A]
}
