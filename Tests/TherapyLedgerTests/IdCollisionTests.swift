import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Two sites that share P1's enrolment, then each record an event with one id, and exchange bundles.
private func collide(_ northLine: String, _ southLine: String) throws -> (north: SyncSite, south: SyncSite) {
    let bundles = TempDir(inMemory: true)
    let north = try SyncSite("north", index: 1), south = try SyncSite("south", index: 2)
    try north.append([enrol("P1", at: syncTime(0)), implant("P1", at: syncTime(60))])
    try south.store.importBundle(from: north.export(to: bundles))
    try north.append([northLine])
    try south.append([southLine])
    // Neither direction is blocked.
    try south.store.importBundle(from: north.export(to: bundles, since: try south.store.clock()))
    try north.store.importBundle(from: south.export(to: bundles, since: try north.store.clock()))
    return (north, south)
}

private let sharedID = "0195cccc-0000-7000-8000-000000000001"

@Suite(.serialized) struct IdCollisionTests {
    @Test func differentEventsWithOneIdAtTwoSitesAreBothKeptAndShown() throws {
        let (north, south) = try collide(assessment("P1", id: sharedID, at: syncTime(100), penn: 1),
                                         dose("P1", id: sharedID, at: syncTime(110), mcg: 120))
        for site in [north, south] {
            #expect(try site.store.eventCount() == 4)
            #expect(try site.store.verify().isOK)
            let timeline = try site.store.timeline(patient: "P1").filter { $0.event.id == sharedID }
            #expect(timeline.map(\.status) == [.active, .active])
            #expect(Set(timeline.map(\.event.site)) == ["north", "south"])
            let status = try site.store.status(patient: "P1", asOf: testNow)
            let alert = try #require(status.alerts.first { $0.code == "id-collision" }, "\(status.alerts)")
            #expect(alert.severity == .warning)
            #expect(alert.eventIDs == [sharedID])
            #expect(alert.message.contains("north:3") && alert.message.contains("south:1"), "\(alert.message)")
            #expect(status.dose?.dailyDoseMcg == 120, "the dose recorded under the shared id counts")
        }
        #expect(try SyncObservation(north) == SyncObservation(south))
    }

    @Test func oneSubmissionSentToTwoSitesCountsOnce() throws {
        let line = event("bolus.delivered", patient: "P1", at: syncTime(100), id: sharedID,
                         data: .object(["doseMcg": .number(50), "kind": .string("single")]))
        let (north, south) = try collide(line, line)
        for site in [north, south] {
            #expect(try site.store.eventCount() == 4, "both copies are kept")
            let timeline = try site.store.timeline(patient: "P1").filter { $0.event.id == sharedID }
            #expect(timeline.map(\.status) == [.active, .duplicate], "\(timeline.map(\.status))")
            #expect(timeline.first?.event.site == "north", "the first in causal order (site north before south) counts")
            let (_, _, effective) = Projector.projection(patient: "P1", events: try site.store.projectionEvents(patient: "P1"))
            #expect(effective.events.filter { $0.id == sharedID }.count == 1, "a projection counts the submission once")
            let status = try site.store.status(patient: "P1", asOf: testNow)
            let alert = try #require(status.alerts.first { $0.code == "id-collision" }, "\(status.alerts)")
            #expect(alert.severity == .info)
            #expect(alert.message.contains("counts once"), "\(alert.message)")
            #expect(status.json["alerts"] != nil)
        }
        #expect(try SyncObservation(north) == SyncObservation(south))
    }

    /// A correction naming a shared id applies to the event of that id recorded at its own site.
    @Test func aCorrectionOfASharedIdAppliesToItsOwnSitesEvent() throws {
        let (north, south) = try collide(assessment("P1", id: sharedID, at: syncTime(100), penn: 1),
                                         dose("P1", id: sharedID, at: syncTime(110), mcg: 120))
        try south.append([syncVoid("P1", target: sharedID, at: syncTime(120))])
        let bundles = TempDir(inMemory: true)
        try north.store.importBundle(from: south.export(to: bundles, since: try north.store.clock()))
        for site in [north, south] {
            let timeline = try site.store.timeline(patient: "P1").filter { $0.event.id == sharedID }
            #expect(timeline.map { "\($0.event.site) \($0.status.rawValue)" } == ["north active", "south voided"])
        }
    }

    @Test func oneIdForTwoPatientsAtTwoSitesIsKeptAndShownAtBoth() throws {
        try requireCLI()
        let bundles = TempDir(inMemory: true)
        let north = try SyncSite("north", index: 1), south = try SyncSite("south", index: 2)
        try north.append([enrol("P1", id: sharedID, at: syncTime(0))])
        try south.append([enrol("P2", id: sharedID, at: syncTime(1))])
        try south.store.importBundle(from: north.export(to: bundles))
        try north.store.importBundle(from: south.export(to: bundles, since: try north.store.clock()))
        for site in [north, south] {
            #expect(try site.store.eventCount() == 2)
            #expect(try site.store.verify().isOK)
            for (patient, here, there) in [("P1", "north:1", "south:1"), ("P2", "south:1", "north:1")] {
                #expect(try site.store.timeline(patient: patient).count == 1)
                let alert = try #require(try site.store.status(patient: patient, asOf: testNow).alerts.first { $0.code == "id-collision" })
                #expect(alert.message.contains(here) && alert.message.contains(there), "\(alert.message)")
                #expect(!alert.message.contains(patient == "P1" ? "P2" : "P1"), "the other patient is not named")
            }
            let json = try cli(["status", "--patient", "P2", "--as-of", testNow.iso8601, "--json", "--ledger", site.path])
            #expect(json.status == 0 && json.stdout.contains("\"id-collision\""), "\(json)")
        }
    }

    @Test func theStatusSchemaKnowsTheCode() throws {
        #expect(Alert.codes.contains("id-collision"))
        let schema = try String(contentsOfFile: rootPath("schemas/status.schema.json"), encoding: .utf8)
        #expect(schema.contains("\"id-collision\""))
        let timeline = try String(contentsOfFile: rootPath("schemas/timeline-entry.schema.json"), encoding: .utf8)
        #expect(timeline.contains("\"duplicate\""))
    }
}
