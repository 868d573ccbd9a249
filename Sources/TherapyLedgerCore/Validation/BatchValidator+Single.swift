extension BatchValidator {
    /// Validates one submission that has its own id exactly as ``validate(_:context:newID:alongside:)`` validates the
    /// batch of that one line: the same entry, the same errors in the same order (thrown as ``BatchRejected``), the
    /// same questions to `context`. It builds none of a batch's tables (``BatchFacts``, ``BatchChecker``): import
    /// checks every event it brings in this way, one at a time. A batch of one line defines nothing another line
    /// could use, so what remains of the batch rules is that the line's own id names the line itself.
    /// A submission without an id goes through the batch path, which gives it `newID()`.
    public static func validate(single s: Submission, line: Int, context: some LedgerContext, newID: () -> String) throws -> Entry {
        guard line >= 0, line < Int(UInt32.max) else { throw BatchInputTooLarge(line: line) }
        guard let id = s.id else {
            guard let entry = try validate([(line, s)], context: context, newID: newID).first else {
                throw BatchRejected(errors: [FieldError(line: line, field: "", message: "no events in the input")])
            }
            return entry
        }
        var check = SingleLineCheck(line: line, id: id, type: s.type, patient: s.patient)
        var submission = s
        var duplicate = false
        // Whether the line repeats an event already recorded (for an enrolment, whether it enrols). Content digests are
        // lowercase hex, which the batch's compact digests (``Digest32``) give back unchanged.
        if let known = try context.knownEvent(id) {
            if known.contentDigest == s.contentDigest(id: id) {
                duplicate = true
            } else {
                check.fail("id", "id \(id) is already recorded with different content: events are never edited, submit an event.corrected instead")
            }
        }
        if !duplicate { try check.references(&submission, context: context) }
        if !check.errors.isEmpty { throw BatchRejected(errors: check.errors) }
        return Entry(line: line, submission: submission, id: id, isDuplicate: duplicate)
    }
}

/// ``BatchChecker/checkReferences(line:_:id:)`` for a batch of one line with its own id: the batch holds only that
/// line, so a lookup finds the line itself or asks the ledger, the batch adds no pump or explant that these checks
/// read (the line is then not a pump or explant event), no line of it was refused, and its patient is enrolled by
/// the batch only when the line is that enrolment.
private struct SingleLineCheck {
    let line: Int
    let id: String
    let type: EventType
    let patient: String
    var errors: [FieldError] = []

    init(line: Int, id: String, type: EventType, patient: String) {
        self.line = line
        self.id = id
        self.type = type
        self.patient = patient
    }

    mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(line: line, field: field, message: message))
    }

    /// The type and patient of the line itself or of an event of the ledger.
    func lookup(_ ref: String, _ context: some LedgerContext) throws -> (type: EventType, patient: String)? {
        if ref == id { return (type, patient) }
        if let k = try context.knownEvent(ref) { return (k.type, k.patient) }
        return nil
    }

    mutating func references(_ s: inout Submission, context: some LedgerContext) throws {
        var unknownPatient = false
        if s.type == .patientEnrolled {
            if try context.isEnrolled(s.patient) {
                fail("patient", "patient \(s.patient) is already enrolled in this ledger: use event.corrected to amend the enrolment")
            }
        } else if !(try context.isEnrolled(s.patient)) {
            unknownPatient = true
            fail("patient", "unknown patient \(s.patient): no patient.enrolled for this id in the ledger or this batch (check the id for a typo)")
        }
        switch s.type {
        case .eventCorrected:
            guard let target = s.facts.ref else { break }
            if target == id {
                fail("data.target", "a correction cannot target itself")
            } else if let t = try lookup(target, context) {
                if t.patient != s.patient {
                    fail("data.target", "event \(target) belongs to another patient: a correction must name the target's patient")
                } else if s.facts.action == "amend" {
                    switch RecordedEvent.amendFacts(s, targetType: t.type, line: line) {
                    case .success(let f):
                        s.facts = f
                        // An amended refill must still fit the patient's reservoirs.
                        if t.type == .reservoirRefilled {
                            let capacity = (try context.pumps(of: s.patient)).map(\.reservoirMl).max()
                            for (field, v) in [("addedMl", f.volumeMl), ("residualMl", f.residualMl)] {
                                if let v, let capacity, v > capacity {
                                    fail("data.data.\(field)", "\(BatchValidator.fmt(v)) mL is more than the patient's largest reservoir (\(BatchValidator.fmt(capacity)) mL) holds")
                                }
                            }
                        }
                    case .failure(let e): errors += e.errors
                    }
                } else if t.type == .eventCorrected {
                    fail("data.target", "a correction cannot be voided: amend or void the original event instead")
                }
            } else {
                fail("data.target", "no event \(target) in the ledger or this batch: a correction must target a recorded event")
            }
        case .adverseEventResolved:
            guard let report = s.facts.ref else { break }
            if let t = try lookup(report, context) {
                if t.type != .adverseEventReported || t.patient != s.patient {
                    fail("data.report", "event \(report) is not an adverse-event.reported of patient \(s.patient)")
                }
            } else {
                fail("data.report", "no adverse-event report \(report) in the ledger or this batch")
            }
        case .conflictResolved:
            for (k, ref) in s.facts.refs.enumerated() {
                if let t = try lookup(ref, context) {
                    if t.patient != s.patient || !t.type.isDoseSetting {
                        fail("data.events[\(k)]", "event \(ref) is not a dose-setting event of patient \(s.patient)")
                    }
                } else {
                    fail("data.events[\(k)]", "no event \(ref) in the ledger or this batch")
                }
            }
        case .alertAcknowledged:
            for (k, ref) in s.facts.refs.enumerated() {
                if let t = try lookup(ref, context) {
                    if t.patient != s.patient {
                        fail("data.events[\(k)]", "event \(ref) belongs to another patient: acknowledge only the alerts of patient \(s.patient)")
                    }
                } else {
                    fail("data.events[\(k)]", "no event \(ref) in the ledger or this batch: list the alert's eventIds")
                }
            }
            if let until = s.facts.nextRefillDue, until <= s.occurredAt {
                fail("data.until", "until (\(until.iso8601)) must be after occurredAt (\(s.occurredAt.iso8601)): leave it out for an acknowledgement without end")
            }
        case .pumpInterrogated:
            let inPlace = (try context.pumps(of: s.patient)).filter { $0.at <= s.occurredAt }.max { $0.at < $1.at }
            let explanted = (try context.explants(of: s.patient)).filter { $0 <= s.occurredAt }.max()
            if inPlace == nil || (explanted.map { e in inPlace.map { e >= $0.at } ?? true } ?? false) {
                fail("occurredAt", "no pump is in place for patient \(s.patient) at this time: an interrogation needs an implanted pump; check the date")
            }
        case .reservoirRefilled, .doseProgrammed, .bolusDelivered:
            let inPlace = (try context.pumps(of: s.patient)).filter { $0.at <= s.occurredAt }.max { $0.at < $1.at }
            let explanted = (try context.explants(of: s.patient)).filter { $0 <= s.occurredAt }.max()
            if let explanted, inPlace.map({ explanted >= $0.at }) ?? true {
                fail("occurredAt", "the pump of patient \(s.patient) was explanted at \(explanted.iso8601), before this time: a \(s.type.rawValue) would have no effect; check the date")
                break
            }
            guard let pump = inPlace else {
                if unknownPatient && s.type != .reservoirRefilled { break }  // the unknown patient is the error
                // A programming or a bolus is delivered by the pump: without one it could not have happened (rule set 2).
                fail("occurredAt", "no pump is implanted for patient \(s.patient) at this time: a \(s.type.rawValue) needs an implanted pump; record pump.implanted first, or check the date")
                break
            }
            if s.type == .reservoirRefilled {
                if let added = s.facts.volumeMl, added > pump.reservoirMl {
                    fail("data.addedMl", "adding \(BatchValidator.fmt(added)) mL overfills the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir")
                }
                if let residual = s.facts.residualMl, residual > pump.reservoirMl {
                    fail("data.residualMl", "a residual of \(BatchValidator.fmt(residual)) mL is more than the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir holds")
                }
            } else if let low = s.facts.lowAlarmMl, low >= pump.reservoirMl {
                fail("data.lowAlarmMl", "the low-reservoir alarm volume must be below the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir")
            }
        default:
            break
        }
    }
}
