/// Counts with the right noun form: `1 event`, `2 events`, `0 events`.
enum Plural {
    /// `count` and `noun`, the noun in the plural unless the count is 1 (`plural` for irregular nouns).
    static func count(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
    }
}
