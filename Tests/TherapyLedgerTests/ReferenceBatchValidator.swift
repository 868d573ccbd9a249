import Foundation
@testable import TherapyLedgerCore

/// The whole-batch validator as it was before batches were streamed (one pass holding every line), kept as
/// the reference that the two-pass validator (``BatchFacts``, ``BatchChecker``) must agree with.
enum ReferenceBatchValidator {
    static func validate(jsonLines: [UInt8], context: some LedgerContext, now: Timestamp, newID: () -> String) throws -> [BatchValidator.Entry] {
        let lines = BatchValidator.splitLines(jsonLines)
        return try validate(parsed: lines.map { BatchValidator.parseLine($0.bytes, line: $0.line, now: now) }, context: context, newID: newID)
    }

    /// Validates lines parsed with ``parseLine(_:line:now:)`` as one batch. Lines that failed their own
    /// checks do not stop the checks against the ledger: every error of every line is reported at once.
    static func validate(
        parsed results: [Result<(line: Int, submission: Submission), BatchRejected>], context: some LedgerContext, newID: () -> String
    ) throws -> [BatchValidator.Entry] {
        var parsed: [(line: Int, submission: Submission)] = []
        var errors: [FieldError] = []
        var refused: [PartialSubmission] = []
        for r in results {
            switch r {
            case .success(let p): parsed.append(p)
            case .failure(let e):
                errors += e.errors
                if let p = e.partial { refused.append(p) }
            }
        }
        if parsed.isEmpty && errors.isEmpty { throw BatchRejected(errors: [FieldError(field: "", message: "no events in the input")]) }
        do {
            let entries = try validate(parsed, context: context, newID: newID, alongside: refused)
            if errors.isEmpty { return entries }
        } catch let rejected as BatchRejected {
            errors += rejected.errors
        }
        throw BatchRejected(errors: errors)
    }

