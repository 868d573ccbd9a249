import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// File bytes per event, part by part (`therapy-ledger-bench`'s ledger file line).
@Suite struct StoragePartsTests {
    @Test func thePartsAddUpAndNameEveryIndex() throws {
        let site = try SyncSite("north", index: 1)
        try site.append((1...40).map { enrol("P\($0)", at: syncTime(0)) } + (1...40).map { implant("P\($0)", at: syncTime(60)) })
        let parts = try site.store.storageParts()
        #expect(parts.events == 80)
        let bodies = try site.store.db.read { db in try Int.fetchOne(db, sql: "SELECT SUM(length(body)) FROM events") ?? 0 }
        #expect(parts.bodyBytes == bodies && parts.bodyBytes > 80 * 200)
        #expect(parts.tableBytes >= parts.bodyBytes && parts.fileBytes >= parts.tableBytes + parts.indexes.map(\.bytes).reduce(0, +))
        let names = Set(parts.indexes.map(\.name))
        #expect(names.contains("events_facts_by_patient") && names.contains("UNIQUE(site, seq)"), "\(names)")
        #expect(!names.contains { $0.hasPrefix("sqlite_autoindex") })
    }
}
