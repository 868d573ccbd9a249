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
        if !options.keep { try? FileManager.default.removeItem(atPath: root) }
        if let json = options.json {
            let value = JSONValue.object([
                "tool": .string("therapy-ledger-bench"), "build": .string(Self.build), "machine": .string(machine),
                "date": .string(Timestamp(seconds: Int64(Date().timeIntervalSince1970)).iso8601),
                "patients": .number(Double(options.patients)), "sites": .number(Double(options.sites)), "seed": .number(Double(options.seed)),
                "results": .array(results.map { r in
                    .object(["events": .number(Double(r.size)), "phases": .array(r.phases.map(\.json))])
                }),
            ])
            guard FileManager.default.createFile(atPath: json, contents: Data(CanonicalJSON.encode(value) + [0x0A])) else {
                throw BenchError("cannot write \(json)")
            }
            print("\nwrote \(json)")
        }
        let failed = results.flatMap(\.phases).filter { $0.note?.hasPrefix("FAILED") == true }
        return failed.isEmpty ? 0 : 1
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
        "generate": "generate (simulation)", "append": "append, batches of 10k", "export": "bundle export", "import": "bundle import",
        "verify": "verify", "replay": "full replay", "status": "status, one patient", "csv": "CSV export",
    ]

    static func row(_ r: PhaseResult) -> String {
        let label = (labels[r.phase] ?? r.phase).padding(toLength: 24, withPad: " ", startingAt: 0)
        var measure: String
        switch r.phase {
        case "status":
            measure = String(format: "p50 %.3f ms, p99 %.3f ms", r.p50Ms ?? 0, r.p99Ms ?? 0)
        case "csv":
            measure = "\(rate(r.rowsPerSecond)) rows/s (\(r.rows) rows)"
        case "export", "import":
            measure = r.events > 0 ? "\(rate(r.eventsPerSecond)) events/s, \(String(format: "%.0f", Double(r.bytes) / Double(max(r.events, 1)))) bytes/event" : "n/a"
        default:
            measure = "\(rate(r.eventsPerSecond)) events/s (\(r.events) in \(String(format: "%.2f", r.seconds)) s)"
        }
        let mem = String(format: "peak RSS %.0f MB", Double(r.peakRSSKB) / 1024)
        return "  \(label)\(measure.padding(toLength: 46, withPad: " ", startingAt: 0))\(mem)\(r.note.map { "  [\($0)]" } ?? "")"
    }
}
