import Foundation

/// Buffered, streaming writes to a file descriptor.
public final class FileWriter {
    let fd: Int32
    let ownsDescriptor: Bool
    var closed = false
    var buffer: [UInt8] = []
    let capacity: Int
    /// Whether ``close()`` syncs the file to disk (regular files only).
    var syncs = true
    /// Bytes written so far (including buffered).
    public private(set) var bytesWritten = 0
    public let path: String

    /// Creates (exclusively) `path` with `mode`.
    public init(creating path: String, mode: mode_t = 0o644, capacity: Int = 1 << 20) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw StoreError("cannot create \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        self.ownsDescriptor = true
        self.capacity = capacity
        self.path = path
        buffer.reserveCapacity(capacity)
    }

    /// Opens an existing file that is written into as it is (a device node or FIFO): never created,
    /// never truncated, not synced (devices and pipes cannot be).
    public init(existing path: String, capacity: Int = 1 << 20) throws {
        let fd = open(path, O_WRONLY | O_NOCTTY)
        guard fd >= 0 else { throw StoreError("cannot write \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        self.ownsDescriptor = true
        self.syncs = false
        self.capacity = capacity
        self.path = path
        buffer.reserveCapacity(capacity)
    }

    /// Writes `path` through a new temporary file beside it, renamed over `path` only once `body` has
    /// succeeded and the file is synced: nobody ever sees a partial file, and a failure leaves nothing.
    public static func replacing<T>(_ path: String, mode: mode_t = 0o644, _ body: (FileWriter) throws -> T) throws -> T {
        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
        let writer: FileWriter
        do {
            writer = try FileWriter(creating: temp, mode: mode)
        } catch {
            throw StoreError("cannot write to the folder of \(path) (\(error)): check that the folder exists and is writable")
        }
        do {
            let result = try body(writer)
            try writer.close()
            guard rename(temp, path) == 0 else {
                throw StoreError("cannot move the finished file into place at \(path): \(String(cString: strerror(errno)))")
            }
            return result
        } catch {
            unlink(temp)  // the descriptor is closed when `writer` goes
            throw error
        }
    }

    /// Writes to standard output.
    public init(standardOutput capacity: Int = 1 << 16) {
        fd = 1
        ownsDescriptor = false
        self.capacity = capacity
        path = "-"
        buffer.reserveCapacity(capacity)
    }

    public func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        bytesWritten += bytes.count
        if buffer.count >= capacity { try flush() }
    }

    public func write(_ s: String) throws { try write(Array(s.utf8)) }

    public func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { p -> Int in
                guard let base = p.baseAddress else { return 0 }
                return Foundation.write(fd, base + offset, p.count - offset)
            }
            if n <= 0 {
                if n < 0, errno == EINTR { continue }
                throw StoreError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs to disk and closes.
    public func close() throws {
        guard !closed else { return }
        try flush()
        closed = true
        if ownsDescriptor {
            let synced = syncs ? fsync(fd) : 0
            let syncErrno = errno
            let closedOK = Foundation.close(fd)
            guard synced == 0 else { throw StoreError("cannot finish writing \(path): \(String(cString: strerror(syncErrno)))") }
            guard closedOK == 0 else { throw StoreError("cannot finish writing \(path): \(String(cString: strerror(errno)))") }
        }
    }

    deinit {
        if ownsDescriptor && !closed { Foundation.close(fd) }
    }
}
