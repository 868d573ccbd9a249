import Foundation
import TherapyLedgerCore

/// Runs every phase for every size in child processes, prints the table and writes the JSON.
struct BenchRunner {
    let options: BenchOptions

    #if DEBUG
    static let build = "debug"
    #else
    static let build = "release"
    #endif

    func run() throws -> Int32 {
        let root = options.workDir ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("therapy-ledger-bench-\(getpid())")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let machine = machineDescription()
        print("therapy-ledger-bench (\(Self.build) build) on \(machine)")
        if Self.build == "debug" { print("note: a debug build; measure with `swift run -c release therapy-ledger-bench`") }
        var results: [(size: Int, phases: [PhaseResult])] = []
        for size in options.sizes {
            let dir = (root as NSString).appendingPathComponent("events-\(size)")
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            print("\n\(size) events, \(options.patients) patients, \(options.sites) sites (work folder \(dir))")
            var phases: [PhaseResult] = []
            for phase in benchPhases {
                let r = try child(phase: phase, size: size, dir: dir)
                phases.append(r)
                print(Self.row(r))
            }
            results.append((size, phases))
            if !options.keep { try? FileManager.default.removeItem(atPath: dir) }
        }
        let peer = peerComparison(root: root)
        if !options.keep { try? FileManager.default.removeItem(atPath: root) }
        if let json = options.json {
            let value = JSONValue.object([
                "tool": .string("therapy-ledger-bench"), "build": .string(Self.build), "machine": .string(machine),
                "date": .string(Timestamp(seconds: Int64(Date().timeIntervalSince1970)).iso8601),
                "patients": .number(Double(options.patients)), "sites": .number(Double(options.sites)), "seed": .number(Double(options.seed)),
                "results": .array(results.map { r in
                    .object(["events": .number(Double(r.size)), "phases": .array(r.phases.map(\.json))])
                }),
                "peer": peer ?? .null,
            ])
            guard FileManager.default.createFile(atPath: json, contents: Data(CanonicalJSON.encode(value) + [0x0A])) else {
                throw BenchError("cannot write \(json)")
            }
            print("\nwrote \(json)")
        }
        let failed = results.flatMap(\.phases).filter { $0.note?.hasPrefix("FAILED") == true }
        return failed.isEmpty ? 0 : 1
    }

    /// The peer's workload appended here and by the Python peer in the same run, with the ratio (target: at
    /// least twice the peer). A peer that cannot run is reported, and the benchmark goes on.
    func peerComparison(root: String) -> JSONValue? {
        let python = Self.which("python3")
        guard options.peer ?? (python != nil) else { return nil }
        let n = options.workloadPatients * options.workloadPerPatient
        print("\npeer comparison: the same \(n)-event workload (scripts/bulk_events.py \(options.workloadPatients) x \(options.workloadPerPatient)), batches of 10k")
        let dir = (root as NSString).appendingPathComponent("peer")
        do {
            guard let python else { throw BenchError("python3 is not on the PATH") }
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let script = (options.peerScript as NSString).deletingLastPathComponent + "/../bulk_events.py"
            let workload = (dir as NSString).appendingPathComponent("workload.jsonl")
            _ = try Self.run(python, [script, String(options.workloadPatients), String(options.workloadPerPatient), workload])
            let ours = try child(phase: "workload", size: n, dir: dir)
            print(Self.row(ours))
            let out = try Self.run("/bin/bash", [options.peerScript, "--submissions", workload])
            let line = out.split(separator: "\n").last.map(String.init) ?? ""
            guard let value = try? JSONParser.parse(line), let rate = value["events_per_s"]?.numberValue, rate > 0 else {
                throw BenchError("the peer printed no result line: \(line.prefix(200))")
            }
            let name = value["peer"]?.stringValue ?? "peer"
            let ratio = ours.eventsPerSecond / rate
            print("  \(name.padding(toLength: 24, withPad: " ", startingAt: 0))\(Self.rate(rate)) events/s (best of \(Int(value["best_of"]?.numberValue ?? 0)))")
            print("  ratio                   \(String(format: "%.2f", ratio))x the peer  target >= 2x: \(ratio >= 2 ? "met" : "MISSED")")
            return .object(["ours": ours.json, "peer": value, "ratio": .number((ratio * 100).rounded() / 100)])
        } catch {
            print("  peer not measured: \(error)")
            return .object(["error": .string("\(error)")])
        }
    }

