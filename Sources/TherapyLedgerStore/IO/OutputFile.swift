import Foundation

/// The one rule by which every command writes a named output file (`export --out`, `verify --heads`,
/// `sync export --out`, `backup --out`).
///
/// - Absent: written to a temporary file in the same directory, synced, then renamed into place, so nobody
///   ever sees a partial file and a failure (a full disk, a kill) leaves no file at the path.
/// - A regular file: refused unless `force`; with it, replaced the same way (temporary file and rename).
/// - A device node, FIFO or socket (`/dev/null`, `/dev/stdout`, `/dev/full`, `mkfifo`): written into as it is,
///   never replaced by a regular file, with no `force` needed.
/// - A symbolic link: resolved deliberately. The rule applies to what it points at: a link to a device or
///   FIFO is written into; a link to a regular file needs `force` and then the file it points at is replaced
///   (the link stays a link); a dangling link or a link to a directory is refused.
/// - A directory: refused.
///
/// Every write error (`ENOSPC`, `EIO`, `EPIPE`...) is reported, including the ones only the final flush,
/// `fsync` or `close` see.
public enum OutputFile {
    /// What a path is, as far as writing it goes.
    public enum Kind: Sendable, Equatable {
        case absent
        case regular
        /// A device node, FIFO or socket: written into.
        case special
        case directory
        /// A symbolic link whose target does not exist.
        case danglingLink
    }

    /// What `path` is; symbolic links are followed (``Kind/danglingLink`` when the target is missing).
    public static func kind(of path: String) -> Kind {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .absent }
        let isLink = (st.st_mode & S_IFMT) == S_IFLNK
        if isLink {
            guard stat(path, &st) == 0 else { return .danglingLink }
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .special
        }
    }

    /// Writes `path` by the rule above. `what` names the output in messages ("export", "bundle", "heads file").
    public static func write<T>(_ path: String, force: Bool, mode: mode_t = 0o644, what: String = "output",
                                _ body: (FileWriter) throws -> T) throws -> T {
        switch kind(of: path) {
        case .absent:
            return try FileWriter.replacing(path, mode: mode, body)
        case .regular:
            guard force else {
                throw StoreError("\(path) already exists: the \(what) is never written over an existing file unless you add --force (or choose another name)")
            }
            return try FileWriter.replacing(resolved(path), mode: mode, body)
        case .special:
            let writer = try FileWriter(existing: path)
            let result = try body(writer)
            try writer.close()
            return result
        case .directory:
            throw StoreError("\(path) is a directory: give the path of the \(what) file to write")
        case .danglingLink:
            throw StoreError("\(path) is a symbolic link to a file that does not exist: the \(what) is not written through it (give the real path)")
        }
    }

    /// The path with symbolic links resolved (the path itself when it is not a link).
    static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }
}
