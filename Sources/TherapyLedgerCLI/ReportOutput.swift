import Foundation
import TherapyLedgerStore

/// Where `report --out` writes: `-` is standard output; an absent path or (with `--force`) an existing regular file
/// is written through a temporary file renamed into place; a device node or FIFO is written into; an existing
/// regular file without `--force`, or a folder, is refused before anything is computed.
enum ReportOutput {
    enum Target {
        case standardOutput
        case replace(String)
        case writeInto(String)
    }

    /// Decides where `path` is written, or says why it cannot be.
    static func target(_ path: String, force: Bool) throws -> Target {
        if path == "-" { return .standardOutput }
        var info = stat()
        // stat follows a symlink: the rules apply to what it points to, and a symlink is never replaced by a file.
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return .replace(path) }
            throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            guard force else { throw CLIError("\(path) already exists: give --force to replace it, or choose another --out") }
            let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { target in
                target.hasPrefix("/") ? target : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
            }
            return .replace(resolved ?? path)
        case S_IFDIR:
            throw CLIError("\(path) is a folder: give a file name, e.g. --out \((path as NSString).appendingPathComponent("report.html"))")
        default:
            return .writeInto(path)
        }
    }

    /// Writes `bytes` to `target`, reporting every write error.
    static func write(_ bytes: [UInt8], to target: Target) throws {
        switch target {
        case .standardOutput:
            let writer = FileWriter(standardOutput: 1 << 16)
            try writer.write(bytes)
            try writer.close()
        case .replace(let path):
            try FileWriter.replacing(path) { try $0.write(bytes) }
        case .writeInto(let path):
            let fd = open(path, O_WRONLY)
            guard fd >= 0 else { throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { p in Foundation.write(fd, p.baseAddress.map { $0 + offset }, bytes.count - offset) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))") }
                offset += n
            }
        }
    }
}
