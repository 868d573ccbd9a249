/// The projections of one patient, as pure functions of the patient's recorded events.
///
/// `asOf` is clinical time: events that occurred after it are not folded, but corrections apply at
/// every as-of time. `knownAt` is ledger time: events recorded after it are ignored entirely
/// ("what did the ledger show then").
public enum Projector {
    /// The events that count at `knownAt` (recorded at or before it).
    public static func known(_ events: [ProjectionEvent], at knownAt: Timestamp?) -> [ProjectionEvent] {
        guard let knownAt else { return events }
        return events.filter { $0.recordedAt <= knownAt }
    }

    /// The patient's status at `asOf`.
    public static func status(patient: String, events: [ProjectionEvent], asOf: Timestamp, knownAt: Timestamp?) -> PatientStatus {
        let (projection, conflicts, effective) = Self.projection(patient: patient, events: events, knownAt: knownAt, asOf: asOf)
        var status = PatientStatus(projection: projection, conflicts: conflicts, asOf: asOf, knownAt: knownAt)
        status.addCollisionAlerts(effective.collisions, asOf: asOf)
        return status.with(quarantined: effective.quarantined)
    }

    /// The full projection (every event folded) and conflicts: what the store keeps per patient.
    public static func projection(patient: String, events: [ProjectionEvent], knownAt: Timestamp? = nil, asOf: Timestamp? = nil) -> (PatientProjection, [ConflictRecord], EffectiveEvents) {
        let effective = EffectiveEvents(known(events, at: knownAt))
        let projection = PatientFold.fold(patient: patient, effective: effective.events, asOf: asOf)
        let conflicts = ConflictDetector.conflicts(in: effective.distinct, status: effective.status, asOf: asOf)
        return (projection, conflicts, effective)
    }

    /// The stored projection of a patient: its status evaluated at its last event's time, as canonical JSON.
    /// Deterministic: no wall clock enters it.
    public static func storedProjection(patient: String, events: [ProjectionEvent]) -> [UInt8] {
        let (projection, conflicts, effective) = Self.projection(patient: patient, events: events)
        let at = projection.lastEventAt ?? Timestamp(seconds: 0)
        var status = PatientStatus(projection: projection, conflicts: conflicts, asOf: at, knownAt: nil)
        status.addCollisionAlerts(effective.collisions, asOf: at)
        status = status.with(quarantined: effective.quarantined)
        return CanonicalJSON.encode(status.json)
    }

    /// The patient's timeline up to `asOf`: every recorded event (corrections included) in clinical order.
    public static func timeline(events: [ProjectionEvent], asOf: Timestamp?, knownAt: Timestamp?) -> [TimelineEntry] {
        let effective = EffectiveEvents(known(events, at: knownAt))
        let conflicts = ConflictDetector.conflicts(in: effective.distinct, status: effective.status, asOf: asOf)
        var byEvent: [String: [String]] = [:]
        for c in conflicts { for id in c.eventIDs { byEvent[id, default: []].append(c.id) } }
        // An amended event reads with its effective values (and what was recorded); a refill that found the
        // reservoir dry says so. Both come from the effective events folded up to asOf (past only).
        var amended: [String: ProjectionEvent] = [:]
        for e in effective.events where effective.status(of: e) == .amended { amended[EffectiveEvents.key(e)] = e }
        var notes: [String: String] = [:]
        if effective.events.contains(where: { $0.type == .reservoirRefilled }) {
            let folded = PatientFold.fold(patient: effective.events.first?.patient ?? "", effective: effective.events, asOf: asOf)
            for r in folded.refills where r.ranDry {
                notes[r.eventID] = r.dryFrom.map { "; ran dry from \($0.iso8601) (projected empty) to this refill" }
                    ?? "; ran dry (measured residual 0 while \(fmtVol(r.expectedResidualMl)) mL were expected): when it emptied is unknown"
            }
        }
        return effective.all.compactMap { e in
            if let asOf, e.occurredAt > asOf { return nil }
            var summary = EventSummary.of(e)
            if let effective = amended[EffectiveEvents.key(e)] {
                let now = EventSummary.of(effective)
                summary = now == summary ? now + " (amended)" : now + " (amended; recorded as: " + summary + ")"
            }
            if let note = notes[e.id] { summary += note }
            return TimelineEntry(event: e, summary: summary, status: effective.status(of: e),
                                 correctedBy: effective.decidingCorrection(of: e), conflicts: byEvent[e.id] ?? [])
        }
    }
}