    /// Validates already-parsed submissions as one batch. `refused` are the lines of the same batch that
    /// failed their own checks: they are checked against the ledger too (unknown patient), and what they
    /// meant to record (an enrolment, a pump, an event id) keeps the other lines from reporting errors
    /// that only follow from them.
    static func validate(
        _ parsed: [(line: Int, submission: Submission)], context: some LedgerContext, newID: () -> String,
        alongside refused: [PartialSubmission] = []
    ) throws -> [BatchValidator.Entry] {
        var errors: [FieldError] = []
        var entries: [BatchValidator.Entry] = []
        entries.reserveCapacity(parsed.count)
        var batchByID: [String: Int] = [:]  // id -> index in entries of its first occurrence
        var batchEnrolled: [String: Int] = [:]
        var batchPumps: [String: [(at: Timestamp, reservoirMl: Double)]] = [:]
        var batchExplants: [String: [Timestamp]] = [:]

        // Pass 1: ids, duplicates, what the batch itself defines.
        for (line, s) in parsed {
            let id = s.id ?? newID()
            var dup = false
            if let first = batchByID[id] {
                if entries[first].submission.contentDigest(id: id) == s.contentDigest(id: id) {
                    dup = true
                } else {
                    errors.append(FieldError(line: line, field: "id", message: "id \(id) is used on line \(entries[first].line) for different content: give each event its own id"))
                }
            } else if s.id != nil, let known = try context.knownEvent(id) {
                if known.contentDigest == s.contentDigest(id: id) {
                    dup = true
                } else {
                    errors.append(FieldError(line: line, field: "id", message: "id \(id) is already recorded with different content: events are never edited, submit an event.corrected instead"))
                }
            }
            if batchByID[id] == nil { batchByID[id] = entries.count }
            entries.append(BatchValidator.Entry(line: line, submission: s, id: id, isDuplicate: dup))
            if dup { continue }
            if s.type == .patientEnrolled {
                if let other = batchEnrolled[s.patient] {
                    errors.append(FieldError(line: line, field: "patient", message: "patient \(s.patient) is enrolled twice in this batch (also line \(entries[other].line))"))
                } else {
                    batchEnrolled[s.patient] = entries.count - 1
                }
            }
            if s.type == .pumpImplanted || s.type == .pumpReplaced, let r = s.facts.reservoirMl {
                batchPumps[s.patient, default: []].append((s.occurredAt, r))
            }
            if s.type == .pumpExplanted { batchExplants[s.patient, default: []].append(s.occurredAt) }
        }

        // Lines refused on their own: what they would have defined, and their own ledger checks.
        var refusedIDs: Set<String> = []
        var refusedPumps: [String: [Timestamp?]] = [:]
        for r in refused {
            if let id = r.id { refusedIDs.insert(id) }
            guard let patient = r.patient, let type = r.type else { continue }
            switch type {
            case .patientEnrolled:
                if batchEnrolled[patient] == nil { batchEnrolled[patient] = -1 }
            case .pumpImplanted, .pumpReplaced:
                refusedPumps[patient, default: []].append(r.occurredAt)
            case .pumpExplanted:
                if let at = r.occurredAt { batchExplants[patient, default: []].append(at) }
            default:
                break
            }
        }
        for r in refused {
            guard let patient = r.patient, let type = r.type else { continue }
            if type == .patientEnrolled {
                if try context.isEnrolled(patient) {
                    errors.append(FieldError(line: r.line, field: "patient", message: "patient \(patient) is already enrolled in this ledger: use event.corrected to amend the enrolment"))
                }
            } else if batchEnrolled[patient] == nil, !(try context.isEnrolled(patient)) {
                errors.append(FieldError(line: r.line, field: "patient", message: "unknown patient \(patient): no patient.enrolled for this id in the ledger or this batch (check the id for a typo)"))
            }
            // A refill's volumes against the reservoir in place, when the line says when and that pump is known.
            if type == .reservoirRefilled, let at = r.occurredAt, !(refusedPumps[patient] ?? []).contains(where: { $0.map { $0 <= at } ?? true }),
               let pump = ((try context.pumps(of: patient)) + (batchPumps[patient] ?? [])).filter({ $0.at <= at }).max(by: { $0.at < $1.at }) {
                if let added = r.volumes["addedMl"], added > pump.reservoirMl, !r.invalidFields.contains("data.addedMl") {
                    errors.append(FieldError(line: r.line, field: "data.addedMl", message: "adding \(BatchValidator.fmt(added)) mL overfills the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir"))
                }
                if let residual = r.volumes["residualMl"], residual > pump.reservoirMl, !r.invalidFields.contains("data.residualMl") {
                    errors.append(FieldError(line: r.line, field: "data.residualMl", message: "a residual of \(BatchValidator.fmt(residual)) mL is more than the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir holds"))
                }
            }
        }

        // Pass 2: references between events.
        func lookup(_ id: String) throws -> (type: EventType, patient: String)? {
            if let i = batchByID[id] { return (entries[i].submission.type, entries[i].submission.patient) }
            if let k = try context.knownEvent(id) { return (k.type, k.patient) }
            return nil
        }
        var enrolledCache: [String: Bool] = [:]
        for i in entries.indices where !entries[i].isDuplicate {
            let s = entries[i].submission
            let line = entries[i].line
            var unknownPatient = false
            if s.type == .patientEnrolled {
                if try context.isEnrolled(s.patient) {
                    errors.append(FieldError(line: line, field: "patient", message: "patient \(s.patient) is already enrolled in this ledger: use event.corrected to amend the enrolment"))
                }
            } else if batchEnrolled[s.patient] == nil {
                let known: Bool
                if let c = enrolledCache[s.patient] { known = c } else { known = try context.isEnrolled(s.patient); enrolledCache[s.patient] = known }
                if !known {
                    unknownPatient = true
                    errors.append(FieldError(line: line, field: "patient", message: "unknown patient \(s.patient): no patient.enrolled for this id in the ledger or this batch (check the id for a typo)"))
                }
            }
            switch s.type {
            case .eventCorrected:
                guard let target = s.facts.ref else { break }
                if refusedIDs.contains(target) && batchByID[target] == nil {
                    break  // the target's own line was refused: its errors are reported there
                } else if target == entries[i].id {
                    errors.append(FieldError(line: line, field: "data.target", message: "a correction cannot target itself"))
                } else if let t = try lookup(target) {
                    if t.patient != s.patient {
                        errors.append(FieldError(line: line, field: "data.target", message: "event \(target) belongs to another patient: a correction must name the target's patient"))
                    } else if s.facts.action == "amend" {
                        switch RecordedEvent.amendFacts(s, targetType: t.type, line: line) {
                        case .success(let f):
                            entries[i].submission.facts = f
                            // An amended refill must still fit the patient's reservoirs.
                            if t.type == .reservoirRefilled {
                                let capacity = ((try context.pumps(of: s.patient)) + (batchPumps[s.patient] ?? [])).map(\.reservoirMl).max()
                                for (field, v) in [("addedMl", f.volumeMl), ("residualMl", f.residualMl)] {
                                    if let v, let capacity, v > capacity {
                                        errors.append(FieldError(line: line, field: "data.data.\(field)", message: "\(BatchValidator.fmt(v)) mL is more than the patient's largest reservoir (\(BatchValidator.fmt(capacity)) mL) holds"))
                                    }
                                }
                            }
                        case .failure(let e): errors += e.errors
                        }
                    } else if t.type == .eventCorrected {
                        errors.append(FieldError(line: line, field: "data.target", message: "a correction cannot be voided: amend or void the original event instead"))
                    }
                } else {
                    errors.append(FieldError(line: line, field: "data.target", message: "no event \(target) in the ledger or this batch: a correction must target a recorded event"))
                }
            case .adverseEventResolved:
                guard let report = s.facts.ref, !(refusedIDs.contains(report) && batchByID[report] == nil) else { break }
                if let t = try lookup(report) {
                    if t.type != .adverseEventReported || t.patient != s.patient {
                        errors.append(FieldError(line: line, field: "data.report", message: "event \(report) is not an adverse-event.reported of patient \(s.patient)"))
                    }
                } else {
                    errors.append(FieldError(line: line, field: "data.report", message: "no adverse-event report \(report) in the ledger or this batch"))
                }
            case .conflictResolved:
                for (k, ref) in s.facts.refs.enumerated() where !(refusedIDs.contains(ref) && batchByID[ref] == nil) {
                    if let t = try lookup(ref) {
                        if t.patient != s.patient || !t.type.isDoseSetting {
                            errors.append(FieldError(line: line, field: "data.events[\(k)]", message: "event \(ref) is not a dose-setting event of patient \(s.patient)"))
                        }
                    } else {
                        errors.append(FieldError(line: line, field: "data.events[\(k)]", message: "no event \(ref) in the ledger or this batch"))
                    }
                }
            case .alertAcknowledged:
                for (k, ref) in s.facts.refs.enumerated() {
                    if let t = try lookup(ref) {
                        if t.patient != s.patient {
                            errors.append(FieldError(line: line, field: "data.events[\(k)]", message: "event \(ref) belongs to another patient: acknowledge only the alerts of patient \(s.patient)"))
                        }
                    } else {
                        errors.append(FieldError(line: line, field: "data.events[\(k)]", message: "no event \(ref) in the ledger or this batch: list the alert's eventIds"))
                    }
                }
                if let until = s.facts.nextRefillDue, until <= s.occurredAt {
                    errors.append(FieldError(line: line, field: "data.until", message: "until (\(until.iso8601)) must be after occurredAt (\(s.occurredAt.iso8601)): leave it out for an acknowledgement without end"))
                }
            case .pumpInterrogated:
                let pumps = (try context.pumps(of: s.patient)) + (batchPumps[s.patient] ?? [])
                let inPlace = pumps.filter { $0.at <= s.occurredAt }.max { $0.at < $1.at }
                let explanted = ((try context.explants(of: s.patient)) + (batchExplants[s.patient] ?? [])).filter { $0 <= s.occurredAt }.max()
                if inPlace == nil || (explanted.map { e in inPlace.map { e >= $0.at } ?? true } ?? false) {
                    errors.append(FieldError(line: line, field: "occurredAt", message: "no pump is in place for patient \(s.patient) at this time: an interrogation needs an implanted pump; check the date"))
                }
            case .reservoirRefilled, .doseProgrammed, .bolusDelivered:
                let pumps = (try context.pumps(of: s.patient)) + (batchPumps[s.patient] ?? [])
                let inPlace = pumps.filter { $0.at <= s.occurredAt }.max { $0.at < $1.at }
                // A refused pump line of this patient at or before this time may be the one in place: its
                // capacity is unknown, so the checks against it wait until that line is fixed.
                if (refusedPumps[s.patient] ?? []).contains(where: { $0.map { $0 <= s.occurredAt && $0 >= (inPlace?.at ?? $0) } ?? true }) { break }
                let explanted = ((try context.explants(of: s.patient)) + (batchExplants[s.patient] ?? [])).filter { $0 <= s.occurredAt }.max()
                if let explanted, inPlace.map({ explanted >= $0.at }) ?? true {
                    errors.append(FieldError(line: line, field: "occurredAt", message: "the pump of patient \(s.patient) was explanted at \(explanted.iso8601), before this time: a \(s.type.rawValue) would have no effect; check the date"))
                    break
                }
                guard let pump = inPlace else {
                    if unknownPatient && s.type != .reservoirRefilled { break }  // the unknown patient is the error
                    // A programming or a bolus is delivered by the pump: without one it could not have happened (rule set 2).
                    errors.append(FieldError(line: line, field: "occurredAt", message: "no pump is implanted for patient \(s.patient) at this time: a \(s.type.rawValue) needs an implanted pump; record pump.implanted first, or check the date"))
                    break
                }
                if s.type == .reservoirRefilled {
                    if let added = s.facts.volumeMl, added > pump.reservoirMl {
                        errors.append(FieldError(line: line, field: "data.addedMl", message: "adding \(BatchValidator.fmt(added)) mL overfills the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir"))
                    }
                    if let residual = s.facts.residualMl, residual > pump.reservoirMl {
                        errors.append(FieldError(line: line, field: "data.residualMl", message: "a residual of \(BatchValidator.fmt(residual)) mL is more than the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir holds"))
                    }
                } else if let low = s.facts.lowAlarmMl, low >= pump.reservoirMl {
                    errors.append(FieldError(line: line, field: "data.lowAlarmMl", message: "the low-reservoir alarm volume must be below the \(BatchValidator.fmt(pump.reservoirMl)) mL reservoir"))
                }
            default:
                break
            }
        }
        if !errors.isEmpty { throw BatchRejected(errors: errors) }
        return entries
    }

}
