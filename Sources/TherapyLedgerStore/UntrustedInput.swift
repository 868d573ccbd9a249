import TherapyLedgerCore

/// The parsers of input that comes from outside the ledger, each as one call on bytes: the entry points
/// of the fuzzers (`Fuzz/`) and of the regression fixtures in `Tests/Fixtures/fuzz/` that `swift test`
/// runs. Each returns a value or throws a typed error; none may trap, whatever the bytes.
public enum UntrustedInput {
    /// What a structural read of a bundle found.
    public struct BundleSummary: Sendable {
        public var header: BundleHeader
        public var events: Int
        public var heads: Int
        /// Event lines whose bytes did not decode, with why.
        public var invalidEvents: [String]
    }

    /// Parses and validates every line of a submission batch, as `append` does before it looks at the ledger.
    public static func submissions(_ bytes: [UInt8], now: Timestamp = Timestamp(seconds: 1_900_000_000))
        -> [Result<(line: Int, submission: Submission), BatchRejected>] {
        BatchValidator.splitLines(bytes).map { BatchValidator.parseLine($0.bytes, line: $0.line, now: now) }
    }

    /// Reads a bundle as `sync import` does before it touches the ledger: the bounded line reader, the header,
    /// each signed head and each recorded event, decoded and hashed (an amend's target type is that of the event
    /// with its id earlier in the bundle, else one derived from the id). Throws ``SyncError`` where `sync import`
    /// would refuse the file as a whole.
    public static func bundle(_ bytes: [UInt8]) throws(SyncError) -> BundleSummary {
        do {
            let reader = BundleReader(bytes: bytes, name: "bundle")
            var summary = BundleSummary(header: try reader.header(), events: 0, heads: 0, invalidEvents: [])
            // An amend's target type: that of the event with its id earlier in the bundle, else one derived from the id.
            var seen: [String: EventType] = [:]
            let types = EventType.allCases
            while let line = try reader.next() {
                if line.isEmpty { continue }
                if line.starts(with: Array("{\"head\":".utf8)) {
                    guard case .object(let o)? = try? JSONParser.parse(line), let hv = o["head"], SignedHead(json: hv) != nil else {
                        throw SyncError("line \(reader.lineNumber): malformed signed head")
                    }
                    summary.heads += 1
                    continue
                }
                guard let (canonical, _) = LedgerStore.splitHash(Array(line)) else {
                    throw SyncError("line \(reader.lineNumber): not a recorded event (no hash field)")
                }
                let lookup: (String) -> EventType? = { id in
                    seen[id] ?? types[Int(id.utf8.reduce(0) { ($0 &+ UInt32($1)) % 1024 }) % types.count]
                }
                switch RecordedEvent.decode(canonical, targetType: lookup) {
                case .success(let e): seen[e.id] = e.type
                case .failure(let e): summary.invalidEvents.append("line \(reader.lineNumber): \(e.message)")
                }
                summary.events += 1
            }
            return summary
        } catch let e as SyncError {
            throw e
        } catch {
            throw SyncError("\(error)")
        }
    }

    /// Parses a heads file (`verify --against FILE`).
    public static func headsFile(_ bytes: [UInt8]) throws(StoreError) -> HeadsFile {
        do { return try HeadsFile(bytes: bytes, file: "heads file") } catch let e as StoreError { throw e } catch { throw StoreError("\(error)") }
    }
}
