/// Validates the `data` object of each event type and derives its ``EventFacts``.
///
/// The rules here and the JSON Schemas in `schemas/data/` describe the same contract; a test checks
/// that both accept and refuse the same table of submissions. Clinical limits (see `docs/clinical-model.md`):
/// daily doses above 0 and at most 3000 mcg/day; volumes and concentrations positive; a fill at most
/// the reservoir; a measured residual of 0 is allowed (the reservoir ran dry).
public enum DataValidator {
    /// The most a daily dose or a single bolus may be, in mcg.
    public static let maxDoseMcg = 3000.0
    /// The largest reservoir the ledger accepts, in mL (pumps hold 20 or 40 mL).
    public static let maxReservoirMl = 100.0
    /// The largest concentration accepted, in mcg/mL (labels go to 2000; compounded up to 4000).
    public static let maxConcentrationMcgPerMl = 10_000.0

    /// The clinical ranges of rule set 2 (see ``RuleSet``; documented in `docs/clinical-model.md` and the README).
    /// Together they keep every derived quantity finite: a rate (dose / concentration) lies between 0.0001 and
    /// 300 mL/day, so no projected time or volume can overflow.
    public enum Clinical {
        /// A daily dose, in mcg/day.
        public static let dailyDoseMcg: ClosedRange<Double> = 1...3000
        /// A bolus or trial dose, in mcg.
        public static let bolusMcg: ClosedRange<Double> = 1...3000
        /// A drug concentration, in mcg/mL (the weakest screening solution is 50; compounded up to 4000).
        public static let concentrationMcgPerMl: ClosedRange<Double> = 10...10_000
        /// A reservoir's capacity, in mL (pumps hold 10 to 40).
        public static let reservoirMl: ClosedRange<Double> = 1...100
        /// A fill or an added volume, in mL (at least what the output's 0.01 mL can show).
        public static let addedMl: ClosedRange<Double> = 0.01...100
    }

    /// Indications accepted at enrolment.
    public static let indications = ["spinal-cord-injury", "multiple-sclerosis", "cerebral-palsy", "brain-injury", "other"]
    /// Ashworth scores.
    public static let ashworthScores = ["0", "1", "1+", "2", "3", "4"]
    /// Adverse-event categories.
    public static let adverseEventCategories = ["withdrawal", "overdose", "infection", "catheter-malfunction", "pump-malfunction", "csf-leak", "pocket-fill", "other"]

    /// What a pump interrogation may report (`pump.interrogated`, `finding`).
    public static let interrogationFindings = ["no-alarm", "low-reservoir-alarm", "elective-replacement-indicator", "critical-alarm", "motor-stall", "end-of-service"]

    /// Validates `data` for `type`. `path` prefixes field names in errors (`data`, or `data.data` for an amend).
    public static func validate(_ type: EventType, data: JSONValue?, path: String = "data", line: Int? = nil) -> Result<EventFacts, BatchRejected> {
        var notes: [FieldError] = []
        return validate(type, data: data, path: path, line: line, rules: RuleSet.current, notes: &notes)
    }

