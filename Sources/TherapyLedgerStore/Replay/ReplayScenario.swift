import Foundation
import TherapyLedgerCore

/// A recorded scenario under `replay/NAME/`: its events as a sync bundle and the expected projections.
///
/// `scenario.json`:
/// ```json
/// {"bundle": "events.bundle",
///  "status": [{"patient": "P001", "asOf": "2025-03-01T00:00:00Z", "knownAt": null, "expected": "expected/status-2025-03-01.json"}],
///  "timeline": [{"patient": "P001", "asOf": null, "knownAt": null, "expected": "expected/timeline-P001.jsonl"}]}
/// ```
/// Expected status files hold `status --json` output (canonical JSON and a newline); timeline files hold
/// `timeline --json` output (JSON Lines). The runner imports the bundle into a fresh ledger and compares
/// byte for byte.
public enum ReplayScenario {
    /// One difference between expected and actual output.
    public struct Difference: Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var expected: String
        public var actual: String
        public var description: String {
            "\(file): line \(line) differs\n  expected: \(expected)\n  actual:   \(actual)"
        }
    }

    /// The outcome of a run.
    public struct Result: Sendable {
        public var checks: Int
        public var differences: [Difference]
        public var events: Int
    }

    /// Runs the scenario in `directory`. With `record`, writes the actual outputs as the expected files
    /// instead of comparing (for a new scenario, whose numbers must then be checked by hand).
    public static func run(directory: String, record: Bool = false) throws -> Result {
        let specPath = directory + "/scenario.json"
        guard let data = FileManager.default.contents(atPath: specPath) else {
            throw StoreError("\(specPath) not found: a replay scenario folder holds scenario.json, its bundle and expected outputs")
        }
        let spec: JSONValue
        do { spec = try JSONParser.parse(Array(data)) } catch { throw StoreError("\(specPath): \(error)") }
        let bundle = directory + "/" + (spec["bundle"]?.stringValue ?? "events.bundle")
        let reader = try LineReader(path: bundle)
        guard let first = try reader.next() else { throw StoreError("\(bundle) is empty") }
        let header: BundleHeader
        do { header = try BundleHeader.parse(Array(first), file: bundle) } catch { throw StoreError(error.description) }

        let tmp = NSTemporaryDirectory() + "therapy-ledger-replay-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let fixedNow = Timestamp(seconds: 4_102_444_800)  // 2100-01-01: replays never read the wall clock
        let env = LedgerStore.Environment(now: { fixedNow }, newID: { "00000000-0000-7000-8000-000000000000" })
        let store = try LedgerStore.create(at: tmp + "/replay.sqlite", site: "auditor", network: header.network, environment: env)
        // The scenario is the auditor's own input: it trusts every key its bundle lists, relayed ones included.
        for (origin, key) in header.keys.sorted(by: { $0.key < $1.key }) where origin != header.sender {
            try store.trust(site: origin, fingerprint: SignedHead.fingerprint(publicKeyHex: key))
        }
        let imported = try store.importBundle(from: bundle)

        var differences: [Difference] = []
        var checks = 0
        func time(_ v: JSONValue?, _ field: String) throws -> Timestamp? {
            guard let v, v != .null else { return nil }
            guard let s = v.stringValue, let t = Timestamp.parseTimeOrDate(s) else { throw StoreError("\(specPath): \(field) is not a time") }
            return t
        }
        func compare(_ actual: [UInt8], _ relative: String) throws {
            checks += 1
            let path = directory + "/" + relative
            if record {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(actual).write(to: URL(fileURLWithPath: path))
                return
            }
            guard let expected = FileManager.default.contents(atPath: path) else {
                differences.append(Difference(file: relative, line: 0, expected: "(file missing)", actual: "\(actual.count) bytes"))
                return
            }
            if Array(expected) == actual { return }
            let e = String(decoding: expected, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let a = String(decoding: actual, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            for i in 0..<max(e.count, a.count) where (i < e.count ? e[i] : "") != (i < a.count ? a[i] : "") {
                differences.append(Difference(file: relative, line: i + 1, expected: i < e.count ? String(e[i]) : "(end of file)",
                                              actual: i < a.count ? String(a[i]) : "(end of file)"))
                break
            }
        }
        if case .array(let items)? = spec["status"] {
            for (i, item) in items.enumerated() {
                guard let patient = item["patient"]?.stringValue, let expected = item["expected"]?.stringValue,
                      let asOf = try time(item["asOf"], "status[\(i)].asOf") else {
                    throw StoreError("\(specPath): status[\(i)] needs patient, asOf and expected")
                }
                let status = try store.status(patient: patient, asOf: asOf, knownAt: try time(item["knownAt"], "status[\(i)].knownAt"))
                try compare(CanonicalJSON.encode(status.json) + [0x0A], expected)
            }
        }
        if case .array(let items)? = spec["timeline"] {
            for (i, item) in items.enumerated() {
                guard let patient = item["patient"]?.stringValue, let expected = item["expected"]?.stringValue else {
                    throw StoreError("\(specPath): timeline[\(i)] needs patient and expected")
                }
                let entries = try store.timeline(patient: patient, asOf: try time(item["asOf"], "timeline[\(i)].asOf"),
                                                 knownAt: try time(item["knownAt"], "timeline[\(i)].knownAt"))
                var out: [UInt8] = []
                for e in entries { out += CanonicalJSON.encode(e.json) + [0x0A] }
                try compare(out, expected)
            }
        }
        return Result(checks: checks, differences: differences, events: imported.newEvents)
    }
}
