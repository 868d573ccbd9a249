import Foundation

/// Reads a file line by line in large chunks (LF-terminated lines; a final line without LF is returned too),
/// in time linear in the bytes read, with a bound on the length of any line.
///
/// Works on regular files, pipes, FIFOs, `/dev/stdin` and process substitutions alike: it only calls
/// `read(2)` until end of file, never `stat` sizes or seeks. A line longer than ``maxLineBytes`` throws
/// ``LineTooLong`` once that many bytes have been read without a newline, so an endless input without
/// newlines (`/dev/zero`) is refused after reading a bounded amount.
public final class LineReader {
    let fd: Int32
    let ownsDescriptor: Bool
    var buffer: [UInt8] = []
    var start = 0
    /// Where the search for the next newline resumes: bytes from `start` up to here hold none.
    var scanned = 0
    var eof = false
    public let path: String
    /// The longest line accepted, in bytes (without its LF).
    public var maxLineBytes: Int
    /// The 1-based number of the last line returned.
    public private(set) var lineNumber = 0
    /// Whether the last line returned ended with a newline (false only for a final line cut short).
    public private(set) var lastLineTerminated = true
    /// Bytes read from the file so far.
    public private(set) var bytesRead = 0
    let chunkSize: Int
    var chunk: [UInt8] = []
    /// Set for a compressed input: what is read is inflated first (see ``inflating(with:)``).
    var inflater: Gzip.Inflater?
    /// Whether the compressed file itself has been read to its end.
    var rawEOF = false
    lazy var decodedChunk = max(chunkSize, 1 << 16)

    /// A line was longer than the reader's limit.
    public struct LineTooLong: Error, Sendable, CustomStringConvertible {
        public var path: String
        /// The 1-based number of the line.
        public var line: Int
        public var limit: Int
        public var description: String { "\(path): line \(line) is longer than \(limit) bytes" }
    }

    public init(path: String, maxLineBytes: Int = Int.max, chunkSize: Int = 1 << 20) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError("cannot read \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        self.ownsDescriptor = true
        self.path = path
        self.maxLineBytes = maxLineBytes
        self.chunkSize = chunkSize
    }

    /// Reads from an open descriptor, which stays open (tests pass one end of a pipe).
    public init(descriptor: Int32, name: String, maxLineBytes: Int = Int.max, chunkSize: Int = 1 << 20) {
        self.fd = descriptor
        self.ownsDescriptor = false
        self.path = name
        self.maxLineBytes = maxLineBytes
        self.chunkSize = chunkSize
    }

    /// Reads lines from bytes in memory (the fuzzers and tests use it; no descriptor).
    public init(bytes: [UInt8], name: String, maxLineBytes: Int = Int.max) {
        self.fd = -1
        self.ownsDescriptor = false
        self.path = name
        self.maxLineBytes = maxLineBytes
        self.chunkSize = 0
        buffer = bytes
        bytesRead = bytes.count
        eof = true
    }

    deinit { if ownsDescriptor { close(fd) } }

    /// The next line without its terminator, or nil at the end.
    public func next() throws -> ArraySlice<UInt8>? {
        while true {
            if let nl = buffer[scanned...].firstIndex(of: 0x0A) {
                guard nl - start <= maxLineBytes else { throw LineTooLong(path: path, line: lineNumber + 1, limit: maxLineBytes) }
                let line = buffer[start..<nl]
                start = nl + 1
                scanned = start
                lineNumber += 1
                lastLineTerminated = true
                return line
            }
            scanned = buffer.count
            guard buffer.count - start <= maxLineBytes else { throw LineTooLong(path: path, line: lineNumber + 1, limit: maxLineBytes) }
            if eof {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                scanned = start
                lineNumber += 1
                lastLineTerminated = false
                return line
            }
            if start > 0 {
                // The lines before `start` were handed out; their slices own copies of the storage they need.
                buffer.removeSubrange(0..<start)
                scanned -= start
                start = 0
            }
            try fill()
        }
    }

    /// Reads the rest of the input through `inflater` (the bytes read but not yet returned included): a gzip
    /// bundle is then read as its lines. At most a chunk of inflated bytes is held beyond the current line.
    public func inflating(with inflater: Gzip.Inflater) throws {
        inflater.feed(buffer[start...])
        buffer = []
        start = 0
        scanned = 0
        rawEOF = eof
        eof = false
        self.inflater = inflater
    }

    /// Reads the first bytes of the file (up to `count`) without consuming them, to recognize its kind early.
    public func peek(_ count: Int) throws -> ArraySlice<UInt8> {
        while buffer.count - start < count && !eof { try fill() }
        return buffer[start..<min(buffer.count, start + count)]
    }

    private func fill() throws {
        if let inflater {
            while true {
                let out = try inflater.inflated(max: decodedChunk)
                if !out.isEmpty { buffer.append(contentsOf: out); return }
                if rawEOF {
                    guard inflater.ended else { throw Gzip.Failure(description: "the compressed bundle \(path) ends before its gzip stream does: it is truncated") }
                    eof = true
                    return
                }
                if let raw = try readChunk() { inflater.feed(raw) } else { rawEOF = true }
            }
        }
        if let raw = try readChunk() { buffer.append(contentsOf: raw) } else { eof = true }
    }

    /// The next bytes of the file, nil at its end.
    private func readChunk() throws -> ArraySlice<UInt8>? {
        guard fd >= 0 else { return nil }
        if chunk.isEmpty { chunk = [UInt8](repeating: 0, count: chunkSize) }
        var n: Int
        repeat {
            n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        } while n < 0 && errno == EINTR
        if n < 0 { throw StoreError("cannot read \(path): \(String(cString: strerror(errno)))") }
        bytesRead += n
        return n == 0 ? nil : chunk[0..<n]
    }
}
