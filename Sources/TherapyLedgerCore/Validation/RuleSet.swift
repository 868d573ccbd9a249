/// The versions of the rules an event is recorded under.
///
/// New events record the current version in their canonical bytes (`"rules":2`); an event without the member
/// was recorded under rule set 1. `verify` and `sync import` judge an event's own content by the rules of its
/// version, so a rule added later never makes an already-recorded event unverifiable or unimportable: what a
/// newer rule would refuse in an older event is reported as a note (see ``RecordedEvent/ruleNotes``).
///
/// - Rule set 1: the rules before the hardening round (times range-checked on their local value).
/// - Rule set 2: times range-checked on their UTC value (``Timestamp/acceptedRange``); clinical ranges for every
///   quantity (``DataValidator``); a grade 4-5 adverse event is serious; `occurredAt` at most a day after
///   `recordedAt`.
public enum RuleSet {
    /// The version new events are recorded under.
    public static let current = 2
    /// The versions this software can judge.
    public static let known: ClosedRange<Int> = 1...2
}
