import Foundation
import GRDB

extension LedgerStore {
    /// A consistent copy of the ledger, taken with SQLite's online backup while others may keep writing.
    ///
    /// Written by the rule of ``OutputFile``: the copy is made in a temporary file beside `destination`
    /// (`.NAME.PID.backup-tmp`), synced, and renamed into place only when complete, so a full disk, an I/O
    /// error or a kill never leaves a partial file at `destination`, and a temporary file left by a killed
    /// backup never blocks the next one (it is removed by it). An existing file is replaced only with `force`;
    /// a device or FIFO receives the finished copy's bytes. The copy uses a rollback journal, not WAL, so it
    /// can be read from read-only media. The key file is not copied (it never leaves the site).
    public func backup(to destination: String, force: Bool = false) throws {
        let kind = OutputFile.kind(of: destination)
        if kind == .regular && !force {
            throw StoreError("\(destination) already exists: backup never writes over an existing file unless you add --force (or choose another name)")
        }
        if kind == .directory || kind == .danglingLink {
            // The same refusal as every other output.
            try OutputFile.write(destination, force: force, what: "backup") { _ in }
        }
        let target = kind == .special ? destination : OutputFile.resolved(destination)
        let dir = kind == .special ? NSTemporaryDirectory() : (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        let folder = dir.isEmpty ? "." : dir
        Self.removeAbandonedBackups(of: name, in: folder)
        let temp = folder + "/.\(name).\(getpid()).backup-tmp"
        func cleanUp() { for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temp + suffix) } }
        cleanUp()
        do {
            var config = Configuration()
            config.label = "therapy-ledger-backup"
            let copy = try DatabaseQueue(path: temp, configuration: config)
            try db.backup(to: copy)
            try copy.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
            try copy.close()
            try Self.sync(temp)
            if kind == .special {
                try OutputFile.write(destination, force: force, what: "backup") { out in
                    let fd = Foundation.open(temp, O_RDONLY)
                    guard fd >= 0 else { throw StoreError("cannot read back \(temp): \(String(cString: strerror(errno)))") }
                    defer { Foundation.close(fd) }
                    var chunk = [UInt8](repeating: 0, count: 1 << 20)
                    while true {
                        let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
                        if n < 0 && errno == EINTR { continue }
                        guard n >= 0 else { throw StoreError("cannot read back \(temp): \(String(cString: strerror(errno)))") }
                        if n == 0 { break }
                        try out.write(Array(chunk[0..<n]))
                    }
                }
                cleanUp()
            } else {
                guard rename(temp, target) == 0 else {
                    throw StoreError("cannot move the finished backup into place at \(target): \(String(cString: strerror(errno)))")
                }
                try? Self.sync(folder)
            }
        } catch let error as DatabaseError {
            cleanUp()
            throw Self.backupFailure(destination, folder: folder, error)
        } catch {
            cleanUp()
            throw StoreError("cannot write the backup \(destination): \(error). Nothing was left at \(destination); fix the cause and run backup again")
        }
    }

    /// A clear message for an SQLite failure while writing a backup (GRDB reports some as "not an error").
    static func backupFailure(_ destination: String, folder: String, _ error: DatabaseError) -> StoreError {
        let cause: String
        switch error.resultCode {
        case .SQLITE_FULL: cause = "the disk holding \(folder) is full"
        case .SQLITE_IOERR: cause = "an I/O error while writing in \(folder) (a full disk, a file size limit or a failing device)"
        case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM: cause = "cannot create a file in \(folder) (check that it exists and is writable)"
        default: cause = "SQLite failed with code \(error.extendedResultCode.rawValue) (\(error.message ?? "no message"))"
        }
        return StoreError("cannot write the backup \(destination): \(cause). Nothing was left at \(destination) and the ledger is unchanged; free space or fix the folder, then run backup again")
    }

    /// Removes temporary files of backups to `name` whose process is gone (killed mid-copy).
    static func removeAbandonedBackups(of name: String, in folder: String) {
        let prefix = ".\(name)."
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            let rest = entry.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), let pid = Int32(rest[..<dot]),
                  rest[dot...].hasPrefix(".backup-tmp") else { continue }
            if pid == getpid() || kill(pid, 0) != 0 && errno == ESRCH { unlink(folder + "/" + entry) }
        }
    }

    /// fsync of a file or folder.
    static func sync(_ path: String) throws {
        let fd = Foundation.open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError("cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
        defer { Foundation.close(fd) }
        guard fsync(fd) == 0 else { throw StoreError("cannot sync \(path) to disk: \(String(cString: strerror(errno)))") }
    }
}
