import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore
import TherapyLedgerPages

/// The report scenario: a year of patient P001's therapy recorded at north and south (refills, a flagged one, a
/// concentration change with its programming, titrations, assessments, an adverse event, a correction, a voided
/// bolus) and patient P002 near its low alarm, in batches, so that P001's last north event is not in north's last batch.
enum ReportScenario {
    static let asOf = Timestamp.parse("2026-10-15T12:00:00Z")!

    static func rid(_ n: Int) -> String {
        let s = String(n)
        return "0199dddd-0000-7000-8000-" + String(repeating: "0", count: 12 - s.count) + s
    }

    static func refill(_ n: Int, at: String, residual: Double, added: Double, concentration: Double, due: String, site: String = "north") -> String {
        event("reservoir.refilled", at: at, author: "nurse.\(site)", id: rid(n), data: .object([
            "residualMl": .number(residual), "addedMl": .number(added), "concentrationMcgPerMl": .number(concentration), "nextRefillDue": .string(due),
        ]))
    }

    static func scores(_ n: Int, at: String, ashworth: String, penn: Int, site: String = "north") -> String {
        event("assessment.recorded", at: at, author: "dr.\(site)", id: rid(n),
              data: .object(["ashworth": .string(ashworth), "pennSpasmFrequency": .number(Double(penn))]))
    }

    static func programmed(_ n: Int, at: String, mcg: Double) -> String {
        event("dose.programmed", at: at, author: "dr.north", id: rid(n), data: .object(["dailyDoseMcg": .number(mcg), "mode": .string("simple-continuous")]))
    }

