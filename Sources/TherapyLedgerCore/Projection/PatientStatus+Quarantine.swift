extension PatientStatus {
    /// This status with a critical `event-quarantined` alert for each quarantined event known at ``knownAt``.
    /// The alert is not acknowledged away: the quarantine lasts until the origin site corrects the event.
    public func with(quarantined: [ProjectionEvent]) -> PatientStatus {
        let shown = quarantined.filter { e in knownAt.map { e.recordedAt <= $0 } ?? true }
        guard !shown.isEmpty else { return self }
        var s = self
        s.alerts = (alerts + shown.map(Alert.quarantined)).sorted(by: Alert.urgency)
        return s
    }
}