    /// Validates `data` for `type` by the rules of rule set `rules`; what newer rules would refuse is added to `notes`.
    public static func validate(_ type: EventType, data: JSONValue?, path: String = "data", line: Int? = nil, rules: Int,
                                notes: inout [FieldError]) -> Result<EventFacts, BatchRejected> {
        let object: [String: JSONValue]
        switch data {
        case .none, .some(.null): object = [:]
        case .some(.object(let o)): object = o
        case .some(let other):
            return .failure(BatchRejected(errors: [FieldError(line: line, field: path, message: "expected an object, got \(other.typeName)")]))
        }
        var r = FieldReader(object, path: path, line: line)
        r.rules = rules
        defer { notes += r.notes }
        r.schemaType = type
        var f = EventFacts()
        switch type {
        case .patientEnrolled:
            f.label = r.oneOf("indication", required: true, indications)
            f.label2 = r.oneOf("origin", required: true, ["spinal", "cerebral"])
            _ = r.integer("birthYear", required: false, range: 1900...2100)
        case .trialPerformed:
            f.bolusMcg = r.number("bolusMcg", required: true, min: 0, exclusiveMin: true, max: maxDoseMcg, unit: "mcg", clinical: Clinical.bolusMcg)
            f.label = r.oneOf("response", required: true, ["positive", "negative", "equivocal"])
        case .pumpImplanted, .pumpReplaced:
            readPump(&r, &f)
        case .doseProgrammed:
            f.dailyDoseMcg = r.number("dailyDoseMcg", required: true, min: 0, exclusiveMin: true, max: maxDoseMcg, unit: "mcg/day", clinical: Clinical.dailyDoseMcg)
            f.label = r.oneOf("mode", required: false, ["simple-continuous", "flex"]) ?? "simple-continuous"
            f.lowAlarmMl = r.number("lowAlarmMl", required: false, min: 0, max: maxReservoirMl, unit: "mL")
        case .bolusDelivered:
            f.bolusMcg = r.number("doseMcg", required: true, min: 0, exclusiveMin: true, max: maxDoseMcg, unit: "mcg", clinical: Clinical.bolusMcg)
            f.label = r.oneOf("kind", required: true, ["bridge", "priming", "single", "patient"])
        case .reservoirRefilled:
            f.residualMl = r.number("residualMl", required: true, min: 0, max: maxReservoirMl, unit: "mL")
            f.volumeMl = r.number("addedMl", required: true, min: 0, exclusiveMin: true, max: maxReservoirMl, unit: "mL", clinical: Clinical.addedMl)
            f.concentrationMcgPerMl = r.number("concentrationMcgPerMl", required: true, min: 0, exclusiveMin: true, max: maxConcentrationMcgPerMl, unit: "mcg/mL", clinical: Clinical.concentrationMcgPerMl)
            f.nextRefillDue = r.date("nextRefillDue", required: false)
            f.label2 = r.string("lot", required: false, maxLength: 64)
        case .adverseEventReported:
            f.label = r.oneOf("category", required: true, adverseEventCategories)
            f.grade = r.integer("grade", required: true, range: 1...5)
            f.serious = r.bool("serious", required: true)
            // CTCAE grade 4 (life-threatening) and 5 (death) are serious by definition (21 CFR 312.32).
            if let grade = f.grade, grade >= 4, f.serious == false {
                r.fail(since: 2, "serious", "a grade \(grade) event (CTCAE: \(grade == 4 ? "life-threatening" : "death")) is serious by definition: set serious to true")
            }
            f.label2 = r.oneOf("relatedTo", required: false, ["drug", "device", "procedure", "unknown"])
            _ = r.string("description", required: false, maxLength: 2000)
        case .adverseEventResolved:
            f.ref = r.uuid("report", required: true)
            f.label = r.oneOf("outcome", required: true, ["recovered", "recovered-with-sequelae", "fatal", "unknown"])
        case .catheterRevised:
            _ = r.string("catheterTip", required: false, maxLength: 64)
        case .pumpExplanted:
            break
        case .assessmentRecorded:
            f.label = r.oneOf("ashworth", required: false, ashworthScores)
            if let p = r.integer("pennSpasmFrequency", required: false, range: 0...4) { f.label2 = String(p) }
            if !r.has("ashworth") && !r.has("pennSpasmFrequency") && r.errors.isEmpty {
                r.fail("ashworth", "an assessment needs at least one score: ashworth or pennSpasmFrequency")
            }
        case .eventCorrected:
            f.ref = r.uuid("target", required: true)
            f.action = r.oneOf("action", required: true, ["void", "amend"])
            if f.action == "void", object["data"] != nil {
                r.fail("data", "a void carries no data: remove it, or use action amend")
            }
            if f.action == "amend", !r.has("data") {
                r.fail("data", "an amend needs the target's full corrected data")
            }
            // The amended data is checked against the target's type by the batch validator.
            r.markSeen("data")
            if let d = object["data"], d.objectValue == nil {
                r.fail("data", "expected an object (the target type's full data), got \(d.typeName)")
            }
        case .conflictResolved:
            f.refs = readIDs(&r, "events")
        case .pumpInterrogated:
            f.label = r.oneOf("finding", required: true, interrogationFindings)
        case .alertAcknowledged:
            f.label = r.oneOf("code", required: true, Alert.codes)
            f.refs = readIDs(&r, "events", minimum: 1, what: "list the ids of the events behind the alert (its eventIds)")
            if let text = r.string("until", required: false, maxLength: 64) {
                if let t = Timestamp.parse(text) { f.nextRefillDue = t } else { r.fail("until", Timestamp.parseError(text) ?? "expected an ISO 8601 time with an offset") }
            }
        }
        r.rejectUnknown()
        if !r.errors.isEmpty { return .failure(BatchRejected(errors: r.errors)) }
        return .success(f)
    }

