import Crypto

/// The one-scan path of ``RecordedEvent/decode(_:targetType:)``: reads the members of a recorded event in
/// their one canonical order, checking canonical form as it goes (``CanonicalScanner``), and validates them
/// with the same rules as the reference path, without a dictionary of the envelope, without re-encoding,
/// and with the content digest hashed from the scanned bytes.
///
/// It accepts only what the reference path accepts, with the same result; for anything else (not canonical,
/// a member missing or unknown, a field the rules refuse, a note that only the reference path words) it
/// returns nil and the reference path decides, with its own error message.
enum RecordedEventDecoder {
    static func decode(_ bytes: [UInt8], targetType: (String) -> EventType?) -> RecordedEvent? {
        bytes.withUnsafeBufferPointer { b -> RecordedEvent? in
            var s = CanonicalScanner(b)
            guard s.expect("{\"author\":"), let author = s.string(), Identifiers.isAuthorID(author) else { return nil }
            let run1 = s.index
            guard s.expect(",\"clock\":"), s.peek == UInt8(ascii: "{"), let clockValue = s.value(depth: 1),
                  let clock = VectorClock(json: clockValue) else { return nil }
            let run2Start = s.index
            guard s.expect(",\"data\":"), let data = s.value(depth: 1), data != .null else { return nil }
            let run2End = s.index
            var attributed = false
            if s.expect(",\"format\":") {
                guard s.expect("2"), s.peek == UInt8(ascii: ",") else { return nil }
                attributed = true
            }
            let run3Start = s.index
            guard s.expect(",\"id\":"), let id = s.string(), Identifiers.isUUID(id), !id.utf8.contains(where: { (65...90).contains($0) }) else { return nil }
            guard s.expect(",\"occurredAt\":"), let occurredText = s.string(), let occurredAt = Timestamp.parse(occurredText),
                  occurredAt.iso8601 == occurredText else { return nil }
            guard s.expect(",\"patient\":"), let patient = s.string(), Identifiers.isPatientID(patient) else { return nil }
            let run3End = s.index
            guard s.expect(",\"prev\":"), let prev = s.string(), prev.utf8.count == 64, ChainHash.isHex(prev) else { return nil }
            let run4Start = s.index
            var reason: String?
            if s.expect(",\"reason\":") {
                guard let r = s.string(), !r.isEmpty, r.unicodeScalars.count <= 2000, !r.utf8.contains(0) else { return nil }
                reason = r
            }
            let run4End = s.index
            guard s.expect(",\"recordedAt\":"), let recordedText = s.string(), let recordedAt = Timestamp.parseRecordedUTC(recordedText),
                  recordedAt.iso8601 == recordedText else { return nil }
            var recordedBy: String?
            if attributed {
                guard s.expect(",\"recordedBy\":"), let by = s.string(), RecordedEvent.isRecorderName(by) else { return nil }
                recordedBy = by
            }
            var rules = 1
            if s.expect(",\"rules\":") {
                guard let n = s.number(), n >= 2, n == n.rounded(), n < 1e6, RuleSet.known.contains(Int(n)) else { return nil }
                rules = Int(n)
            }
            guard s.expect(",\"seq\":"), let seqNumber = s.number(), let seq = JSONValue.number(seqNumber).integer(in: IntegerLimits.seq) else { return nil }
            guard s.expect(",\"site\":"), let site = s.string(), Identifiers.isSiteName(site), clock[site] == seq else { return nil }
            let run5Start = s.index
            guard s.expect(",\"type\":"), let typeName = s.string(), let type = EventType.named(typeName), s.expect("}"),
                  s.index == b.count else { return nil }
            if type.requiresReason && reason == nil { return nil }

            var notes: [FieldError] = []
            guard case .success(var facts) = DataValidator.validate(type, data: data, line: nil, rules: rules, notes: &notes) else { return nil }
            let submission = Submission(id: id, type: type, patient: patient, occurredAt: occurredAt, author: author, reason: reason,
                                        data: data, facts: facts)
            var amendNotes: [String] = []
            if type == .eventCorrected, facts.action == "amend", let target = facts.ref {
                if let t = targetType(target) {
                    switch RecordedEvent.amendFacts(submission, targetType: t, rules: rules, notes: &notes) {
                    case .success(let f): facts = f
                    case .failure(let e): amendNotes = e.errors.map { "the amend cannot apply to its target: \($0.description)" }
                    }
                } else {
                    amendNotes = ["the amend's target \(target) is not in the ledger"]
                }
            }
            var digest = SHA256()
            let raw = UnsafeRawBufferPointer(b)
            digest.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[0..<run1]))
            digest.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[run2Start..<run2End]))
            digest.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[run3Start..<run3End]))
            digest.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[run4Start..<run4End]))
            digest.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[run5Start..<raw.count]))
            return RecordedEvent(
                id: id, type: type, patient: patient, occurredAt: occurredAt, author: author, reason: reason, data: data, site: site, seq: seq,
                recordedAt: recordedAt, clock: clock, prev: prev, hash: ChainHash.eventHash(prev: prev, canonical: bytes), canonical: bytes,
                facts: facts, contentDigest: digest.finalize().withUnsafeBytes { ChainHash.hex($0) }, rules: rules,
                ruleNotes: notes.map { "rule set \(RuleSet.current) would refuse it (recorded under rule set \(rules)): \($0.description)" } + amendNotes,
                recordedBy: recordedBy)
        }
    }
}
