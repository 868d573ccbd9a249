// A lean HTTP/1.1 client for the load generator: one keep-alive connection over a blocking POSIX socket,
// driven by one thread. No event loop and no futures: it costs the shared cores little, so that the
// figures say more about the server than about the client.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a raw request failed.
struct RawHTTPError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One keep-alive HTTP/1.1 connection to 127.0.0.1.
final class RawConnection {
    private var fd: Int32 = -1
    private let port: UInt16
    private var buffer: [UInt8] = []
    private var start = 0
    private var scratch = [UInt8](repeating: 0, count: 65536)

    init(port: Int) throws {
        self.port = UInt16(port)
        try connect()
    }

    deinit { if fd >= 0 { close(fd) } }

    private func connect() throws {
        if fd >= 0 { close(fd) }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError("socket() failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw RawHTTPError("connect() to 127.0.0.1:\(port) failed: errno \(errno)") }
        buffer = []
        start = 0
    }

    /// Sends one request and reads its whole answer (Content-Length or chunked). Reconnects once when the
    /// server had closed the idle connection.
    func request(_ method: String, _ path: String, headers: [(String, String)], body: [UInt8] = []) throws -> (status: Int, body: [UInt8]) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if method != "GET" || !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + body
        do {
            try send(bytes)
            return try readResponse()
        } catch {
            try connect()
            try send(bytes)
            return try readResponse()
        }
    }

    private func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RawHTTPError("send() failed: errno \(errno)") }
            sent += n
        }
    }

    /// Reads more bytes into the buffer; throws on a closed connection.
    private func fill() throws {
        if start > 0 && start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        // Acknowledge at once: a delayed ACK would hold the server's next segments back (Linux resets this flag).
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
        let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw RawHTTPError(n == 0 ? "the server closed the connection" : "recv() failed: errno \(errno)") }
        buffer += scratch[0..<n]
    }

    /// The bytes up to (not including) the next CRLF, consumed with it.
    private func line() throws -> [UInt8] {
        var scanned = start
        while true {
            while scanned < buffer.count {
                if buffer[scanned] == 0x0A, scanned > start, buffer[scanned - 1] == 0x0D {
                    let out = Array(buffer[start..<(scanned - 1)])
                    start = scanned + 1
                    return out
                }
                scanned += 1
            }
            // fill() moves the unread bytes only when there are none.
            let offset = scanned - start
            try fill()
            scanned = start + offset
        }
    }

    private func take(_ count: Int) throws -> [UInt8] {
        while buffer.count - start < count { try fill() }
        let out = Array(buffer[start..<(start + count)])
        start += count
        return out
    }

    private func readResponse() throws -> (status: Int, body: [UInt8]) {
        // Bytes, not Strings: the client's own cost per request stays small.
        let statusLine = try line()
        guard statusLine.count >= 12, statusLine[8] == 0x20, let status = Self.decimal(statusLine[9..<12]) else {
            throw RawHTTPError("not an HTTP status line: \(String(decoding: statusLine, as: UTF8.self))")
        }
        var length: Int?
        var chunked = false
        while true {
            let header = try line()
            if header.isEmpty { break }
            guard let colon = header.firstIndex(of: 0x3A) else { continue }
            var valueStart = colon + 1
            while valueStart < header.count, header[valueStart] == 0x20 { valueStart += 1 }
            let name = header[..<colon]
            if Self.equalsLowercased(name, Self.contentLength) { length = Self.decimal(header[valueStart...]) }
            if Self.equalsLowercased(name, Self.transferEncoding) { chunked = true }
        }
        if let length { return (status, try take(length)) }
        guard chunked else { throw RawHTTPError("an answer without Content-Length or chunked encoding") }
        var body: [UInt8] = []
        while true {
            let sizeLine = String(decoding: try line(), as: UTF8.self)
            guard let size = Int(sizeLine.split(separator: ";").first.map { String($0).filter { $0 != " " } } ?? "", radix: 16) else {
                throw RawHTTPError("a bad chunk size: \(sizeLine)")
            }
            if size == 0 {
                while try !line().isEmpty {}
                return (status, body)
            }
            body += try take(size)
            _ = try take(2)
        }
    }

    private static let contentLength = Array("content-length".utf8), transferEncoding = Array("transfer-encoding".utf8)

    /// Whether `name` is `lower` in any case (ASCII).
    private static func equalsLowercased(_ name: ArraySlice<UInt8>, _ lower: [UInt8]) -> Bool {
        name.count == lower.count && zip(name, lower).allSatisfy { ($0 | 0x20) == $1 || $0 == $1 }
    }

    /// The decimal number the bytes spell (trailing spaces ignored), if they do.
    private static func decimal(_ bytes: ArraySlice<UInt8>) -> Int? {
        var n = 0, digits = 0
        for b in bytes {
            if b == 0x20 { break }
            guard (0x30...0x39).contains(b) else { return nil }
            n = n * 10 + Int(b - 0x30)
            digits += 1
        }
        return digits > 0 ? n : nil
    }
}