    /// The full path of `program` on the PATH, or nil.
    static func which(_ program: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Runs a program to its end and returns its standard output; a failure says how it ended.
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.standardError
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw BenchError("\(([program] + arguments).joined(separator: " ")) failed (exit \(p.terminationStatus))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs one phase in a child process and reads its JSON result line.
    func child(phase: String, size: Int, dir: String) throws -> PhaseResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0])
        p.arguments = options.childArguments(phase: phase, size: size, dir: dir)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.standardError
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw BenchError("phase \(phase) at \(size) events failed (exit \(p.terminationStatus))") }
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard let value = try? JSONParser.parse(line), let r = PhaseResult(json: value) else {
            throw BenchError("phase \(phase): unreadable result \(line.prefix(200))")
        }
        return r
    }

    static func rate(_ x: Double) -> String {
        x >= 1e6 ? String(format: "%.2fM", x / 1e6) : x >= 1e3 ? String(format: "%.1fk", x / 1e3) : String(format: "%.0f", x)
    }

    static let labels = [
        "generate": "generate (simulation)", "append": "append, batches of 10k", "append1": "append, one batch",
        "export": "bundle export", "exportgz": "bundle export, gzip", "importgz": "bundle import, gzip", "import": "bundle import",
        "verify": "verify", "replay": "full replay", "status": "status, one patient", "csv": "CSV export", "files": "ledger file",
        "workload": "append, peer's workload",
    ]

    /// Each phase's target, printed beside its figure: (what, met).
    static func target(_ r: PhaseResult) -> String? {
        func mark(_ ok: Bool) -> String { ok ? "met" : "MISSED" }
        switch r.phase {
        case "append", "append1", "workload", "import", "importgz":
            return ">= 100k events/s: " + mark(r.eventsPerSecond >= 100_000)
        case "verify": return ">= 300k events/s: " + mark(r.eventsPerSecond >= 300_000)
        case "exportgz": return "<= 120 bytes/event: " + mark(Double(r.bytes) / Double(max(r.events, 1)) <= 120)
        default: return nil
        }
    }

    static func row(_ r: PhaseResult) -> String {
        let label = (labels[r.phase] ?? r.phase).padding(toLength: 24, withPad: " ", startingAt: 0)
        var measure: String
        switch r.phase {
        case "status":
            measure = String(format: "p50 %.3f ms, p99 %.3f ms", r.p50Ms ?? 0, r.p99Ms ?? 0)
        case "csv":
            measure = "\(rate(r.rowsPerSecond)) rows/s (\(r.rows) rows)"
        case "export", "import", "exportgz", "importgz":
            measure = r.events > 0 ? "\(rate(r.eventsPerSecond)) events/s, \(String(format: "%.0f", Double(r.bytes) / Double(max(r.events, 1)))) bytes/event" : "n/a"
        case "files":
            measure = "\(String(format: "%.0f", Double(r.bytes) / Double(max(r.events, 1)))) bytes/event (\(r.bytes / 1_048_576) MB)"
        default:
            measure = "\(rate(r.eventsPerSecond)) events/s (\(r.events) in \(String(format: "%.2f", r.seconds)) s)"
        }
        let mem = String(format: "peak RSS %.0f MB", Double(r.peakRSSKB) / 1024)
        let goal = target(r).map { "  target \($0)" } ?? ""
        return "  \(label)\(measure.padding(toLength: 46, withPad: " ", startingAt: 0))\(mem)\(goal)\(r.note.map { "  [\($0)]" } ?? "")"
    }
}
