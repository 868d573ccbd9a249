import Foundation
import GRDB

/// Recognizes a ledger file before anything is written to it.
///
/// A ledger is an SQLite database whose header carries ``applicationID`` (`PRAGMA application_id`, set by the
/// migration `hardening-application-id`) and whose `meta` table names its site and network. A ledger made before
/// that migration has application id 0 and is recognized by its `meta` table alone (its next writable open
/// stamps the id). Anything else (an empty file, a text file, another program's SQLite database) is refused
/// by reading it only, so its bytes stay exactly as they were.
enum LedgerFile {
    /// `TLG1`: therapy ledger, file format 1.
    static let applicationID: Int32 = 0x544C_4731

    /// What the checks found.
    struct Identity {
        var site: String
        var network: String
        /// False for a ledger made before the application id was set.
        var stamped: Bool
    }

    /// Checks that `path` is a ledger, reading it only: through the file system first (it must be a non-empty
    /// file that starts with the SQLite header), then through a read-only SQLite connection.
    static func identify(_ path: String) throws -> Identity {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw StoreError("no ledger at \(path): create one with `therapy-ledger init --site SITE`, or pass --ledger PATH (or set THERAPY_LEDGER)")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw StoreError("\(path) is not a ledger: it is not a regular file") }
        guard st.st_size > 0 else {
            throw StoreError("\(path) is an empty file (0 bytes), not a ledger: left untouched. Create a ledger with `therapy-ledger init --site SITE --ledger NEW-PATH`")
        }
        guard let header = try? InputFile.read(prefixOf: path, count: 100), header.count == 100,
              header.starts(with: Array("SQLite format 3\0".utf8)) else {
            throw StoreError("\(path) is not a ledger (not an SQLite database): left untouched")
        }
        let idInHeader = Int32(bitPattern: header[68...71].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard idInHeader == applicationID || idInHeader == 0 else {
            throw StoreError("\(path) is an SQLite database of another program (application id \(String(format: "0x%08X", idInHeader))), not a ledger: left untouched")
        }
        var config = Configuration()
        config.readonly = true
        config.label = "therapy-ledger-identify"
        config.busyMode = .timeout(60)
        let identity: Identity?
        do {
            identity = try DatabaseQueue(path: path, configuration: config).read { db in
            let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            guard try db.tableExists("meta") else { return nil }
            guard let site = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'site'"),
                  let network = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'network'") else { return nil }
            let legacy = try db.tableExists("events") && db.tableExists("heads")
            guard id == applicationID || (id == 0 && legacy) else { return nil }
            return Identity(site: site, network: network, stamped: id == applicationID)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError("\(path) is not a ledger (not an SQLite database): left untouched")
        } catch {
            throw StoreError("cannot read \(path) to check that it is a ledger: \(error)")
        }
        guard let identity else {
            throw StoreError("\(path) is an SQLite database but not a therapy ledger (no ledger application id, or no site in a meta table): left untouched")
        }
        return identity
    }
}