    /// North's batches before south's first one, south's first, north's next, south's second, north's last ones.
    static let north1 = [
        event("patient.enrolled", at: "2025-10-20T09:00:00Z", author: "dr.north", id: rid(1),
              data: json(#"{"indication":"multiple-sclerosis","origin":"spinal","birthYear":1971}"#)),
        event("pump.implanted", at: "2025-11-03T10:00:00Z", author: "dr.north", id: rid(2), data: json(
            #"{"pumpModel":"SynchroMed II","pumpSerial":"NGP900001","reservoirMl":20,"lowAlarmMl":2,"catheterTip":"T10","drug":"baclofen","concentrationMcgPerMl":500,"fillMl":20,"dailyDoseMcg":100}"#)),
        scores(3, at: "2025-11-03T11:00:00Z", ashworth: "3", penn: 3),
    ]
    static let north2 = [programmed(4, at: "2025-11-10T10:00:00Z", mcg: 120), scores(5, at: "2025-12-01T10:00:00Z", ashworth: "2", penn: 2)]
    static let north3 = [
        refill(6, at: "2026-01-12T10:00:00Z", residual: 3.5, added: 18, concentration: 500, due: "2026-03-09"),
        scores(7, at: "2026-01-12T10:30:00Z", ashworth: "1+", penn: 1),
    ]
    static let north4 = [
        refill(8, at: "2026-03-09T10:00:00Z", residual: 2.0, added: 18, concentration: 1000, due: "2026-05-04"),
        programmed(9, at: "2026-03-09T10:20:00Z", mcg: 120),
        event("adverse-event.reported", at: "2026-03-10T15:00:00Z", author: "dr.north", id: rid(10),
              data: json(#"{"category":"overdose","grade":2,"serious":false,"relatedTo":"drug","description":"Drowsy <b>&</b> weak legs."}"#)),
    ]
    static let south1 = [
        refill(11, at: "2026-05-04T10:00:00Z", residual: 5.6, added: 14, concentration: 1000, due: "2026-07-13", site: "south"),
        scores(12, at: "2026-05-04T10:30:00Z", ashworth: "1", penn: 1, site: "south"),
    ]
    static let north5 = [
        event("event.corrected", at: "2026-05-05T09:00:00Z", author: "nurse.north", id: rid(13), reason: "Residual misread: 3.4 mL, not 3.5 mL.",
              data: json(#"{"target":"\#(rid(6))","action":"amend","data":{"residualMl":3.4,"addedMl":18,"concentrationMcgPerMl":500,"nextRefillDue":"2026-03-09"}}"#)),
        programmed(14, at: "2026-06-01T10:00:00Z", mcg: 150),
    ]
    static let south2 = [
        refill(15, at: "2026-07-13T10:00:00Z", residual: 4.4, added: 15, concentration: 1000, due: "2026-09-07", site: "south"),
        scores(16, at: "2026-07-13T10:30:00Z", ashworth: "1", penn: 0, site: "south"),
    ]
    static let north6 = [
        refill(17, at: "2026-09-07T10:00:00Z", residual: 6.0, added: 14, concentration: 1000, due: "2026-11-02"),
        event("bolus.delivered", at: "2026-09-20T10:00:00Z", author: "dr.north", id: rid(18), data: json(#"{"doseMcg":50,"kind":"single"}"#)),
        event("event.corrected", at: "2026-09-21T09:00:00Z", author: "dr.north", id: rid(19), reason: "Recorded for the wrong patient.",
              data: json(#"{"target":"\#(rid(18))","action":"void"}"#)),
    ]
    static let north7 = [
        event("patient.enrolled", patient: "P002", at: "2026-07-01T09:00:00Z", author: "dr.north", id: rid(20),
              data: json(#"{"indication":"cerebral-palsy","origin":"cerebral"}"#)),
        event("pump.implanted", patient: "P002", at: "2026-08-03T10:00:00Z", author: "dr.north", id: rid(21), data: json(
            #"{"pumpModel":"SynchroMed II","pumpSerial":"NGP900002","reservoirMl":20,"lowAlarmMl":2,"concentrationMcgPerMl":500,"fillMl":20,"dailyDoseMcg":200}"#)),
    ]

    /// The time the scenario's sites record at: moved on after each batch, so that `--known-at` sees the ledger grow.
    final class SharedClock: @unchecked Sendable {
        private var value = Timestamp.parse("2025-10-21T00:00:00Z")!
        private let lock = NSLock()
        var now: Timestamp { lock.lock(); defer { lock.unlock() }; return value }
        func set(_ t: String) { lock.lock(); value = Timestamp.parse(t)!; lock.unlock() }
    }

    /// One site of the scenario: recording at the shared clock plus its own wall-clock error (`skewHours`).
    static func site(_ name: String, index: Int, clock: SharedClock, skewHours: Int64) throws -> SyncSite {
        let dir = TempDir(inMemory: true)
        let counter = Counter()
        let environment = LedgerStore.Environment(now: { clock.now.adding(seconds: skewHours * 3600) }, newID: {
            let hex = String(counter.next(), radix: 16)
            return "0199eeee-000\(index)-7000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
        })
        return try SyncSite(name: name, dir: dir, environment: environment, network: "clinic")
    }

    /// Four ledgers holding the same events, each reached by another route:
    /// north and south trade bundles after every batch; east imports every bundle as it is made, in order;
    /// west gets everything at the end in one bundle relayed by south. Each site's wall clock differs.
    /// Batches are recorded the day after their last event (`knownAtBeforeCorrection` falls between).
    static func sites(in bundles: TempDir) throws -> [SyncSite] {
        let clock = SharedClock()
        let north = try site("north", index: 1, clock: clock, skewHours: 0)
        let south = try site("south", index: 2, clock: clock, skewHours: 3)
        let east = try site("east", index: 3, clock: clock, skewHours: 7)
        let west = try site("west", index: 4, clock: clock, skewHours: 11)
        // West meets north and east only through south's relay: their fingerprints were exchanged out of band.
        try trustEachOther([north, south, east, west])
        func ship(_ from: SyncSite, _ to: [SyncSite]) throws {
            let bundle = try from.export(to: bundles, since: try to[0].store.clock())
            for site in to { try site.store.importBundle(from: bundle) }
        }
        for (batch, at) in [(north1, "2025-11-04"), (north2, "2025-12-02"), (north3, "2026-01-13"), (north4, "2026-03-11")] {
            clock.set(at + "T08:00:00Z")
            try north.append(batch)
            try ship(north, [east])
        }
        try ship(north, [south])
        clock.set("2026-05-05T08:00:00Z")
        try south.append(south1)
        try ship(south, [north])
        try ship(south, [east])
        clock.set("2026-06-02T08:00:00Z")
        try north.append(north5)
        try ship(north, [south, east])
        clock.set("2026-07-14T08:00:00Z")
        try south.append(south2)
        try ship(south, [north, east])
        clock.set("2026-09-22T08:00:00Z")
        try north.append(north6)
        try ship(north, [east])
        clock.set("2026-10-02T08:00:00Z")
        try north.append(north7)
        try ship(north, [south, east])
        // West: all at once, relayed by south, with the clock later still.
        clock.set("2026-10-16T08:00:00Z")
        try west.store.importBundle(from: try south.export(to: bundles))
        return [north, south, east, west]
    }

    /// Between south's first batch and the correction of the first refill's residual.
    static let knownAtBeforeCorrection = Timestamp.parse("2026-05-20T00:00:00Z")!

    /// The patient report of `patient` at `site`.
    static func patientReport(_ site: SyncSite, _ patient: String = "P001", asOf: Timestamp = asOf, knownAt: Timestamp? = nil) throws -> String {
        PatientReport.render(try site.store.patientReportInput(patient: patient, asOf: asOf, knownAt: knownAt))
    }

    static func worklistReport(_ site: SyncSite, asOf: Timestamp = asOf, knownAt: Timestamp? = nil) throws -> String {
        WorklistReport.render(try site.store.worklistReportInput(within: 14, asOf: asOf, knownAt: knownAt))
    }

    /// The report with its random parts masked: Ed25519 signatures (every ledger gets a new key) and key fingerprints.
    static func masked(_ html: String) -> String {
        var s = html
        for (pattern, replacement) in [("<code>[0-9a-f]{128}</code>", "<code>SIGNATURE</code>"), ("SHA256:[0-9a-f]{32}", "SHA256:FINGERPRINT")] {
            s = s.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return s
    }

    /// The rows of the `<table>` inside `<details class="data CLASS">`, cells unescaped.
    static func tableRows(_ html: String, detailsClass: String) -> [[String]] {
        guard let start = html.range(of: "<details class=\"data \(detailsClass)\"") else { return [] }
        let rest = html[start.upperBound...]
        guard let end = rest.range(of: "</details>") else { return [] }
        let table = rest[..<end.lowerBound]
        guard let body = table.range(of: "<tbody>") else { return [] }
        var rows: [[String]] = []
        for row in table[body.upperBound...].components(separatedBy: "<tr>").dropFirst() {
            let cells = row.components(separatedBy: "<td>").dropFirst().map { cell in
                unescape(String(cell[..<(cell.range(of: "</td>")?.lowerBound ?? cell.endIndex)]))
            }
            rows.append(cells)
        }
        return rows
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}
