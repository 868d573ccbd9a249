import TherapyLedgerCore
import TherapyLedgerExport
import TherapyLedgerStore

/// The one place pages read a ledger: what a report shows, gathered in a few reads. Everything else in
/// this module renders values and does no I/O.
extension LedgerStore {
    /// A patient's status, timeline, charts and provenance at `asOf`, as the ledger knew them at `knownAt`.
    /// Throws for a patient the ledger does not know.
    public func patientReportInput(patient: String, asOf: Timestamp, knownAt: Timestamp?) throws -> PatientReportInput {
        let events = try projectionEvents(patient: patient)
        // An unknown patient is an error (the same message as `status`).
        if events.isEmpty { _ = try status(patient: patient, asOf: asOf, knownAt: knownAt) }
        let status = Projector.status(patient: patient, events: events, asOf: asOf, knownAt: knownAt)
        let timeline = Projector.timeline(events: events, asOf: asOf, knownAt: knownAt)
        let known = Projector.known(events, at: knownAt)
        let provenance = ReportProvenance(network: network, eventCount: known.count,
                                          heads: try coveringHeads(ReportProvenance.lastSeqs(of: known)))
        return PatientReportInput(status: status, timeline: timeline, charts: PatientChartData(events: events, status: status), provenance: provenance)
    }

    /// The worklist at `asOf` with each patient's recent reservoir days, and the provenance of the whole ledger
    /// as known at `knownAt` (every patient's events decide who is on it).
    public func worklistReportInput(within days: Double, asOf: Timestamp, knownAt: Timestamp?) throws -> WorklistReportInput {
        let worklist = try self.worklist(within: days, asOf: asOf, knownAt: knownAt)
        var items: [WorklistReportItem] = []
        for entry in worklist {
            let events = Projector.known(try projectionEvents(patient: entry.status.patient), at: knownAt)
            let effective = EffectiveEvents(events)
            let p = PatientFold.fold(patient: entry.status.patient, effective: effective.events, asOf: asOf)
            var recent: [ReservoirDay] = []
            ReservoirSeries.days(effective: effective.events, projection: p, from: asOf.adding(days: -WorklistReport.sparklineDays), through: asOf) {
                recent.append($0)
            }
            items.append(WorklistReportItem(status: entry.status, recentDays: recent))
        }
        let (lastSeqs, count) = try self.lastSeqs(knownAt: knownAt)
        let provenance = ReportProvenance(network: network, eventCount: count, heads: try coveringHeads(lastSeqs))
        return WorklistReportInput(asOf: asOf, knownAt: knownAt, withinDays: days, items: items, provenance: provenance)
    }
}

extension LedgerStore {
    /// What a refill of `patient` recorded at `at` would be measured against (every recorded event counts), or nil
    /// when none could be measured then (no pump with therapy running). Throws for a patient the ledger does not know.
    public func refillExpectation(patient: String, at: Timestamp) throws -> RefillExpectation? {
        let events = try projectionEvents(patient: patient)
        if events.isEmpty { _ = try status(patient: patient, asOf: at, knownAt: nil) }
        let effective = EffectiveEvents(events)
        return RefillExpectation.at(at, projection: PatientFold.fold(patient: patient, effective: effective.events, asOf: at))
    }
}
