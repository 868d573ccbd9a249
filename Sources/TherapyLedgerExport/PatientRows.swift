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
                try row(a.raisedAt, [a.code, a.severity.rawValue, f.time(a.raisedAt), a.eventIDs.joined(separator: ";"), message])
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

/// How fields are written: fixed decimals, half away from zero; times as UTC text or relative days.
struct FieldFormat {
    let relativeTo: Timestamp?
    let relative: Bool

    init(relativeTo: Timestamp?, relative: Bool) {
        self.relativeTo = relativeTo
        self.relative = relative
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, or days since the first implant (4 decimals; empty when never implanted).
    func time(_ t: Timestamp?) -> String {
        guard let t else { return "" }
        guard relative else { return utc(t) }
        guard let origin = relativeTo else { return "" }
        return Rounding.fixed(Double(t.seconds - origin.seconds) / 86_400, decimals: 4)
    }

    /// The same text as ``Timestamp/iso8601`` (years 0-9999), built in one buffer without intermediate
    /// strings (civil date from days: H. Hinnant's algorithm, proleptic Gregorian).
    func utc(_ t: Timestamp) -> String {
        let s = t.seconds
        let days = s >= 0 ? s / 86_400 : (s - 86_399) / 86_400
        let secs = Int(s - days * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        let y = Int(yoe + era * 400 + (m <= 2 ? 1 : 0))
        guard (0...9999).contains(y) else { return t.iso8601 }
        return String(unsafeUninitializedCapacity: 20) { b in
            func two(_ v: Int, _ at: Int) {
                b[at] = 0x30 + UInt8(v / 10)
                b[at + 1] = 0x30 + UInt8(v % 10)
            }
            two(y / 100, 0); two(y % 100, 2); b[4] = 0x2D
            two(m, 5); b[7] = 0x2D
            two(d, 8); b[10] = 0x54
            two(secs / 3600, 11); b[13] = 0x3A
            two(secs % 3600 / 60, 14); b[16] = 0x3A
            two(secs % 60, 17); b[19] = 0x5A
            return 20
        }
    }

    static func volume(_ v: Double) -> String { Rounding.fixed(v, decimals: 2) }
    static func dose(_ v: Double) -> String { Rounding.fixed(v, decimals: 1) }
    static func rate(_ v: Double) -> String { Rounding.fixed(v, decimals: 4) }
    static func concentration(_ v: Double) -> String { Rounding.fixed(v, decimals: 2) }
    static func percent(_ v: Double) -> String { Rounding.fixed(v, decimals: 1) }

    /// Whether `text` quotes a calendar date (`NNNN-NN-NN`): such text is emptied under relative dates.
    static func quotesDate(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count >= 10 else { return false }
        func digit(_ i: Int) -> Bool { b[i] >= 0x30 && b[i] <= 0x39 }
        for i in 0...(b.count - 10)
        where digit(i) && digit(i + 1) && digit(i + 2) && digit(i + 3) && b[i + 4] == 0x2D && digit(i + 5) && digit(i + 6) && b[i + 7] == 0x2D
            && digit(i + 8) && digit(i + 9) {
            return true
        }
        return false
    }
}
