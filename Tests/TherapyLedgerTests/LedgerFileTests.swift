import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Issue 10, items 14, 15 and 17 (init, key file): ledgers are recognized before any write, read-only
/// commands open read-only, init never deletes what it did not create, a key file open to others is refused.
@Suite struct LedgerFileTests {
    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    static func siblings(_ path: String) -> [String] {
        ["-wal", "-shm", "-journal"].filter { FileManager.default.fileExists(atPath: path + $0) }
    }

    @Test("another SQLite file, an empty file and a text file are refused unchanged")
    func foreignFilesAreUntouched() throws {
        let dir = TempDir()
        let foreign = dir.file("photos.sqlite")
        #expect(try sqlite(foreign, "CREATE TABLE photo (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photo (name) VALUES ('a');").status == 0)
        let other = dir.file("other-app.sqlite")
        #expect(try sqlite(other, "PRAGMA application_id = 1234; CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES ('site','x'),('network','y');").status == 0)
        let empty = dir.write("empty.sqlite", "")
        let text = dir.write("notes.txt", "not a database\n")
        for path in [foreign, other, empty, text] {
            let before = try #require(Self.bytes(path))
            #expect(throws: StoreError.self) { try LedgerStore.open(at: path) }
            #expect(throws: StoreError.self) { try LedgerStore.open(at: path, readOnly: true) }
            #expect(Self.bytes(path) == before, "\(path) was changed")
            #expect(Self.siblings(path).isEmpty, "\(path) got \(Self.siblings(path))")
        }
        // Through the CLI too, with a command that writes.
        try requireCLI()
        let before = try #require(Self.bytes(foreign))
        let r = try cli(["append", "--ledger", foreign], stdin: enrol() + "\n")
        #expect(r.status != 0)
        #expect(r.stderr.contains("not a therapy ledger"))
        #expect(Self.bytes(foreign) == before)
        let e = try cli(["status", "--ledger", empty, "--patient", "P001"])
        #expect(e.stderr.contains("empty file"))
        #expect(Self.bytes(empty)?.isEmpty == true)
    }

    @Test("a new ledger carries the ledger application id")
    func applicationID() throws {
        let l = try TestLedger()
        #expect(try sqliteValue(l.path, "PRAGMA application_id") == String(LedgerFile.applicationID))
        #expect(try LedgerFile.identify(l.path).stamped)
    }

    @Test("a new ledger has 16 KiB pages in WAL mode, and an existing ledger keeps its page size")
    func pageSize() throws {
        let l = try TestLedger()
        try l.append([enrol("P001"), implant("P001")])
        #expect(try sqliteValue(l.path, "PRAGMA page_size") == "16384")
        #expect(try sqliteValue(l.path, "PRAGMA journal_mode") == "wal")
        // A ledger made with SQLite's default pages (as every ledger was before) is opened and appended to as it is.
        let old = TempDir()
        let path = old.file("old.sqlite")
        try FileManager.default.copyItem(atPath: l.path, toPath: path)
        try FileManager.default.copyItem(atPath: l.keyPath, toPath: SiteKey.path(forLedger: path))
        #expect(try sqlite(path, "PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM; PRAGMA journal_mode = WAL;").status == 0)
        #expect(try sqliteValue(path, "PRAGMA page_size") == "4096")
        let store = try LedgerStore.open(at: path, environment: l.environment)
        _ = try store.append(jsonLines: Array((dose("P001") + "\n").utf8))
        #expect(try store.eventCount() == 3)
        #expect(try store.verify().isOK)
        #expect(try sqliteValue(path, "PRAGMA page_size") == "4096")
    }

    @Test("reading commands open a 0444 ledger in a 0555 folder read-only and write nothing")
    func readOnlyLedger() throws {
        let dir = TempDir()
        let sub = dir.file("media")
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: false)
        let path = sub + "/ledger.sqlite"
        try LedgerStore.create(at: path, site: "north", network: "test", environment: testEnvironment())
        _ = try LedgerStore.open(at: path, environment: testEnvironment()).append(jsonLines: Array((enrol() + "\n" + implant() + "\n").utf8))
        // A backup is what sits on read-only media.
        let copy = sub + "/copy.sqlite"
        try LedgerStore.open(at: path).backup(to: copy)
        #expect(Self.siblings(copy).isEmpty)
        chmod(copy, 0o444)
        chmod(sub, 0o555)
        defer { chmod(sub, 0o755) }
        let before = try #require(Self.bytes(copy))
        var st = stat()
        stat(copy, &st)
        let mtime = st.st_mtim
        let store = try LedgerStore.open(at: copy, readOnly: true)
        #expect(store.isReadOnly)
        let report = try store.verify()
        #expect(report.eventCount == 2)
        _ = try store.status(patient: "P001")
        _ = try store.clock()
        // Writes fail: the connection is read-only whatever the process may do (root ignores file modes).
        #expect(throws: (any Error).self) { try store.append(jsonLines: Array((dose() + "\n").utf8)) }
        #expect(Self.bytes(copy) == before)
        stat(copy, &st)
        #expect(st.st_mtim.tv_sec == mtime.tv_sec && st.st_mtim.tv_nsec == mtime.tv_nsec)
        #expect(try sqliteValue(copy, "SELECT count(*) FROM sqlite_master WHERE name = 'grdb_issue_102'") == "0")
        // The CLI's reading commands.
        try requireCLI()
        for args in [["verify"], ["status", "--patient", "P001"], ["log"], ["sync", "clock"], ["sites"], ["worklist"], ["timeline", "--patient", "P001"],
                     ["report", "--patient", "P001", "--out", "-"], ["report", "--worklist", "--out", "-"]] {
            let r = try cli(args + ["--ledger", copy])
            #expect(r.status == 0, "\(args): \(r)")
        }
        #expect(Self.bytes(copy) == before)
    }

    @Test("a failed init leaves a dangling symbolic link it did not create")
    func initKeepsDanglingLink() throws {
        let dir = TempDir()
        let link = dir.file("ledger.sqlite")
        #expect(symlink(dir.file("missing/target.sqlite"), link) == 0)
        #expect(throws: StoreError.self) { try LedgerStore.create(at: link, site: "north", network: "test") }
        var st = stat()
        #expect(lstat(link, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK, "init deleted the symbolic link")
        #expect(!FileManager.default.fileExists(atPath: SiteKey.path(forLedger: link)))
        // A link to a folder that exists, through the CLI: refused, still there.
        try requireCLI()
        let r = try cli(["init", "--site", "north", "--ledger", link])
        #expect(r.status != 0)
        #expect(lstat(link, &st) == 0)
    }

    @Test("a key file readable by group or others is refused with the chmod that fixes it", arguments: [0o644, 0o640, 0o604, 0o660])
    func openKeyFileIsRefused(mode: Int) throws {
        let l = try TestLedger()
        chmod(l.keyPath, mode_t(mode))
        let e = try #require(throws: StoreError.self) { try l.append([enrol()]) }
        #expect(e.message.contains("chmod 600 \(l.keyPath)"))
        #expect(try l.count() == 0)
        chmod(l.keyPath, 0o600)
        try l.append([enrol()])
        #expect(try l.count() == 1)
    }
}
