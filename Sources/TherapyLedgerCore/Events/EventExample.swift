/// One ready-to-append example of each event type, with what each field means: what
/// `therapy-ledger example TYPE` prints.
///
/// The examples tell one patient's story (`P001`, the patient of the README's "Record your first patient"):
/// the types that walkthrough records are its very lines (appending them again reports `duplicate`), and the
/// others follow it in time and refer to its events, so that every example appends to a ledger that holds
/// the walkthrough. Field meanings are the `description`s of `schemas/data/TYPE.schema.json` and
/// `schemas/submission.schema.json`; a test checks that they agree and that every example validates.
public struct EventExample: Sendable, Hashable {
    /// One field of a type's data (or of the envelope).
    public struct Field: Sendable, Hashable {
        /// The field's name, as in the JSON line.
        public var name: String
        /// Whether a submission must give it.
        public var required: Bool
        /// What it means, with its unit and range (the schema's description).
        public var meaning: String
        /// The values allowed, for an enumerated field (the schema's `enum`); empty otherwise.
        public var allowed: [String] = []
    }

    /// The event type the example is of.
    public var type: EventType
    /// The JSON Lines line, ready to append.
    public var line: String
    /// What an event of this type records (the data schema's description).
    public var about: String
    /// The fields of `data`, in the schema's order.
    public var fields: [Field]

    /// The example of `type`, or nil for a type that has none yet.
    public static func of(_ type: EventType) -> EventExample? {
        guard let e = table[type] else { return nil }
        return EventExample(type: type, line: e.line, about: e.about, fields: e.fields.map { Field(name: $0.0, required: $0.1, meaning: $0.2, allowed: $0.3) })
    }

    /// The patient every example is about.
    public static let patient = "P001"

    /// The envelope's fields (`schemas/submission.schema.json`).
    public static let envelope: [Field] = [
        Field(name: "id", required: false, meaning: "The event id (UUID, either case); omit it for the ledger to assign a time-ordered UUIDv7."),
        Field(name: "type", required: true, meaning: "The event type; selects the schema of data."),
        Field(name: "patient", required: true, meaning: "The patient the event is about (pseudonymous id)."),
        Field(name: "occurredAt", required: true, meaning: "When it happened clinically: ISO 8601 with an offset (Z or +hh:mm/-hh:mm), whole seconds; at most a day in the future."),
        Field(name: "author", required: true, meaning: "The clinician or system that asserts the event."),
        Field(name: "reason", required: false, meaning: "Why (free text, 1-2000 characters, no NUL character); required for event.corrected, conflict.resolved and alert.acknowledged."),
        Field(name: "data", required: false, meaning: "The type's data object, see data/TYPE.schema.json. May be absent or {} for pump.explanted."),
    ]

