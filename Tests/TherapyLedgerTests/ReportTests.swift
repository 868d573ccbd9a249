import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore
import TherapyLedgerExport
import TherapyLedgerPages

/// The offline report (issue 14): same events, same bytes at every site; goldens; charts that agree with the
/// exports; no external resource; a text alternative on every chart.
@Suite struct ReportTests {
    @Test func escapingCoversMarkupQuotesAndControls() {
        #expect(HTML.escape(#"<a href="x">Tom & 'Jerry'</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
        #expect(HTML.escape("a\u{0}b\u{7F}c\u{85}d\té\n") == "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\té\n")
        var b = HTMLBuilder()
        b.element("p", [("title", "\"><script>"), ("hidden", nil)], text: "</p><script>alert(1)</script>")
        #expect(b.output == "<p title=\"&quot;&gt;&lt;script&gt;\">&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>")
    }

    @Test func escapingIsReversibleAndLeavesNoMarkup() {
        // Property: for seeded random strings of markup, quotes, ASCII and other scripts, the escaped text holds no
        // markup character and unescapes to the input.
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("<>&\"'=/ abcXYZ019;#éß中🙂\n\t")
        for _ in 0..<500 {
            let s = String((0..<Int.random(in: 0...40, using: &g)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &g)] })
            let e = HTML.escape(s)
            #expect(!e.contains("<") && !e.contains(">") && !e.contains("\"") && !e.contains("'"))
            #expect(ReportScenario.unescape(e) == s)
        }
    }

    @Test func sameEventsGiveTheSameBytesAtEverySite() throws {
        let bundles = TempDir(inMemory: true)
        let sites = try ReportScenario.sites(in: bundles)
        let patient = try sites.map { try ReportScenario.patientReport($0) }
        let worklist = try sites.map { try ReportScenario.worklistReport($0) }
        let knownAt = try sites.map { try ReportScenario.patientReport($0, knownAt: ReportScenario.knownAtBeforeCorrection) }
        for i in 1..<sites.count {
            #expect(patient[i] == patient[0], "patient report of \(sites[i].name) differs from north's")
            #expect(worklist[i] == worklist[0], "worklist report of \(sites[i].name) differs from north's")
            #expect(knownAt[i] == knownAt[0], "known-at report of \(sites[i].name) differs from north's")
        }
        // The footer names the head that ended the batch of P001's last north event (north6), not north's latest.
        // (North's seqs: batches 1-4 are 1-10, batch 5 is 11-12, batch 6 is 13-15, batch 7 (P002) is 16-17.)
        let northHeads = try sites[0].store.coveringHeads(["north": 15])
        #expect(northHeads.first?.head.seq == 15)
        #expect(patient[0].contains("<td>north:15</td><td><code>"))
        #expect(!patient[0].contains("<td>north:17</td>"))
        // No local site, path or wall-clock time: the sites' own names appear only as the events' origins.
        for (site, html) in zip(sites, patient) {
            #expect(!html.contains(site.path) && !html.contains(site.dir.path))
            #expect(!html.contains(site.environment.now().iso8601) && !html.contains(site.environment.now().dateString))
        }
        #expect(!patient[0].contains("east") && !patient[0].contains("west"))
        // Known at a time before the correction: the first refill reads as recorded, the footer covers what was known then.
        #expect(knownAt[0].contains("refill: residual 3.50 mL withdrawn") && !knownAt[0].contains("3.40"))
        #expect(patient[0].contains("(amended; recorded as: refill: residual 3.50 mL withdrawn"))
        #expect(knownAt[0].contains("<td>north:10</td>") && knownAt[0].contains("<td>south:2</td>") && !knownAt[0].contains("north:15"))
    }

    @Test func goldenReports() throws {
        let bundles = TempDir(inMemory: true)
        let sites = try ReportScenario.sites(in: bundles)
        let record = ProcessInfo.processInfo.environment["THERAPY_LEDGER_RECORD_REPORTS"] == "1"
        var recorded: [String] = []
        for (name, html) in [("patient-P001.html", try ReportScenario.patientReport(sites[1])),
                             ("worklist.html", try ReportScenario.worklistReport(sites[1])),
                             ("patient-P001-known-at.html", try ReportScenario.patientReport(sites[1], knownAt: ReportScenario.knownAtBeforeCorrection))] {
            let path = fixturePath("report/" + name)
            let text = ReportScenario.masked(html)
            if record {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                recorded.append(name)
                continue
            }
            let golden = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text == golden, "\(name) differs from its golden file (THERAPY_LEDGER_RECORD_REPORTS=1 re-records)")
        }
        #expect(recorded.isEmpty, "re-recorded \(recorded.joined(separator: ", ")): run again without THERAPY_LEDGER_RECORD_REPORTS")
    }

    @Test func chartPointsMatchTheExports() throws {
        let bundles = TempDir(inMemory: true)
        let sites = try ReportScenario.sites(in: bundles)
        let store = sites[2].store
        let asOf = ReportScenario.asOf
        let html = try ReportScenario.patientReport(sites[2])
        func export(_ kind: ExportKind, from: Timestamp? = nil) throws -> [[String]] {
            var bytes: [UInt8] = []
            let options = ExportOptions(kind: kind, patients: ["P001"], from: from, asOf: asOf)
            _ = try Exporter(store: store).stream(options, order: ["P001"]) { bytes += $0 }
            return String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        }
        let start = asOf.adding(days: -PatientChartData.windowDays)
        let reservoir = try export(.reservoir, from: start).map { Array($0.dropFirst()) }
        let points = ReportScenario.tableRows(html, detailsClass: "reservoir-points")
        #expect(points.count > 300)
        #expect(points == reservoir)
        // The polylines draw exactly those days.
        let polylines = html.components(separatedBy: "<polyline class=\"series reservoir\" points=\"").dropFirst()
        let drawn = polylines.map { $0.prefix { $0 != "\"" }.split(separator: " ").count }.reduce(0, +)
        #expect(drawn == points.count)

        let doses = try export(.doses).filter { $0[2].isEmpty || Timestamp.parse($0[2]).map { $0 >= start } == true }
            .map { row in Array(row.dropFirst()).enumerated().filter { $0.offset != 7 }.map(\.element) }  // the author column is not drawn
        #expect(ReportScenario.tableRows(html, detailsClass: "dose-points") == doses)
        #expect(doses.count >= 3)
        let assessments = try export(.assessments, from: start).map { Array($0.dropFirst()) }
        #expect(ReportScenario.tableRows(html, detailsClass: "assessment-points") == assessments)
        #expect(assessments.count == 5)
        // A concentration change is marked on the dose chart, a flagged refill on the reservoir chart.
        #expect(html.contains("500 \u{2192} 1000 mcg/mL"))
        #expect(html.contains("<g class=\"refill flagged\">"))
    }

    @Test func reportsUseNothingFromOutsideAndDescribeEveryChart() throws {
        let bundles = TempDir(inMemory: true)
        let sites = try ReportScenario.sites(in: bundles)
        for html in [try ReportScenario.patientReport(sites[0]), try ReportScenario.worklistReport(sites[0])] {
            for forbidden in ["http:", "https:", "<script", "<link", "src=", "url(", "@import", "<img", "<iframe", "@font-face"] {
                #expect(!html.contains(forbidden), "the report refers to something outside it: \(forbidden)")
            }
            // Every chart is an image with a title and a description it points to.
            let svgs = html.components(separatedBy: "<svg ").dropFirst()
            #expect(!svgs.isEmpty)
            for svg in svgs {
                let open = svg.prefix { $0 != ">" }
                #expect(open.contains("role=\"img\""))
                let labels = open.components(separatedBy: "aria-labelledby=\"").dropFirst().first?.prefix { $0 != "\"" }.split(separator: " ") ?? []
                #expect(labels.count == 2)
                for id in labels { #expect(svg.contains("id=\"\(id)\">") && !svg.contains("id=\"\(id)\"></")) }
            }
            #expect(html.contains("@media print"))
            // Free text is escaped (the adverse event's description is not shown; the correction's reason is not quoted).
            #expect(!html.contains("<b>"))
        }
    }

    @Test(arguments: Palette.textPairs.map { "\($0.0) on \($0.1): \($0.2)" })
    func paletteContrastPassesWCAGAA(_ pair: String) throws {
        let parts = pair.split(separator: " ")
        let ratio = contrast(String(parts[0]), String(parts[2].prefix(7)))
        #expect(ratio >= 4.5, "\(pair): \(ratio):1")
    }

    func contrast(_ a: String, _ b: String) -> Double {
        func luminance(_ hex: String) -> Double {
            let v = Int(hex.dropFirst(), radix: 16) ?? 0
            func linear(_ c: Int) -> Double {
                let x = Double(c) / 255
                return x <= 0.03928 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4)
            }
            let channels: [Double] = [linear((v >> 16) & 0xFF), linear((v >> 8) & 0xFF), linear(v & 0xFF)]
            return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
        }
        let (la, lb) = (luminance(a), luminance(b))
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }
}
