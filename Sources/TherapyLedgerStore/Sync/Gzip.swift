import CZlib

/// gzip (RFC 1952) for sync bundles, through the system's zlib: `sync export --compress` writes a bundle as one
/// gzip member; `sync import` recognizes one by its first two bytes (``magic``) and reads it inflated, line by line.
/// The signed digest covers the bundle's lines, not the compressed bytes: a bundle means the same either way.
public enum Gzip {
    /// The first two bytes of every gzip stream.
    public static let magic: [UInt8] = [0x1F, 0x8B]

    /// Whether `bytes` begin like a gzip stream.
    public static func isCompressed(_ bytes: some Collection<UInt8>) -> Bool { bytes.starts(with: magic) }

    /// Why compressed bytes could not be read.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Compresses a stream written piece by piece; ``finish()`` returns the last bytes.
    public final class Deflater {
        private var stream = z_stream()
        private var out = [UInt8](repeating: 0, count: 1 << 16)
        private var open = false

        /// gzip at `level` (9: the smallest; bundles compress to about a fifth).
        public init(level: Int32 = 9) throws {
            let rc = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else { throw Failure(description: "cannot start gzip compression (zlib error \(rc))") }
            open = true
        }

        deinit { if open { deflateEnd(&stream) } }

        /// The compressed bytes for `bytes` so far (possibly none: zlib buffers).
        public func compress(_ bytes: [UInt8]) throws -> [UInt8] { try run(bytes, flush: Z_NO_FLUSH) }

        /// The compressed stream's last bytes and its trailer.
        public func finish() throws -> [UInt8] {
            let tail = try run([], flush: Z_FINISH)
            deflateEnd(&stream)
            open = false
            return tail
        }

        private func run(_ input: [UInt8], flush: Int32) throws -> [UInt8] {
            var result: [UInt8] = []
            var input = input
            try input.withUnsafeMutableBufferPointer { inp in
                stream.next_in = inp.baseAddress
                stream.avail_in = UInt32(inp.count)
                repeat {
                    let produced = try out.withUnsafeMutableBufferPointer { o -> Int in
                        stream.next_out = o.baseAddress
                        stream.avail_out = UInt32(o.count)
                        let rc = deflate(&stream, flush)
                        guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                            throw Failure(description: "gzip compression failed (zlib error \(rc))")
                        }
                        return o.count - Int(stream.avail_out)
                    }
                    result.append(contentsOf: out[0..<produced])
                } while stream.avail_out == 0 || (flush == Z_FINISH && stream.avail_in > 0)
            }
            stream.next_in = nil
            return result
        }
    }

    /// Inflates a gzip stream fed piece by piece, handing out at most a bounded amount at a time (so a small
    /// input that inflates to gigabytes is read as slowly as any other long input, never held whole).
    public final class Inflater {
        private var stream = z_stream()
        private var input: [UInt8] = []
        private var inputOffset = 0
        private var open = false
        /// Whether the gzip stream's end (its trailer, checked) has been reached.
        public private(set) var ended = false

        public init() throws {
            let rc = inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else { throw Failure(description: "cannot start gzip decompression (zlib error \(rc))") }
            open = true
        }

        deinit { if open { inflateEnd(&stream) } }

        /// Whether every byte fed so far has been consumed.
        public var needsInput: Bool { inputOffset >= input.count }

        /// More compressed bytes.
        public func feed(_ bytes: ArraySlice<UInt8>) {
            if inputOffset >= input.count {
                input = Array(bytes)
                inputOffset = 0
            } else {
                input.removeSubrange(0..<inputOffset)
                inputOffset = 0
                input.append(contentsOf: bytes)
            }
        }

        /// Up to `max` inflated bytes of what was fed; empty when it needs more input (or the stream ended).
        /// Throws on damaged input, and on bytes after the stream's end.
        public func inflated(max: Int) throws -> [UInt8] {
            if ended {
                guard needsInput else { throw Failure(description: "bytes follow the end of the compressed bundle") }
                return []
            }
            guard !needsInput else { return [] }
            var out = [UInt8](repeating: 0, count: max)
            var produced = 0
            var rc: Int32 = Z_OK
            input.withUnsafeMutableBufferPointer { inp in
                out.withUnsafeMutableBufferPointer { o in
                    stream.next_in = inp.baseAddress.map { $0 + inputOffset }
                    stream.avail_in = UInt32(inp.count - inputOffset)
                    stream.next_out = o.baseAddress
                    stream.avail_out = UInt32(o.count)
                    rc = inflate(&stream, Z_NO_FLUSH)
                    produced = o.count - Int(stream.avail_out)
                    inputOffset = inp.count - Int(stream.avail_in)
                }
            }
            stream.next_in = nil
            stream.next_out = nil
            switch rc {
            case Z_OK, Z_BUF_ERROR: break
            case Z_STREAM_END:
                ended = true
                if !needsInput { throw Failure(description: "bytes follow the end of the compressed bundle") }
            default:
                let why = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                throw Failure(description: "the compressed bundle is damaged (\(why))")
            }
            out.removeSubrange(produced...)
            return out
        }
    }
}
