import Foundation
import GRDB
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Issue 10, items 13 and 16: one rule for every output file (rename only over a regular file or nothing,
/// write into devices and FIFOs, symbolic links resolved, existing files only with --force, every write error
/// reported), and backups that never leave a partial file.
@Suite struct OutputFileTests {
    static func kindOnDisk(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0
    }

    @Test("absent and regular files: written by rename, an existing one only with force")
    func regularFiles() throws {
        let dir = TempDir()
        let path = dir.file("out.csv")
        try OutputFile.write(path, force: false) { try $0.write("one\n") }
        #expect(String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self) == "one\n")
        let e = try #require(throws: StoreError.self) { try OutputFile.write(path, force: false) { try $0.write("two\n") } }
        #expect(e.message.contains("--force"))
        try OutputFile.write(path, force: true) { try $0.write("two\n") }
        #expect(String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self) == "two\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.csv"])
        #expect(throws: StoreError.self) { try OutputFile.write(dir.path, force: true) { try $0.write("x") } }
    }

    @Test("a device node stays a device node, and /dev/full reports the write error")
    func devices() throws {
        try OutputFile.write("/dev/null", force: false) { try $0.write("discarded\n") }
        #expect(Self.kindOnDisk("/dev/null") == S_IFCHR)
        let e = try #require(throws: StoreError.self) {
            try OutputFile.write("/dev/full", force: false) { try $0.write("x\n") }
        }
        #expect(e.message.contains("/dev/full") && e.message.contains("No space left"))
    }

    @Test("a FIFO is written into, not replaced")
    func fifo() throws {
        let dir = TempDir()
        let path = dir.file("pipe")
        #expect(mkfifo(path, 0o600) == 0)
        let received = LockedBytes()
        let reader = Thread {
            let fd = open(path, O_RDONLY)
            received.set((try? InputFile.read(descriptor: fd, name: path, limit: 1 << 20)) ?? [])
            close(fd)
        }
        reader.start()
        try OutputFile.write(path, force: false) { try $0.write("through the pipe\n") }
        while !received.isSet { usleep(1000) }
        #expect(String(decoding: received.value, as: UTF8.self) == "through the pipe\n")
        #expect(Self.kindOnDisk(path) == S_IFIFO)
    }

    @Test("symbolic links: to a file needs force and keeps the link; dangling is refused")
    func symlinks() throws {
        let dir = TempDir()
        let target = dir.write("target.csv", "old\n")
        let link = dir.file("link.csv")
        #expect(symlink(target, link) == 0)
        #expect(throws: StoreError.self) { try OutputFile.write(link, force: false) { try $0.write("new\n") } }
        try OutputFile.write(link, force: true) { try $0.write("new\n") }
        #expect(Self.kindOnDisk(link) == S_IFLNK)
        #expect(String(decoding: try #require(FileManager.default.contents(atPath: target)), as: UTF8.self) == "new\n")
        let dangling = dir.file("dangling.csv")
        #expect(symlink(dir.file("nowhere/x.csv"), dangling) == 0)
        #expect(throws: StoreError.self) { try OutputFile.write(dangling, force: true) { try $0.write("x") } }
        #expect(Self.kindOnDisk(dangling) == S_IFLNK)
    }

    @Test("export, verify --heads, sync export and backup share the rule")
    func commands() throws {
        try requireCLI()
        let l = try TestLedger()
        try l.append([enrol(), implant()])
        let dir = TempDir()
        let outputs: [(String, [String])] = [
            ("export", ["export", "patients", "--out"]),
            ("heads", ["verify", "--heads"]),
            ("bundle", ["sync", "export", "--out"]),
            ("backup", ["backup", "--out"]),
        ]
        for (name, args) in outputs {
            let path = dir.file(name)
            let first = try cli(args + [path, "--ledger", l.path])
            #expect(first.status == 0, "\(name): \(first)")
            let before = FileManager.default.contents(atPath: path)
            let again = try cli(args + [path, "--ledger", l.path])
            #expect(again.status != 0 && again.stderr.contains("--force"), "\(name): \(again)")
            #expect(FileManager.default.contents(atPath: path) == before)
            let forced = try cli(args + [path, "--force", "--ledger", l.path])
            #expect(forced.status == 0, "\(name) --force: \(forced)")
            let full = try cli(args + ["/dev/full", "--ledger", l.path])
            #expect(full.status != 0 && full.stderr.contains("No space left"), "\(name) to /dev/full: \(full)")
            let null = try cli(args + ["/dev/null", "--ledger", l.path])
            #expect(null.status == 0, "\(name) to /dev/null: \(null)")
            #expect(Self.kindOnDisk("/dev/null") == S_IFCHR)
        }
    }

    @Test("a backup that runs out of space says so, leaves nothing, and the retry succeeds")
    func backupOutOfSpace() throws {
        try requireCLI()
        let l = try TestLedger()
        try l.append([enrol(), implant(), dose()])
        let dir = TempDir()
        let out = dir.file("copy.sqlite")
        // A file size limit makes every write past 32 KiB fail as a full disk would (EFBIG; SIGXFSZ ignored).
        #expect((try FileManager.default.attributesOfItem(atPath: l.path)[.size] as? Int ?? 0) > 64 * 1024)
        let r = try run("/bin/sh", ["-c", "trap '' XFSZ; ulimit -f 64; exec \"$0\" backup --ledger \"$1\" --out \"$2\"", cliPath, l.path, out])
        #expect(r.status != 0)
        #expect(r.stderr.contains("cannot write the backup") && !r.stderr.contains("not an error"), "\(r)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "a partial file was left")
        // A backup killed mid-copy leaves its temporary file: it does not block the next one, which removes it.
        let abandoned = dir.write(".copy.sqlite.999999.backup-tmp", "partial")
        let retry = try cli(["backup", "--ledger", l.path, "--out", out])
        #expect(retry.status == 0, "\(retry)")
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        let copy = try LedgerStore.open(at: out, readOnly: true)
        #expect(try copy.eventCount() == 3)
        #expect(try copy.verify().isOK)
    }

    @Test("SQLite failures while writing a backup get a message that names the cause")
    func backupMessages() {
        let full = LedgerStore.backupFailure("/x/copy.sqlite", folder: "/x", DatabaseError(resultCode: .SQLITE_FULL, message: "not an error"))
        #expect(full.message.contains("disk holding /x is full") && full.message.contains("run backup again"))
    }
}

/// Bytes handed from a thread, with a flag once set.
final class LockedBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var done = false
    func set(_ b: [UInt8]) { lock.lock(); bytes = b; done = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return done }
    var value: [UInt8] { lock.lock(); defer { lock.unlock() }; return bytes }
}
