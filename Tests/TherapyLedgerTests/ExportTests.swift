import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerExport
@testable import TherapyLedgerStore
import TherapyLedgerSimulation

@Suite struct ExportTests {
    @Test(arguments: ExportKind.allCases)
    func matchesGolden(kind: ExportKind) throws {
        let dir = TempDir()
        let store = try exportLedger(dir)
        let actual = try exportText(store, goldenOptions(kind))
        let path = exportsDir + "/\(kind.rawValue).csv"
        // THERAPY_LEDGER_RECORD_EXPORTS=1 rewrites the golden file and fails the run: check every changed row by hand.
        if ProcessInfo.processInfo.environment["THERAPY_LEDGER_RECORD_EXPORTS"] == "1" {
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
            Issue.record("re-recorded \(path): compare it with replay/exports/README.md before committing")
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(actual == expected, "\(kind.rawValue).csv differs:\n\(actual)")
    }
}

@Suite struct ExportFormatTests {
    @Test(arguments: ExportKind.allCases)
    func headerMatchesSchemaAndPythonParsesEveryRow(kind: ExportKind) throws {
        let dir = TempDir()
        let store = try exportLedger(dir)
        let out = dir.file("\(kind.rawValue).csv")
        let summary = try Exporter(store: store).export(goldenOptions(kind), to: out, progress: false)
        let rows = try pythonParse(out)
        #expect(rows.first == (try schemaColumns(kind)), "header of \(kind.rawValue) differs from schemas/csv/\(kind.rawValue).json")
        #expect(rows.count == summary.rows + 1)
        for row in rows { #expect(row.count == kind.columns.count, "ragged row \(row)") }
        // Only the export itself is left in the folder: the temporary file was renamed.
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        #expect(files.isEmpty, "leftover temporary files \(files)")
    }

    @Test func quotingHoldsForCommasQuotesAndNewlines() throws {
        let dir = TempDir()
        let store = try exportLedger(dir)
        let out = dir.file("ae.csv")
        try Exporter(store: store).export(goldenOptions(.adverseEvents), to: out, progress: false)
        let rows = try pythonParse(out)
        let descriptions = rows.dropFirst().map { $0[7] }
        // The amended description of P-A's report, and P-B's, come back exactly.
        #expect(descriptions == ["Patient said \"dizzy, tired\"\nsecond line", "rebound spasticity, fever"])
        let raw = try String(contentsOfFile: out, encoding: .utf8)
        #expect(raw.contains("\"Patient said \"\"dizzy, tired\"\"\nsecond line\""))
        #expect(!raw.contains("\r"), "LF line endings only")
    }

    @Test func fieldsAreQuotedOnlyWhenNeeded() {
        var out: [UInt8] = []
        CSVEncoder.appendRow(["plain", "a,b", "say \"hi\"", "two\nlines", "cr\r", "", "ünï"], to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\",,ünï\n")
    }
}

@Suite struct ExportPrivacyTests {
    static let key = Array("0123456789abcdef-export-test-key".utf8)