    private static func readPump(_ r: inout FieldReader, _ f: inout EventFacts) {
        f.label2 = r.string("pumpModel", required: true, maxLength: 64)
        _ = r.string("pumpSerial", required: true, maxLength: 64)
        let reservoir = r.number("reservoirMl", required: true, min: 0, exclusiveMin: true, max: maxReservoirMl, unit: "mL", clinical: Clinical.reservoirMl)
        f.reservoirMl = reservoir
        f.lowAlarmMl = r.number("lowAlarmMl", required: false, min: 0, max: maxReservoirMl, unit: "mL")
        _ = r.string("catheterTip", required: false, maxLength: 64)
        f.label = r.string("drug", required: false, maxLength: 64) ?? "baclofen"
        f.concentrationMcgPerMl = r.number("concentrationMcgPerMl", required: true, min: 0, exclusiveMin: true, max: maxConcentrationMcgPerMl, unit: "mcg/mL", clinical: Clinical.concentrationMcgPerMl)
        let fill = r.number("fillMl", required: true, min: 0, exclusiveMin: true, max: maxReservoirMl, unit: "mL", clinical: Clinical.addedMl)
        f.volumeMl = fill
        f.dailyDoseMcg = r.number("dailyDoseMcg", required: true, min: 0, exclusiveMin: true, max: maxDoseMcg, unit: "mcg/day", clinical: Clinical.dailyDoseMcg)
        if let reservoir, let fill, fill > reservoir {
            r.fail("fillMl", "the fill (\(r.fmt(fill)) mL) is larger than the reservoir (\(r.fmt(reservoir)) mL)")
        }
        if let reservoir, let low = f.lowAlarmMl, low >= reservoir {
            r.fail("lowAlarmMl", "the low-reservoir alarm volume must be below the reservoir's \(r.fmt(reservoir)) mL")
        }
    }

    private static func readIDs(_ r: inout FieldReader, _ key: String, minimum: Int = 2,
                                what: String = "list the ids of the concurrent events reviewed") -> [String] {
        r.markSeen(key)
        guard let v = r.object[key], v != .null else {
            r.fail(key, "missing: \(what)")
            return []
        }
        guard case .array(let items) = v, items.count >= minimum else {
            r.fail(key, minimum == 1 ? "expected an array of at least one event id" : "expected an array of at least \(minimum) event ids")
            return []
        }
        var ids: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item, Identifiers.isUUID(s) else {
                r.fail("\(key)[\(i)]", "expected an event id (a UUID)")
                continue
            }
            ids.append(s.lowercased())
        }
        if Set(ids).count != ids.count { r.fail(key, "the same event id is listed twice") }
        return ids
    }
}

