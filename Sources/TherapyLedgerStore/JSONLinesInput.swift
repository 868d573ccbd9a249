import Foundation
import TherapyLedgerCore

/// A batch of JSON Lines that can be read more than once, chunk by chunk: bytes in memory, a file, or standard
/// input spooled to a temporary file. A streaming append reads it twice (see ``LedgerStore/append(from:source:recordedBy:chunkLines:retainLines:)``).
public final class JSONLinesInput: @unchecked Sendable {
    // Immutable after init; the descriptor is only read with pread(2), which keeps no file position.
    enum Storage {
        case bytes([UInt8])
        case descriptor(Int32)
    }
    let storage: Storage
    /// What the input is, for error messages: its path, or "standard input".
    let name: String

    /// Lines already in memory.
    public init(bytes: [UInt8]) {
        storage = .bytes(bytes)
        name = "the input"
    }

    /// The file at `path` (opened now: both readings read the file opened here). A pipe or other file that can
    /// be read only once (`append <(zcat events.jsonl.gz)`) is copied to a temporary file first, as standard input is.
    public convenience init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError("cannot read the input \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw StoreError("cannot read the input \(path): \(reason)")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            self.init(descriptor: fd, name: path)
        case S_IFDIR:
            close(fd)
            throw StoreError("cannot read the input \(path): it is a folder, not a file of JSON lines")
        default:
            defer { close(fd) }
            let spooled = try Self.spooling(descriptor: fd, name: path)
            let copy = dup(spooled.descriptor)
            guard copy >= 0 else { throw StoreError("cannot read the input \(path): \(String(cString: strerror(errno)))") }
            self.init(descriptor: copy, name: path)
        }
    }

    /// The open descriptor (only for file-backed input).
    private var descriptor: Int32 {
        if case .descriptor(let fd) = storage { return fd }
        return -1
    }

    /// Everything on standard input, copied to a temporary file (removed at once, so nothing is left behind)
    /// in `TMPDIR` or /tmp, because a batch is read twice and a pipe can be read once.
    public static func standardInput() throws -> JSONLinesInput {
        try spooling(descriptor: 0, name: "standard input")
    }

    /// What can be read from `fd` until its end, copied to an unlinked temporary file.
    public static func spooling(descriptor source: Int32, name: String) throws -> JSONLinesInput {
        let dir = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((dir as NSString).appendingPathComponent("therapy-ledger-append.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { p in p.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else { throw StoreError("cannot create a temporary file in \(dir) to hold \(name): \(String(cString: strerror(errno))) (set TMPDIR to a writable folder)") }
        _ = template.withUnsafeBufferPointer { p in p.baseAddress.map { unlink($0) } }
        let input = JSONLinesInput(descriptor: fd, name: name)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(source, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError("cannot read \(name): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            var written = 0
            while written < n {
                let w = chunk.withUnsafeBytes { Foundation.write(fd, $0.baseAddress.map { $0 + written }, n - written) }
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else { throw StoreError("cannot write the temporary copy of \(name) in \(dir): \(String(cString: strerror(errno))) (is the disk full? set TMPDIR)") }
                written += w
            }
        }
        return input
    }

    private init(descriptor: Int32, name: String) {
        storage = .descriptor(descriptor)
        self.name = name
    }

    deinit {
        if case .descriptor(let fd) = storage { close(fd) }
    }

    /// Whether reading twice can give different bytes (a file, which another process may write meanwhile).
    var canChange: Bool {
        if case .descriptor = storage { return true }
        return false
    }

    /// A new reading from the first line.
    func lines() -> JSONLinesReader { JSONLinesReader(self) }
}

/// One non-blank line of a batch: its 1-based number and bytes (a trailing CR dropped), or, for a line longer
/// than a submission can be, only its length (the reader does not keep it).
struct InputLine: Sendable {
    var line: Int
    var bytes: ArraySlice<UInt8>
    var tooLong: Int?

    func parse(now: Timestamp) -> Result<(line: Int, submission: Submission), BatchRejected> {
        if let tooLong { return BatchValidator.lineTooLong(tooLong, line: line) }
        return BatchValidator.parseLine(bytes, line: line, now: now)
    }
}

/// Reads a ``JSONLinesInput``'s lines in chunks, as ``BatchValidator/splitLines(_:)`` splits them: lines end at
/// LF, a trailing CR is dropped, blank lines (spaces and tabs) are skipped but counted. Keeps at most one chunk
/// and one line in memory, and a fingerprint of every byte read.
struct JSONLinesReader {
    let input: JSONLinesInput
    var buffer: [UInt8] = []
    var position = 0
    var fileOffset: off_t = 0
    var atEnd = false
    var lineNumber = 0
    /// A fingerprint of the bytes read so far (files only): two readings of the same bytes agree.
    private(set) var fingerprint: UInt64 = 0x9E37_79B9_7F4A_7C15
    static let readSize = 1 << 20

    init(_ input: JSONLinesInput) {
        self.input = input
        if case .bytes(let b) = input.storage {
            buffer = b
            atEnd = true
        }
    }

    /// Reads more of the file into `buffer` (keeping the bytes from `position` on); false at the end.
    private mutating func fill() throws -> Bool {
        guard !atEnd, case .descriptor(let fd) = input.storage else { return false }
        if position > 0 {
            buffer.removeSubrange(0..<position)
            position = 0
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: Self.readSize))
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress.map { $0 + old }, Self.readSize, fileOffset) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                buffer.removeSubrange(old...)
                throw StoreError("cannot read \(input.name): \(String(cString: strerror(errno)))")
            }
            buffer.removeSubrange((old + n)...)
            fileOffset += off_t(n)
            if n == 0 { atEnd = true; return false }
            mix(buffer[old..<(old + n)])
            return true
        }
    }

    private mutating func mix(_ bytes: ArraySlice<UInt8>) {
        var h = fingerprint
        bytes.withUnsafeBytes { raw in
            var i = 0
            while i + 8 <= raw.count {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01B3 &+ 0x9E37_79B9
                h ^= h >> 29
                i += 8
            }
            while i < raw.count {
                h = (h ^ UInt64(raw[i])) &* 0x100_0000_01B3
                i += 1
            }
        }
        fingerprint = h
    }

    /// The next chunk of at most `maxLines` non-blank lines (about 4 MB at most), or nil at the end. Its
    /// slices share one buffer that the next call does not touch.
    mutating func next(maxLines: Int) throws -> [InputLine]? {
        var out: [InputLine] = []
        let maxBytes = 4 << 20
        var taken = 0
        while out.count < maxLines && taken < maxBytes {
            guard let item = try nextLine() else { break }
            if let item {
                taken += item.bytes.count
                out.append(item)
            }
        }
        // The chunk's slices keep its buffer: the next read starts a new one.
        if !atEnd {
            buffer = Array(buffer[position...])
            position = 0
        }
        return out.isEmpty ? nil : out
    }

    /// The next line: nil at the end of the input, .some(nil) for a blank line.
    private mutating func nextLine() throws -> InputLine?? {
        var scanFrom = position
        while true {
            if let nl = buffer[scanFrom...].firstIndex(of: 0x0A) { return line(buffer[position..<nl], next: nl + 1) }
            if buffer.count - position > Submission.Limits.maxLineBytes + 1 { return try skipLongLine() }
            let scanned = buffer.count - position  // bytes from `position` on that hold no LF
            if try fill() {
                scanFrom = position + scanned  // fill moves `position` to 0
                continue
            }
            // The last line, without a final LF.
            if position < buffer.count { return line(buffer[position...], next: buffer.count) }
            return nil
        }
    }

    private mutating func line(_ raw: ArraySlice<UInt8>, next: Int) -> InputLine?? {
        lineNumber += 1
        position = next
        var slice = raw
        if slice.last == 0x0D { slice = slice.dropLast() }
        guard slice.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return .some(nil) }
        if slice.count > Submission.Limits.maxLineBytes { return .some(InputLine(line: lineNumber, bytes: [], tooLong: slice.count)) }
        return .some(InputLine(line: lineNumber, bytes: slice, tooLong: nil))
    }

    /// A line longer than any submission: counted and checked for being blank, not kept.
    private mutating func skipLongLine() throws -> InputLine?? {
        var length = 0
        var nonBlank = 0
        var last: UInt8 = 0
        while true {
            let rest = buffer[position...]
            let nl = rest.firstIndex(of: 0x0A)
            let part = buffer[position..<(nl ?? buffer.count)]
            length += part.count
            nonBlank += part.reduce(0) { $0 + ($1 != 0x20 && $1 != 0x09 ? 1 : 0) }
            if let l = part.last { last = l }
            position = nl.map { $0 + 1 } ?? buffer.count
            if nl != nil { break }
            if !(try fill()) { break }
        }
        lineNumber += 1
        if last == 0x0D { length -= 1; nonBlank -= 1 }
        guard nonBlank > 0 else { return .some(nil) }
        return .some(InputLine(line: lineNumber, bytes: [], tooLong: length))
    }
}
