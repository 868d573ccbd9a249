import Foundation
import TherapyLedgerStore

/// Buffered writing to standard output and standard error.
enum Output {
    static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            var offset = 0
            while offset < p.count {
                let n = Foundation.write(1, base + offset, p.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }

    static func line(_ s: String) { write(Array((s + "\n").utf8)) }

    static func error(_ s: String) {
        FileHandle.standardError.write((s + "\n").data(using: .utf8) ?? Data())
    }
}

/// A plain error for the command line: the message is what the user sees.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
