import Foundation

/// Whole-file reads of user-named inputs (submission batches, clock files, heads files, keys), bounded in size.
///
/// Reads with `read(2)` until end of file, so pipes, FIFOs, `/dev/stdin` and `<(...)` process substitutions
/// work like regular files (nothing relies on a file size from `stat`), and stops with a clear error
/// once more than `limit` bytes arrive, so `/dev/zero` or a wrong file cannot exhaust memory.
public enum InputFile {
    /// Reads `path` (`-` is standard input) whole, refusing more than `limit` bytes. `what` names the
    /// input in messages ("heads file", "clock file").
    public static func read(_ path: String, limit: Int, what: String = "file") throws -> [UInt8] {
        let fd: Int32
        if path == "-" {
            fd = 0
        } else {
            fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw StoreError("cannot read the \(what) \(path): \(String(cString: strerror(errno)))") }
        }
        defer { if fd != 0 { close(fd) } }
        return try read(descriptor: fd, name: path == "-" ? "standard input" : path, limit: limit, what: what)
    }

    /// The first `count` bytes of a file (fewer when it is shorter).
    public static func read(prefixOf path: String, count: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress.map { $0 + got }, count - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        return Array(bytes[0..<got])
    }

    /// Reads an open descriptor to its end, refusing more than `limit` bytes.
    public static func read(descriptor fd: Int32, name: String, limit: Int, what: String = "file") throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError("cannot read the \(what) \(name): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return bytes }
            guard bytes.count + n <= limit else {
                throw StoreError("the \(what) \(name) is larger than \(limit) bytes: this is not the right file")
            }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }
}
