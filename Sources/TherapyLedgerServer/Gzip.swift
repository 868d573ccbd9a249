import CompressNIO
import NIOCore

/// Bundles travel gzip-compressed.
public enum Gzip {
    /// The largest bundle accepted once decompressed.
    public static let maxInflatedBytes = 1 << 30

    public static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        let out = try buffer.compress(with: .gzip())
        return Array(out.readableBytesView)
    }

    public static func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        let out = try buffer.decompress(with: .gzip(), maxSize: maxInflatedBytes)
        return Array(out.readableBytesView)
    }
}
