extension PatientStatus {
    /// Adds an `id-collision` alert for each id that several of the patient's events share (events up to
    /// `asOf` only), then re-sorts the alerts by urgency. See ``EffectiveEvents`` for the rule.
    mutating func addCollisionAlerts(_ collisions: [EffectiveEvents.Collision], asOf: Timestamp) {
        var added = false
        for c in collisions {
            let events = c.events.filter { $0.occurredAt <= asOf }
            guard events.count > 1, let first = events.first, let raisedAt = events.map(\.occurredAt).max() else { continue }
            let keys = events.map(EffectiveEvents.key).joined(separator: ", ")
            let message: String
            if c.identical {
                message = "event id \(c.id) was recorded at several sites (\(keys)) for the same submission: it counts once, as \(EffectiveEvents.key(first)); the others are shown as duplicate"
            } else {
                message = "event id \(c.id) names different events at several sites (\(keys)): all of them count; a correction naming \(c.id) applies to the one of its own site, else to \(EffectiveEvents.key(first)). Check them, and void the wrong one from the site that recorded it"
            }
            alerts.append(Alert(code: "id-collision", severity: c.identical ? .info : .warning, eventIDs: [c.id], message: message, raisedAt: raisedAt))
            added = true
        }
        if added { alerts.sort(by: Alert.urgency) }
    }
}

/// An event of this patient whose id an event of another patient shares (from another site).
public struct ForeignIDCollision: Sendable, Hashable {
    public var id: String
    /// This patient's event (`site:seq`) and when it occurred.
    public var event: String
    public var occurredAt: Timestamp
    /// The other patients' events with that id (`site:seq`), never their patient ids.
    public var others: [String]

    public init(id: String, event: String, occurredAt: Timestamp, others: [String]) {
        self.id = id
        self.event = event
        self.occurredAt = occurredAt
        self.others = others
    }
}

extension PatientStatus {
    /// Adds an `id-collision` alert for each of this patient's events (up to `asOf`) whose id is shared by
    /// events of other patients: each counts for its own patient, but the id no longer names one event.
    public mutating func addForeignCollisionAlerts(_ collisions: [ForeignIDCollision]) {
        var added = false
        for c in collisions where c.occurredAt <= asOf {
            alerts.append(Alert(code: "id-collision", severity: .warning, eventIDs: [c.id],
                                message: "event id \(c.id) (\(c.event)) is also the id of another patient's event (\(c.others.joined(separator: ", "))), recorded at another site: both are kept and each counts for its own patient; ids must be unique, so check the client that sent them",
                                raisedAt: c.occurredAt))
            added = true
        }
        if added { alerts.sort(by: Alert.urgency) }
    }
}
