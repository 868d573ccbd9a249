import TherapyLedgerCore

/// The rows of one patient for one kind: projections folded from the patient's events, formatted as
/// CSV fields (fixed rounding, UTC times or relative days, pseudonyms and emptied private text).
struct PatientRows {
    let patient: String
    let events: [ProjectionEvent]
    let options: ExportOptions
    /// The instant `alerts` and `reservoir` are evaluated at (the as-of time, or the ledger's now).
    let instant: Timestamp
    /// The patient column: the id or its pseudonym.
    let label: String

    var pseudonymize: Bool { options.pseudonymKey != nil }

    /// Calls `emit` with each row, in order (time, then the fold's clinical order, which is deterministic).
    func write(_ emit: ([String]) throws -> Void) throws {
        let known = Projector.known(events, at: options.knownAt)
        let textOnly = options.kind == .timeline || options.kind == .alerts
        // Timeline and alerts apply corrections themselves: compute them here only when needed.
        let effective = textOnly && !options.relativeDates ? nil : EffectiveEvents(known)
        let origin = options.relativeDates ? effective.flatMap { Self.firstImplant($0.events) } : nil
        let f = FieldFormat(relativeTo: origin, relative: options.relativeDates)
        func row(_ time: Timestamp?, _ fields: [String]) throws {
            if options.keeps(time) { try emit([label] + fields) }
        }
        func privateText(_ s: String?) -> String { pseudonymize ? "" : (s ?? "") }

        switch options.kind {
        case .timeline:
            for entry in Projector.timeline(events: known, asOf: options.asOf, knownAt: nil) {
                let e = entry.event
                let summary = options.relativeDates && FieldFormat.quotesDate(entry.summary) ? "" : entry.summary
                try row(e.occurredAt, [f.time(e.occurredAt), f.time(e.recordedAt), e.site, String(e.seq), e.type.rawValue, summary,
                                       entry.status.rawValue, entry.conflicts.joined(separator: ";")])
            }
        case .alerts:
            let status = Projector.status(patient: patient, events: known, asOf: instant, knownAt: nil)
            let alerts = status.alerts.sorted { a, b in
                if a.raisedAt != b.raisedAt { return a.raisedAt < b.raisedAt }
                if a.code != b.code { return a.code < b.code }
                return a.eventIDs.lexicographicallyPrecedes(b.eventIDs)
            }
            for a in alerts {
                let message = options.relativeDates && FieldFormat.quotesDate(a.message) ? "" : a.message
                // An acknowledgement in force: when and until when (never who: authors stay out of exports).
                try row(a.raisedAt, [a.code, a.severity.rawValue, f.time(a.raisedAt), a.eventIDs.joined(separator: ";"), message,
                                     a.acknowledgement.map { f.time($0.at) } ?? "", a.acknowledgement?.until.map { f.time($0) } ?? ""])
            }
        default:
            guard let effective else { return }
            let p = PatientFold.fold(patient: patient, effective: effective.events, asOf: options.kind == .reservoir ? instant : options.asOf)
            try writeProjection(p, effective: effective.events, format: f, row: row, privateText: privateText)
        }
    }

    private func writeProjection(_ p: PatientProjection, effective: [ProjectionEvent], format f: FieldFormat,
                                 row: (Timestamp?, [String]) throws -> Void, privateText: (String?) -> String) throws {
        switch options.kind {
        case .patients:
            let byID = Self.dataByID(effective)
            let birthYear = effective.last(where: { $0.type == .patientEnrolled })?.data?["birthYear"]?.numberValue
                .map { Rounding.fixed($0, decimals: 0) } ?? ""
            let head = [p.origin ?? "", p.indication ?? "", birthYear]
            if p.pumps.isEmpty { try row(nil, head + ["", "", "", "", "", "", ""]) }
            for pump in p.pumps {
                let serial = byID[pump.eventID]?["pumpSerial"]?.stringValue
                try row(pump.implantedAt, head + [pump.model ?? "", privateText(serial), FieldFormat.volume(pump.reservoirMl), f.time(pump.implantedAt),
                                                  f.time(pump.endedAt), pump.endReason ?? "", pump.site])
            }
        case .doses:
            for d in p.dosePeriods {
                try row(d.from, [f.time(d.from), f.time(d.to), FieldFormat.dose(d.dailyDoseMcg), FieldFormat.concentration(d.concentrationMcgPerMl),
                                 FieldFormat.rate(d.rateMlPerDay), d.mode, d.site, privateText(d.author), d.eventID])
            }
        case .refills:
            for r in p.refills {
                try row(r.at, [f.time(r.at), FieldFormat.volume(r.expectedResidualMl), FieldFormat.volume(r.measuredResidualMl),
                               FieldFormat.volume(r.discrepancyMl), r.discrepancyPct.map(FieldFormat.percent) ?? "", FieldFormat.volume(r.addedMl),
                               FieldFormat.concentration(r.concentrationMcgPerMl), f.time(r.nextRefillDue), r.flagged ? "true" : "false", r.site, r.eventID])
            }
        case .reservoir:
            let from = options.from
            let end = options.to.map { min($0, instant) } ?? instant
            try ReservoirSeries.days(effective: effective, projection: p, from: from, through: end) { d in
                try row(d.date, [f.time(d.date), FieldFormat.volume(d.volumeMl), FieldFormat.dose(d.dailyDoseMcg), FieldFormat.rate(d.rateMlPerDay), d.status])
            }
        case .adverseEvents:
            let byID = Self.dataByID(effective)
            for ae in p.adverseEvents {
                let description = byID[ae.eventID]?["description"]?.stringValue
                try row(ae.reportedAt, [ae.eventID, f.time(ae.reportedAt), ae.category, String(ae.grade), ae.serious ? "true" : "false",
                                        ae.relatedTo ?? "", privateText(description), f.time(ae.resolvedAt), ae.outcome ?? ""])
            }
        case .assessments:
            for a in p.assessments {
                try row(a.at, [f.time(a.at), a.ashworth ?? "", a.pennSpasmFrequency ?? "", a.dailyDoseMcg.map(FieldFormat.dose) ?? ""])
            }
        case .timeline, .alerts:
            break
        }
    }

    /// The (possibly amended) data of the effective events that carry it, by event id.
    static func dataByID(_ effective: [ProjectionEvent]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for e in effective { if let d = e.data { out[e.id] = d } }
        return out
    }

    /// The patient's first implant (corrections applied), whatever the as-of time: the origin of relative dates.
    static func firstImplant(_ effective: [ProjectionEvent]) -> Timestamp? {
        effective.first { e in
            let f = e.facts
            return (e.type == .pumpImplanted || e.type == .pumpReplaced)
                && f.reservoirMl != nil && f.concentrationMcgPerMl != nil && f.volumeMl != nil && f.dailyDoseMcg != nil
        }?.occurredAt
    }
}
