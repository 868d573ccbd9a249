extension Submission {
    /// Size limits on submitted JSON Lines, checked before a line is parsed, so that no input can make the
    /// parser spend unbounded time or memory. Field-level limits (string lengths, numeric ranges) are the
    /// validators' (``DataValidator``); these bound the raw bytes.
    public enum Limits {
        /// The longest submission line accepted, in bytes. The longest valid event (a 2000-character
        /// device description, a 200-character reason, every optional field) stays far below it.
        public static let maxLineBytes = 64 * 1024
        /// JSON nesting deeper than this is refused by ``JSONParser`` (64 levels).
        public static let maxNesting = 64
    }
}
