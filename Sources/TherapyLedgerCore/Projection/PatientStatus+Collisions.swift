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