    @Test(arguments: ExportKind.allCases)
    func pseudonymizedExportLeaksNoIdSerialAuthorOrFreeText(kind: ExportKind) throws {
        let dir = TempDir()
        let store = try exportLedger(dir)
        var options = goldenOptions(kind)
        options.pseudonymKey = Self.key
        let text = try exportText(store, options)
        let secrets = ["P-A", "P-B", "P-C", "NGP111111H", "PRM-22222", "LOT-7781", "dr.meyer", "dr.keller", "pt.weber", "rn.fischer",
                       "dizzy", "tired", "rebound", "fever", "wrong patient", "description incomplete"]
        for secret in secrets { #expect(!text.contains(secret), "\(kind.rawValue) leaks \(secret)") }
        // Rows are sorted by pseudonym; the same key gives the same pseudonyms.
        let patients = text.split(separator: "\n").dropFirst().map { String($0.prefix(64)) }
        #expect(patients == patients.sorted())
        let p = Pseudonymizer(key: Self.key)
        for patient in patients { #expect([p.pseudonym("P-A"), p.pseudonym("P-B"), p.pseudonym("P-C")].contains(patient)) }
        // Nothing was dropped: as many rows as without pseudonyms (an empty file would pass every check above).
        let rows = { (o: ExportOptions) in try Exporter(store: store).export(o, to: dir.file("rows.csv"), force: true, progress: false).rows }
        let plain = try rows(goldenOptions(kind))
        #expect(plain > 0)
        #expect(try rows(options) == plain)
    }

    @Test func pseudonymIsHMACSHA256Hex() {
        // RFC 4231 test case 2: key "Jefe" is too short for exports, but the primitive is the same.
        let p = Pseudonymizer(key: Array("Jefe".utf8))
        #expect(p.pseudonym("what do ya want for nothing?") == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func relativeDatesCountDaysFromTheFirstImplant() throws {
        let dir = TempDir()
        let store = try exportLedger(dir)
        var options = goldenOptions(.patients)
        options.relativeDates = true
        let text = try exportText(store, options)
        // P-A implanted 2025-02-01T12:00Z: 0 days; P-B explanted 4.25 days after its implant; P-C never implanted: empty.
        #expect(text.contains("P-A,spinal,spinal-cord-injury,1978,SynchroMed II,NGP111111H,20.00,0.0000,,,clinic-a\n"))
        #expect(text.contains("P-B,cerebral,cerebral-palsy,,Prometra II,PRM-22222,20.00,0.0000,4.2500,explanted,clinic-a\n"))
        #expect(text.contains("P-C,spinal,other,1990,,,,,,,\n"))
        options.kind = .timeline
        let timeline = try exportText(store, options)
        #expect(timeline.split(separator: "\n").count > 10, "the relative-dates timeline lost its rows:\n\(timeline)")
        #expect(!timeline.contains("2025-"), "no absolute date survives --relative-dates:\n\(timeline)")
    }
}

@Suite struct ExportArgumentTests {
    @Test func badArgumentsFailWithoutWritingAFile() throws {
        let dir = TempDir()
        let store = try exportLedger(dir)
        let out = dir.file("out.csv")
        let exporter = Exporter(store: store)
        var unknown = goldenOptions(.doses)
        unknown.patients = ["P-A", "NOPE"]
        #expect(throws: ExportError.self) { try exporter.export(unknown, to: out, progress: false) }
        var reversed = goldenOptions(.doses)
        reversed.from = Timestamp.parse("2025-03-01T00:00:00Z")
        reversed.to = Timestamp.parse("2025-02-01T00:00:00Z")
        #expect(throws: ExportError.self) { try exporter.export(reversed, to: out, progress: false) }
        var shortKey = goldenOptions(.doses)
        shortKey.pseudonymKey = Array("short".utf8)
        #expect(throws: ExportError.self) { try exporter.export(shortKey, to: out, progress: false) }
        let keyFile = dir.write("key", "only 15 bytes!!")
        #expect(throws: ExportError.self) { try ExportOptions.readKey(path: keyFile) }
        #expect(throws: ExportError.self) { try ExportOptions.readKey(path: dir.file("missing-key")) }
        #expect(ExportKind(rawValue: "patient") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("out.csv") }.isEmpty)
    }

    @Test func patientAndTimeFiltersSelectRows() throws {
        let dir = TempDir()
        let store = try exportLedger(dir)
        var options = goldenOptions(.reservoir)
        options.patients = ["P-B"]
        options.from = Timestamp.parse("2025-02-07T00:00:00Z")
        options.to = Timestamp.parse("2025-02-08T00:00:00Z")
        let text = try exportText(store, options)
        #expect(text == """
            patient,date,volume_ml,daily_dose_mcg,rate_ml_per_day,status
            P-B,2025-02-07T00:00:00Z,1.00,500.0,0.5000,low
            P-B,2025-02-08T00:00:00Z,0.50,500.0,0.5000,low

            """)
    }

    @Test func knownAtHidesLaterRecordings() throws {
        let dir = TempDir()
        let store = try exportLedger(dir)
        var options = goldenOptions(.timeline)
        options.knownAt = Timestamp.parse("2025-01-01T00:00:00Z")
        // Every event was recorded at testNow (2025-10-01): nothing was known on 2025-01-01.
        #expect(try exportText(store, options) == ExportKind.timeline.columns.joined(separator: ",") + "\n")
    }
}

@Suite struct ReservoirSeriesTests {
    /// The series must equal the fold evaluated as of each midnight (PatientStatus), to the bit.
    func checkAgainstFold(_ events: [ProjectionEvent], through end: Timestamp, seed: UInt64? = nil) {
        let effective = EffectiveEvents(events)
        let p = PatientFold.fold(patient: "X", effective: effective.events, asOf: end)
        var days: [ReservoirDay] = []
        ReservoirSeries.days(effective: effective.events, projection: p, from: nil, through: end) { days.append($0) }
        var expected: [Timestamp: Double] = [:]
        guard let first = effective.events.first?.occurredAt.startOfDay else { return }
        var m = first
        while m <= end {
            let q = PatientFold.fold(patient: "X", effective: effective.events, asOf: m)
            let s = PatientStatus(projection: q, conflicts: [], asOf: m, knownAt: nil)
            if s.therapy == .active, let v = s.volumeMl { expected[m] = v }
            m = m.adding(seconds: 86_400)
        }
        let label = seed.map { "seed \($0)" } ?? "golden"
        #expect(days.count == expected.count, "\(label): \(days.count) days vs \(expected.count) from the fold")
        for d in days {
            let want: Double? = expected[d.date]
            #expect(want == d.volumeMl, "\(label): \(d.date.iso8601) \(d.volumeMl) vs \(String(describing: want))")
        }
    }

    @Test func goldenLedgerMatchesTheFold() throws {
        let dir = TempDir()
        let store = try exportLedger(dir)
        for patient in ["P-A", "P-B", "P-C"] {
            checkAgainstFold(try store.projectionEvents(patient: patient), through: exportGoldenAsOf)
        }
    }

    @Test func randomHistoriesMatchTheFold() {
        for seed in UInt64(1)...40 {
            var rng = SeededRandom(seed: seed)
            var events: [ProjectionEvent] = []
            var t: Int64 = 1_735_700_000 + Int64(rng.next() % 86_400)
            func add(_ type: EventType, _ facts: EventFacts) {
                events.append(ProjectionEvent(id: String(format: "e%04d", events.count), type: type, patient: "X", occurredAt: Timestamp(seconds: t),
                                              recordedAt: Timestamp(seconds: t), site: "s", seq: Int64(events.count + 1), clock: VectorClock(), clockSum: Int64(events.count + 1), facts: facts))
            }
            add(.pumpImplanted, EventFacts(dailyDoseMcg: 100, concentrationMcgPerMl: 500, volumeMl: 5 + Double(rng.next() % 15), reservoirMl: 20, lowAlarmMl: rng.next() % 2 == 0 ? nil : 3))
            for _ in 0..<20 {
                t += Int64(rng.next() % (6 * 86_400))
                switch rng.next() % 6 {
                case 0: add(.doseProgrammed, EventFacts(dailyDoseMcg: Double(50 + rng.next() % 400), lowAlarmMl: rng.next() % 3 == 0 ? 2.5 : nil))
                case 1: add(.bolusDelivered, EventFacts(bolusMcg: Double(25 + rng.next() % 100)))
                case 2: add(.reservoirRefilled, EventFacts(concentrationMcgPerMl: rng.next() % 3 == 0 ? 1000 : 500, volumeMl: Double(5 + rng.next() % 15), residualMl: 1))
                case 3: add(.pumpReplaced, EventFacts(dailyDoseMcg: 200, concentrationMcgPerMl: 1000, volumeMl: 18, reservoirMl: 20))
                case 4: add(rng.next() % 2 == 0 ? .pumpExplanted : .pumpImplanted, EventFacts(dailyDoseMcg: 90, concentrationMcgPerMl: 500, volumeMl: 10, reservoirMl: 20))
                default: add(.assessmentRecorded, EventFacts(label: "2"))
                }
            }
            checkAgainstFold(events, through: Timestamp(seconds: t + 30 * 86_400), seed: seed)
        }
    }
}
