import Foundation
import TherapyLedgerCore

/// Event ids for a live ledger: time-ordered UUIDs (version 7) whose random bits for a whole batch come from one
/// draw of the system's random source, not ten system calls per id.
enum EventIDs {
    /// `count` ids stamped with the current time in milliseconds.
    static func live(_ count: Int) -> [String] {
        guard count > 0 else { return [] }
        let ms = UInt64(Date().timeIntervalSince1970 * 1000)
        let random = randomBytes(count * 10)
        return (0..<count).map { i in Identifiers.uuidV7(milliseconds: ms, random: Array(random[(i * 10)..<(i * 10 + 10)])) }
    }

    /// `count` bytes from the system's cryptographic random source, drawn at once (one read of `/dev/urandom`).
    static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            while filled < count {
                let n = bytes.withUnsafeMutableBytes { b -> Int in
                    guard let base = b.baseAddress else { return -1 }
                    return read(fd, base + filled, count - filled)
                }
                if n > 0 { filled += n } else if n == 0 || errno != EINTR { break }
            }
            close(fd)
        }
        if filled < count {
            // No /dev/urandom: the standard library's source, which never fails.
            var g = SystemRandomNumberGenerator()
            for i in filled..<count { bytes[i] = UInt8.random(in: 0...255, using: &g) }
        }
        return bytes
    }
}
