import TherapyLedgerCore

/// Reads a sync bundle's lines from any readable file (regular file, pipe, FIFO), bounded and in linear time,
/// and names what is wrong with a file that is not a whole bundle: not a bundle at all, line endings
/// converted to CRLF, truncated, a line too long.
///
/// The first byte must open the JSON header (`{`), so a binary file or `/dev/zero` is refused at once; the
/// header line is at most ``BundleHeader/maxHeaderBytes`` and every later line at most
/// ``BundleHeader/maxLineBytes``, so no input makes the reader hold more than about a megabyte per line.
final class BundleReader {
    let lines: LineReader
    let path: String

    init(path: String) throws {
        self.path = path
        lines = try LineReader(path: path, maxLineBytes: BundleHeader.maxHeaderBytes)
    }

    /// Reads a bundle held in memory.
    init(bytes: [UInt8], name: String) {
        path = name
        lines = LineReader(bytes: bytes, name: name, maxLineBytes: BundleHeader.maxHeaderBytes)
    }

    /// The 1-based number of the last line returned.
    var lineNumber: Int { lines.lineNumber }

    /// Reads and parses the header line.
    func header() throws -> BundleHeader {
        var start = try lines.peek(8)
        if Gzip.isCompressed(start) {
            // A compressed bundle (`sync export --compress`): the same lines, inflated as they are read.
            do {
                try lines.inflating(with: Gzip.Inflater())
                start = try lines.peek(8)
            } catch let failure as Gzip.Failure {
                throw SyncError("\(path): \(failure.description). Get the file again from the sender, then import it again")
            }
        }
        guard let firstByte = start.first else { throw SyncError("\(path) is empty: not a bundle") }
        guard firstByte == UInt8(ascii: "{") else {
            let hex = start.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            throw SyncError("\(path) is not a therapy-ledger bundle: it begins with the bytes \(hex), a bundle with its JSON header line ({\"count\":...)")
        }
        let first: ArraySlice<UInt8>
        do {
            guard let line = try lines.next() else { throw SyncError("\(path) is empty: not a bundle") }
            first = line
        } catch let long as LineReader.LineTooLong {
            throw SyncError("\(path) is not a therapy-ledger bundle: its first line is longer than \(long.limit) bytes, far more than any bundle header")
        } catch let failure as Gzip.Failure {
            throw SyncError("\(path): \(failure.description). Get the file again from the sender, then import it again")
        }
        if first.last == 0x0D { throw crlf }
        guard lines.lastLineTerminated else { throw truncated("it ends inside the header line") }
        lines.maxLineBytes = BundleHeader.maxLineBytes
        do { return try BundleHeader.parse(Array(first), file: path) } catch { throw SyncError(error.description) }
    }

    /// The next line after the header, without its newline; nil at the end.
    func next() throws -> ArraySlice<UInt8>? {
        let line: ArraySlice<UInt8>?
        do { line = try lines.next() } catch let long as LineReader.LineTooLong {
            throw damaged(line: long.line, "the line is longer than \(long.limit) bytes, more than any event")
        } catch let failure as Gzip.Failure {
            throw SyncError("\(path): \(failure.description). Get the file again from the sender, then import it again")
        }
        guard let line else { return nil }
        if line.last == 0x0D { throw crlf }
        if !lines.lastLineTerminated { throw truncated("it ends in the middle of line \(lines.lineNumber)") }
        return line
    }

    var crlf: SyncError {
        SyncError("\(path): its line endings were converted to CRLF (Windows line endings), by a text-mode transfer, a mail program or an editor; a bundle is signed byte for byte. Get the file again in binary mode, or convert the endings back (`dos2unix \(path)`), then import it again")
    }

    /// The bundle is shorter than its header announces.
    func truncated(_ detail: String) -> SyncError {
        SyncError("\(path) is truncated (\(detail)): the copy or transfer was cut short. Get the file again from the sender, then import it again")
    }

    /// The bundle's lines are out of order, missing or damaged in the middle.
    func damaged(line: Int, _ detail: String) -> SyncError {
        SyncError("\(path): line \(line): \(detail): the bundle is damaged (lines reordered, removed or edited after it was written). Get the file again from the sender, then import it again")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