    private static let table: [EventType: (line: String, about: String, fields: [(String, Bool, String, [String])])] = [
        .patientEnrolled: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000001","type":"patient.enrolled","patient":"P001","occurredAt":"2026-01-05T09:00:00Z","author":"dr.lee","data":{"indication":"spinal-cord-injury","origin":"spinal","birthYear":1978}}"#,
            about: "A patient enters the programme.",
            fields: [
                ("indication", true, "The condition causing the spasticity treated (no unit).", ["spinal-cord-injury", "multiple-sclerosis", "cerebral-palsy", "brain-injury", "other"]),
                ("origin", true, "Whether the spasticity is of spinal or cerebral origin (no unit).", ["spinal", "cerebral"]),
                ("birthYear", false, "The patient's year of birth (calendar year, 1900-2100); optional.", []),
            ]),
        .trialPerformed: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000002","type":"trial.performed","patient":"P001","occurredAt":"2026-01-12T10:00:00Z","author":"dr.lee","data":{"bolusMcg":50,"response":"positive"}}"#,
            about: "An intrathecal screening test bolus and the response to it.",
            fields: [
                ("bolusMcg", true, "The intrathecal test bolus given, in mcg (above 0, at most 3000).", []),
                ("response", true, "The clinical response to the test bolus (no unit).", ["positive", "negative", "equivocal"]),
            ]),
        .pumpImplanted: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000003","type":"pump.implanted","patient":"P001","occurredAt":"2026-02-02T11:00:00Z","author":"dr.lee","data":{"pumpModel":"SynchroMed II","pumpSerial":"NGP123456","reservoirMl":20,"lowAlarmMl":2,"catheterTip":"T10","drug":"baclofen","concentrationMcgPerMl":500,"fillMl":20,"dailyDoseMcg":100}}"#,
            about: "A pump is implanted, filled and started at an initial daily dose.",
            fields: [
                ("pumpModel", true, "The pump model, e.g. SynchroMed II (text, 1-64 characters).", []),
                ("pumpSerial", true, "The pump's serial number (text, 1-64 characters).", []),
                ("reservoirMl", true, "The pump's reservoir capacity, in mL (above 0, at most 100; pumps hold 20 or 40).", []),
                ("lowAlarmMl", false, "The residual volume at which the pump's low-reservoir alarm sounds, in mL (0 to 100, below reservoirMl); optional.", []),
                ("catheterTip", false, "The vertebral level of the catheter tip, e.g. T10 (text, 1-64 characters); optional.", []),
                ("drug", false, "The drug in the reservoir (text, 1-64 characters); optional.", []),
                ("concentrationMcgPerMl", true, "The concentration of the drug filled, in mcg/mL (above 0, at most 10000).", []),
                ("fillMl", true, "The volume filled into the reservoir, in mL (above 0, at most 100, at most reservoirMl).", []),
                ("dailyDoseMcg", true, "The initial programmed daily dose, in mcg/day (above 0, at most 3000).", []),
            ]),
        .doseProgrammed: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000004","type":"dose.programmed","patient":"P001","occurredAt":"2026-02-09T10:00:00Z","author":"dr.lee","data":{"dailyDoseMcg":120,"mode":"simple-continuous"}}"#,
            about: "The pump is reprogrammed to a new daily dose.",
            fields: [
                ("dailyDoseMcg", true, "The new programmed daily dose, in mcg/day (above 0, at most 3000).", []),
                ("mode", false, "The infusion mode: simple-continuous (constant rate) or flex (a schedule of rates) (no unit); optional.", ["simple-continuous", "flex"]),
                ("lowAlarmMl", false, "A new low-reservoir alarm volume, in mL (0 to 100); optional.", []),
            ]),
        .reservoirRefilled: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000005","type":"reservoir.refilled","patient":"P001","occurredAt":"2026-04-06T10:00:00Z","author":"nurse.kim","data":{"residualMl":5,"addedMl":20,"concentrationMcgPerMl":500,"nextRefillDue":"2026-06-01","lot":"B2026-031"}}"#,
            about: "The reservoir was emptied and refilled.",
            fields: [
                ("residualMl", true, "The residual volume withdrawn before refilling, in mL (0 to 100). 0 is a finding: the reservoir ran dry.", []),
                ("addedMl", true, "The volume of new drug added, in mL (above 0, at most 100).", []),
                ("concentrationMcgPerMl", true, "The concentration of the drug added, in mcg/mL (above 0, at most 10000).", []),
                ("nextRefillDue", false, "The date the next refill is due, YYYY-MM-DD (calendar date); optional.", []),
                ("lot", false, "The drug lot number (text, 1-64 characters); optional.", []),
            ]),
        .adverseEventReported: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000006","type":"adverse-event.reported","patient":"P001","occurredAt":"2026-04-20T15:00:00Z","author":"dr.lee","data":{"category":"overdose","grade":1,"serious":false,"relatedTo":"drug","description":"Drowsy in the afternoons since the last dose increase."}}"#,
            about: "An adverse event is reported.",
            fields: [
                ("category", true, "The kind of adverse event (no unit).", ["withdrawal", "overdose", "infection", "catheter-malfunction", "pump-malfunction", "csf-leak", "pocket-fill", "other"]),
                ("grade", true, "The severity grade, CTCAE-style 1 (mild) to 5 (death) (integer, no unit).", []),
                ("serious", true, "Whether the event meets the regulatory definition of a serious adverse event (true or false); must be true for grade 4 or 5.", []),
                ("relatedTo", false, "What the event is attributed to (no unit); optional.", ["drug", "device", "procedure", "unknown"]),
                ("description", false, "A free-text description (text, 1-2000 characters, no NUL character); optional.", []),
            ]),
        .eventCorrected: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000007","type":"event.corrected","patient":"P001","occurredAt":"2026-04-21T09:00:00Z","author":"nurse.kim","reason":"Residual misread: the syringe held 2.5 mL, not 5 mL.","data":{"target":"0199c0de-0000-7000-8000-000000000005","action":"amend","data":{"residualMl":2.5,"addedMl":20,"concentrationMcgPerMl":500,"nextRefillDue":"2026-06-01","lot":"B2026-031"}}}"#,
            about: "A correction of an earlier event of the same patient: void it, or amend its data.",
            fields: [
                ("target", true, "The id of the event corrected (UUID); it must be of the same patient and not itself a correction.", []),
                ("action", true, "void: the target is withdrawn; amend: the target's data is replaced by data (no unit).", ["void", "amend"]),
                ("data", false, "For amend only: the target type's full corrected data (an object valid for the target's type). Forbidden for void.", []),
            ]),
        .bolusDelivered: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000008","type":"bolus.delivered","patient":"P001","occurredAt":"2026-05-04T10:00:00Z","author":"dr.lee","data":{"doseMcg":50,"kind":"single"}}"#,
            about: "A bolus was delivered through the pump.",
            fields: [
                ("doseMcg", true, "The bolus dose delivered, in mcg (above 0, at most 3000).", []),
                ("kind", true, "Why the bolus was given: bridge (catheter bridge), priming (catheter priming), single (clinician-programmed single bolus), patient (patient-activated) (no unit).", ["bridge", "priming", "single", "patient"]),
            ]),
        .assessmentRecorded: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000009","type":"assessment.recorded","patient":"P001","occurredAt":"2026-05-04T10:30:00Z","author":"dr.lee","data":{"ashworth":"1+","pennSpasmFrequency":1}}"#,
            about: "A spasticity assessment: at least one of the two scores.",
            fields: [
                ("ashworth", false, "The Modified Ashworth Scale score, as a string (0, 1, 1+, 2, 3 or 4; no unit).", ["0", "1", "1+", "2", "3", "4"]),
                ("pennSpasmFrequency", false, "The Penn Spasm Frequency Scale score (integer 0-4, no unit).", []),
            ]),
        .adverseEventResolved: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000010","type":"adverse-event.resolved","patient":"P001","occurredAt":"2026-05-10T09:00:00Z","author":"dr.lee","data":{"report":"0199c0de-0000-7000-8000-000000000006","outcome":"recovered"}}"#,
            about: "A reported adverse event has resolved.",
            fields: [
                ("report", true, "The id of the adverse-event.reported event that resolved (UUID).", []),
                ("outcome", true, "The outcome of the adverse event (no unit).", ["recovered", "recovered-with-sequelae", "fatal", "unknown"]),
            ]),
        .catheterRevised: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000011","type":"catheter.revised","patient":"P001","occurredAt":"2026-06-15T08:00:00Z","author":"dr.lee","data":{"catheterTip":"T9"}}"#,
            about: "The intrathecal catheter was revised or replaced.",
            fields: [
                ("catheterTip", false, "The vertebral level of the new catheter tip, e.g. T10 (text, 1-64 characters); optional.", []),
            ]),
        .conflictResolved: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000012","type":"conflict.resolved","patient":"P001","occurredAt":"2026-06-16T09:00:00Z","author":"dr.lee","reason":"Reviewed: the implant dose and the 120 mcg/day programming both stand, in that order.","data":{"events":["0199c0de-0000-7000-8000-000000000003","0199c0de-0000-7000-8000-000000000004"]}}"#,
            about: "A clinician reviewed concurrent dose-setting events of one patient and settled which applies.",
            fields: [
                ("events", true, "The ids of the concurrent events reviewed (UUIDs, at least two, no repeats).", []),
            ]),
        .pumpReplaced: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000013","type":"pump.replaced","patient":"P001","occurredAt":"2026-09-01T10:00:00Z","author":"dr.lee","data":{"pumpModel":"SynchroMed II","pumpSerial":"NGP654321","reservoirMl":40,"lowAlarmMl":2,"concentrationMcgPerMl":500,"fillMl":40,"dailyDoseMcg":120}}"#,
            about: "A pump is replaced (e.g. at end of battery life): the new pump's data, with the same fields and rules as pump.implanted.",
            fields: [
                ("pumpModel", true, "The pump model, e.g. SynchroMed II (text, 1-64 characters).", []),
                ("pumpSerial", true, "The pump's serial number (text, 1-64 characters).", []),
                ("reservoirMl", true, "The pump's reservoir capacity, in mL (above 0, at most 100; pumps hold 20 or 40).", []),
                ("lowAlarmMl", false, "The residual volume at which the pump's low-reservoir alarm sounds, in mL (0 to 100, below reservoirMl); optional.", []),
                ("catheterTip", false, "The vertebral level of the catheter tip, e.g. T10 (text, 1-64 characters); optional.", []),
                ("drug", false, "The drug in the reservoir (text, 1-64 characters); optional.", []),
                ("concentrationMcgPerMl", true, "The concentration of the drug filled, in mcg/mL (above 0, at most 10000).", []),
                ("fillMl", true, "The volume filled into the reservoir, in mL (above 0, at most 100, at most reservoirMl).", []),
                ("dailyDoseMcg", true, "The initial programmed daily dose, in mcg/day (above 0, at most 3000).", []),
            ]),
        .pumpInterrogated: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000015","type":"pump.interrogated","patient":"P001","occurredAt":"2026-08-14T10:00:00Z","author":"dr.lee","data":{"finding":"elective-replacement-indicator"}}"#,
            about: "What a pump interrogation (the clinician programmer's read-out) reports. elective-replacement-indicator: the battery is near end of service, the pump stops about 90 days later (critical pump-eri); end-of-service: the pump has stopped (critical pump-end-of-service); motor-stall or critical-alarm: delivery may have stopped (critical delivery-problem, until an interrogation with no-alarm or a replacement); low-reservoir-alarm: the pump's own alarm sounded (warning pump-low-reservoir-alarm, until a refill); no-alarm: nothing to report (closes a stall, critical alarm or low-reservoir alarm).",
            fields: [
                ("finding", true, "What the interrogation reports (no unit).", ["no-alarm", "low-reservoir-alarm", "elective-replacement-indicator", "critical-alarm", "motor-stall", "end-of-service"]),
            ]),
        .alertAcknowledged: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000016","type":"alert.acknowledged","patient":"P001","occurredAt":"2026-04-21T09:00:00Z","author":"dr.lee","reason":"Reviewed: drowsiness is mild; dose reduction planned at the next visit.","data":{"code":"overdose-suspected","events":["0199c0de-0000-7000-8000-000000000006"],"until":"2026-04-28T09:00:00Z"}}"#,
            about: "A clinician acknowledges an open alert: it stays in status (with who acknowledged it and when) at its severity, and the worklist ranks it below the unacknowledged alerts of the same severity until `until`. The envelope's reason is required. An acknowledgement applies to an alert whose code matches and whose eventIds are all listed.",
            fields: [
                ("code", true, "The alert's code (see the README alert table).", ["reservoir-empty", "reservoir-low", "low-before-refill", "refill-overdue", "refill-interval-exceeded", "refill-under-delivery", "refill-over-infusion", "reservoir-ran-dry", "dose-step-large", "dose-out-of-range", "serious-adverse-event-open", "delivery-problem", "overdose-suspected", "concentration-change", "bridge-bolus-missing", "pump-end-of-life", "pump-eri", "pump-end-of-service", "pump-low-reservoir-alarm", "explant-withdrawal-watch", "concurrent-programming", "concurrent-correction", "id-collision"]),
                ("events", true, "The ids of the events behind the alert (its eventIds; UUIDs, at least one, no repeats).", []),
                ("until", false, "When the acknowledgement lapses (ISO 8601 with an offset); optional: without it, it lasts while the alert is open. The Swift code checks that it is after occurredAt.", []),
            ]),
        .pumpExplanted: (
            line: #"{"id":"0199c0de-0000-7000-8000-000000000014","type":"pump.explanted","patient":"P001","occurredAt":"2026-11-02T10:00:00Z","author":"dr.lee","reason":"Infection of the pump pocket.","data":{}}"#,
            about: "The pump was removed and therapy stopped. Carries no data: the submission's data may be absent or {}.",
            fields: [
            ]),
    ]
}
