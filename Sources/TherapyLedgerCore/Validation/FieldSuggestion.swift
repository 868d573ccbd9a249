/// The message for a field or value the ledger does not know: the closest known name, when one is
/// close enough to be a typo, and the schema file that lists them all.
public enum FieldSuggestion {
    /// The schema file describing the data of `type`, relative to the package root.
    public static func schemaFile(for type: EventType) -> String { "schemas/data/\(type.rawValue).schema.json" }

    /// The schema file describing a submission's envelope, relative to the package root.
    public static let submissionSchemaFile = "schemas/submission.schema.json"

    /// `unknown field; did you mean dailyDoseMcg? (schemas/data/dose.programmed.schema.json)`, or, when no
    /// known field is close, `unknown field; expected one of ... (FILE)`. Only fields not `given` are suggested.
    public static func unknownField(_ key: String, known: [String], given: Set<String> = [], schema: String?) -> String {
        var s = "unknown field"
        if let close = closest(to: key, among: known.filter { !given.contains($0) }) {
            s += "; did you mean \(close)?"
        } else if !known.isEmpty {
            s += "; expected one of \(known.joined(separator: ", "))"
        } else {
            s += "; this object takes no fields"
        }
        if let schema { s += " (\(schema))" }
        return s
    }

    /// The candidate most like `key`: the same ignoring case, one the other starts with, or within an edit
    /// distance of about a third of the shorter name. Nil when none is that close. Ties go to the first.
    public static func closest(to key: String, among candidates: [String]) -> String? {
        let k = Array(key.lowercased().unicodeScalars)
        guard !k.isEmpty else { return nil }
        var best: (name: String, score: Int)?
        for c in candidates {
            let n = Array(c.lowercased().unicodeScalars)
            let score: Int
            if n == k {
                score = 0
            } else if n.starts(with: k) || k.starts(with: n), min(n.count, k.count) >= 3 {
                score = 1
            } else {
                let d = distance(k, n)
                guard d <= max(1, min(k.count, n.count) / 3) else { continue }
                score = 1 + d
            }
            if best.map({ score < $0.score }) ?? true { best = (c, score) }
        }
        return best?.name
    }

    /// Levenshtein distance.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
