import Foundation
import TherapyLedgerCore

/// What one phase measured, reported by its child process as one JSON line.
struct PhaseResult {
    var phase: String
    var events = 0
    var seconds = 0.0
    var bytes = 0
    var rows = 0
    var p50Ms: Double?
    var p99Ms: Double?
    var peakRSSKB = 0
    var note: String?

    var eventsPerSecond: Double { Double(events) / max(seconds, 1e-9) }
    var rowsPerSecond: Double { Double(rows) / max(seconds, 1e-9) }

    var json: JSONValue {
        var o: [String: JSONValue] = [
            "phase": .string(phase), "events": .number(Double(events)), "seconds": .number((seconds * 1e4).rounded() / 1e4),
            "peakRSSKB": .number(Double(peakRSSKB)),
        ]
        if events > 0 && seconds > 0 { o["eventsPerSecond"] = .number(eventsPerSecond.rounded()) }
        if bytes > 0 { o["bytes"] = .number(Double(bytes)) }
        if bytes > 0 && events > 0 { o["bytesPerEvent"] = .number((Double(bytes) / Double(events) * 10).rounded() / 10) }
        if rows > 0 { o["rows"] = .number(Double(rows)); o["rowsPerSecond"] = .number(rowsPerSecond.rounded()) }
        if let p50Ms { o["p50Ms"] = .number((p50Ms * 1000).rounded() / 1000) }
        if let p99Ms { o["p99Ms"] = .number((p99Ms * 1000).rounded() / 1000) }
        if let note { o["note"] = .string(note) }
        return .object(o)
    }

    init(phase: String) { self.phase = phase }

    init?(json: JSONValue) {
        guard let phase = json["phase"]?.stringValue else { return nil }
        self.phase = phase
        events = Int(json["events"]?.numberValue ?? 0)
        seconds = json["seconds"]?.numberValue ?? 0
        bytes = Int(json["bytes"]?.numberValue ?? 0)
        rows = Int(json["rows"]?.numberValue ?? 0)
        p50Ms = json["p50Ms"]?.numberValue
        p99Ms = json["p99Ms"]?.numberValue
        peakRSSKB = Int(json["peakRSSKB"]?.numberValue ?? 0)
        note = json["note"]?.stringValue
    }
}

/// The process's peak resident set size so far, in kB (VmHWM), or 0 where /proc is not available.
func peakRSSKB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ").dropFirst().first.map(String.init) ?? "") ?? 0
    }
    return 0
}

/// A short description of the machine, for the report.
func machineDescription() -> String {
    var cpu = "unknown CPU"
    if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
       let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
       let name = line.split(separator: ":", maxSplits: 1).last {
        cpu = name.trimmingCharacters(in: .whitespaces)
    }
    let memGB = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
    return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(String(format: "%.1f", memGB)) GB RAM, \(ProcessInfo.processInfo.operatingSystemVersionString)"
}
