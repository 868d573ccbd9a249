extension BatchChecker {
    /// The type and patient of an event of the batch or the ledger.
    func lookup(_ id: String) throws -> (type: EventType, patient: String)? {
        if let i = facts.ids.find(id) {
            let e = facts.ids.entries[i]
            if let type = EventType(code: Int(e.type)) { return (type, facts.patient(e.patient)) }
        }
        if let k = try context.knownEvent(id) { return (k.type, k.patient) }
        return nil
    }

    /// A new line's checks against the ledger and the batch: its patient, the events it refers to, the pump in
    /// place. An amend's facts are filled in (`s.facts`).
    mutating func checkReferences(line: Int, _ s: inout Submission, id: String) throws {
        let patient = facts.patientIndex[s.patient]
        var unknownPatient = false
        if s.type == .patientEnrolled {
            if try context.isEnrolled(s.patient) {
                fail(line, "patient", "patient \(s.patient) is already enrolled in this ledger: use event.corrected to amend the enrolment")
            }
        } else if patient.flatMap({ batchEnrolled[$0] }) == nil {
            let known: Bool
            if let p = patient, let c = enrolledCache[p] { known = c } else { known = try context.isEnrolled(s.patient); if let p = patient { enrolledCache[p] = known } }
            if !known {
                unknownPatient = true
                fail(line, "patient", "unknown patient \(s.patient): no patient.enrolled for this id in the ledger or this batch (check the id for a typo)")
            }
        }
        switch s.type {
        case .eventCorrected:
            guard let target = s.facts.ref else { break }
            if refusedIDs.contains(target) && facts.ids.find(target) == nil {
                break  // the target's own line was refused: its errors are reported there
            } else if target == id {
                fail(line, "data.target", "a correction cannot target itself")
            } else if let t = try lookup(target) {
                if t.patient != s.patient {
                    fail(line, "data.target", "event \(target) belongs to another patient: a correction must name the target's patient")
                } else if s.facts.action == "amend" {
                    switch RecordedEvent.amendFacts(s, targetType: t.type, line: line) {
                    case .success(let f):
                        s.facts = f
                        // An amended refill must still fit the patient's reservoirs.
                        if t.type == .reservoirRefilled {
                            let capacity = ((try context.pumps(of: s.patient)) + batchPumps(patient)).map(\.reservoirMl).max()
                            for (field, v) in [("addedMl", f.volumeMl), ("residualMl", f.residualMl)] {
                                if let v, let capacity, v > capacity {
                                    fail(line, "data.data.\(field)", "\(BatchValidator.fmt(v)) mL is more than the patient's largest reservoir (\(BatchValidator.fmt(capacity)) mL) holds")
                                }
                            }
                        }
                    case .failure(let e): errors += e.errors
                    }
                } else if t.type == .eventCorrected {
                    fail(line, "data.target", "a correction cannot be voided: amend or void the original event instead")
                }
            } else {
                fail(line, "data.target", "no event \(target) in the ledger or this batch: a correction must target a recorded event")
            }
        case .adverseEventResolved:
            guard let report = s.facts.ref, !(refusedIDs.contains(report) && facts.ids.find(report) == nil) else { break }
            if let t = try lookup(report) {
                if t.type != .adverseEventReported || t.patient != s.patient {
                    fail(line, "data.report", "event \(report) is not an adverse-event.reported of patient \(s.patient)")
                }
            } else {
                fail(line, "data.report", "no adverse-event report \(report) in the ledger or this batch")
            }
        case .conflictResolved:
            for (k, ref) in s.facts.refs.enumerated() where !(refusedIDs.contains(ref) && facts.ids.find(ref) == nil) {
                if let t = try lookup(ref) {
                    if t.patient != s.patient || !t.type.isDoseSetting {
                        fail(line, "data.events[\(k)]", "event \(ref) is not a dose-setting event of patient \(s.patient)")
                    }
                } else {
                    fail(line, "data.events[\(k)]", "no event \(ref) in the ledger or this batch")
                }
            }
        case .alertAcknowledged:
            for (k, ref) in s.facts.refs.enumerated() {
                if let t = try lookup(ref) {
                    if t.patient != s.patient {
                        fail(line, "data.events[\(k)]", "event \(ref) belongs to another patient: acknowledge only the alerts of patient \(s.patient)")
                    }
                } else {
                    fail(line, "data.events[\(k)]", "no event \(ref) in the ledger or this batch: list the alert's eventIds")
                }
            }
            if let until = s.facts.nextRefillDue, until <= s.occurredAt {
                fail(line, "data.until", "until (\(until.iso8601)) must be after occurredAt (\(s.occurredAt.iso8601)): leave it out for an acknowledgement without end")
            }
        case .pumpInterrogated:
            let pumps = (try context.pumps(of: s.patient)) + batchPumps(patient)
            let inPlace = pumps.filter { $0.at <= s.occurredAt }.max { $0.at < $1.at }
            let explanted = ((try context.explants(of: s.patient)) + batchExplants(patient)).filter { $0 <= s.occurredAt }.max()
            if inPlace == nil || (explanted.map { e in inPlace.map { e >= $0.at } ?? true } ?? false) {
                fail(line, "occurredAt", "no pump is in place for patient \(s.patient) at this time: an interrogation needs an implanted pump; check the date")
            }
        case .reservoirRefilled, .doseProgrammed, .bolusDelivered:
            let pumps = (try context.pumps(of: s.patient)) + batchPumps(patient)
            let inPlace = pumps.filter { $0.at <= s.occurredAt }.max { $0.at < $1.at }
            // A refused pump line of this patient at or before this time may be the one in place: its
            // capacity is unknown, so the checks against it wait until that line is fixed.
            if (patient.flatMap { refusedPumps[$0] } ?? []).contains(where: { $0.map { $0 <= s.occurredAt && $0 >= (inPlace?.at ?? $0) } ?? true }) { break }
            let explanted = ((try context.explants(of: s.patient)) + batchExplants(patient)).filter { $0 <= s.occurredAt }.max()
            if let explanted, inPlace.map({ explanted >= $0.at }) ?? true {
                fail(line, "occurredAt", "the pump of patient \(s.patient) was explanted at \(explanted.iso8601), before this time: a \(s.type.rawValue) would have no effect; check the date")
                break
            }
            guard let pump = inPlace else {
                if unknownPatient && s.type != .reservoirRefilled { break }  // the unknown patient is the error
                // A programming or a bolus is delivered by the pump: without one it could not have happened (rule set 2).
                fail(line, "occurredAt", "no pump is implanted for patient \(s.patient) at this time: a \(s.type.rawValue) needs an implanted pump; record pump.implanted first, or check the date")
                break
            }
            if s.type == .reservoirRefilled {
                if let added = s.facts.volumeMl, added > pump.reservoirMl {
                    fail(line, "data.addedMl", "adding \(BatchValidator.fmt(added)) mL overfills the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir")
                }
                if let residual = s.facts.residualMl, residual > pump.reservoirMl {
                    fail(line, "data.residualMl", "a residual of \(BatchValidator.fmt(residual)) mL is more than the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir holds")
                }
            } else if let low = s.facts.lowAlarmMl, low >= pump.reservoirMl {
                fail(line, "data.lowAlarmMl", "the low-reservoir alarm volume must be below the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir")
            }
        default:
            break
        }
    }
}
