/// What an export writes: one CSV file per kind, its columns documented in `schemas/csv/KIND.json`.
public enum ExportKind: String, Sendable, CaseIterable, Hashable {
    /// One row per patient and pump (one row with empty pump columns for a patient never implanted).
    case patients
    /// One row per dose period: a new period starts when the dose, the concentration or the mode changes.
    case doses
    /// One row per refill, with its reconciliation.
    case refills
    /// One row per patient per UTC midnight while a pump is implanted.
    case reservoir
    /// One row per adverse-event report, with its resolution.
    case adverseEvents = "adverse-events"
    /// One row per assessment, with the dose in force then.
    case assessments
    /// One row per recorded event (corrections included), in clinical order.
    case timeline
    /// One row per alert open at the as-of time.
    case alerts

    /// The header row, in order.
    public var columns: [String] {
        switch self {
        case .patients:
            return ["patient", "origin", "indication", "birth_year", "pump_model", "pump_serial", "reservoir_ml", "implanted_at",
                    "ended_at", "end_reason", "site"]
        case .doses:
            return ["patient", "from", "to", "daily_dose_mcg", "concentration_mcg_per_ml", "rate_ml_per_day", "mode", "site", "author", "event_id"]
        case .refills:
            return ["patient", "refilled_at", "expected_residual_ml", "measured_residual_ml", "discrepancy_ml", "discrepancy_pct", "added_ml",
                    "concentration_mcg_per_ml", "next_refill_due", "flagged", "site", "event_id"]
        case .reservoir:
            return ["patient", "date", "volume_ml", "daily_dose_mcg", "rate_ml_per_day", "status"]
        case .adverseEvents:
            return ["patient", "event_id", "reported_at", "category", "grade", "serious", "related_to", "description", "resolved_at", "outcome"]
        case .assessments:
            return ["patient", "assessed_at", "ashworth", "penn_spasm_frequency", "daily_dose_mcg"]
        case .timeline:
            return ["patient", "occurred_at", "recorded_at", "site", "seq", "type", "summary", "status", "conflict"]
        case .alerts:
            return ["patient", "code", "severity", "raised_at", "event_ids", "message", "acknowledged_at", "acknowledged_until"]
        }
    }

    /// Whether rows need text from event data (birth year, serials, descriptions).
    var needsText: Bool { self == .patients || self == .adverseEvents }

    /// The kinds, as the command line spells them.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
