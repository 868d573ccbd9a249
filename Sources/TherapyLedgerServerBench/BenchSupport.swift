// What the bench's phases share: its arguments, the statistics of a phase, the submissions it sends.
import Foundation
import TherapyLedgerCore

struct BenchArguments {
    var clients = 32, seconds = 10.0, patients = 500, batch = 1000, appenders = 4
    /// Which load generator: `ahc` (AsyncHTTPClient in the bench's process), `raw` (a child process of plain
    /// keep-alive sockets, one thread per connection) or `both`, one after the other.
    var client = "both"
    /// Set in the raw load generator's child process only.
    var job: LoadGeneratorJob?

    init() {
        var args = Array(CommandLine.arguments.dropFirst())
        var job = LoadGeneratorJob(kind: "", port: 0, token: "", clients: 1, seconds: 1, patients: 1, batch: 1, clientBase: 0)
        while args.count >= 2 {
            let (name, value) = (args.removeFirst(), args.removeFirst())
            switch name {
            case "--clients": clients = Int(value) ?? clients
            case "--seconds": seconds = Double(value) ?? seconds
            case "--patients": patients = Int(value) ?? patients
            case "--batch": batch = Int(value) ?? batch
            case "--appenders": appenders = Int(value) ?? appenders
            case "--client" where ["ahc", "raw", "both"].contains(value): client = value
            // The child process's own options (see LoadGenerator).
            case "--generate": job.kind = value
            case "--port": job.port = Int(value) ?? 0
            case "--token": job.token = value
            case "--client-base": job.clientBase = Int(value) ?? 0
            case "--out": job.out = value
            default: print("unknown option \(name) \(value) (--client takes ahc, raw or both)"); exit(64)
            }
        }
        if !args.isEmpty { print("option \(args[0]) needs a value"); exit(64) }
        if !job.kind.isEmpty {
            job.clients = job.kind == "status" ? clients : appenders
            (job.seconds, job.patients, job.batch) = (seconds, patients, batch)
            self.job = job
        }
    }
}

/// Latencies and counts of one phase.
final class PhaseStats: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var latencies: [Double] = []
    private(set) var errors = 0
    private(set) var events = 0

    func add(_ seconds: Double, ok: Bool, events n: Int = 0) {
        lock.lock()
        latencies.append(seconds)
        if ok { events += n } else { errors += 1 }
        lock.unlock()
    }

    func report(_ name: String, elapsed: Double) -> String {
        let sorted = latencies.sorted()
        func pct(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
        var s = String(format: "%@: %d requests in %.1f s = %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d",
                       name, sorted.count, elapsed, Double(sorted.count) / elapsed, pct(0.5), pct(0.99), errors)
        if events > 0 { s += String(format: ", %d events = %.0f events/s", events, Double(events) / elapsed) }
        return s
    }
}

func event(_ type: String, _ patient: String, _ at: String, _ data: JSONValue) -> String {
    CanonicalJSON.string(.object(["type": .string(type), "patient": .string(patient), "occurredAt": .string(at),
                                  "author": .string("dr.bench"), "data": data]))
}

/// A distinct time `seconds` after 2025-01-01, in the past: each client's batches take their own second.
func timeAt(_ seconds: Int) -> String {
    Timestamp.parse("2025-01-01T00:00:00Z").map { $0.adding(seconds: Int64(seconds)).iso8601 } ?? ""
}

/// Client `c`'s batch number `round`: JSON Lines of `batch` assessments over the patients, each at its own time.
func appendBatch(client c: Int, round: Int, batch: Int, patients: Int) -> [UInt8] {
    let lines = (0..<batch).map { k in
        event("assessment.recorded", "P\((c * 7919 + round * 31 + k) % patients)", timeAt(c * 1_000_000 + round * batch + k),
              .object(["pennSpasmFrequency": .number(Double(k % 5))]))
    }
    return Array((lines.joined(separator: "\n") + "\n").utf8)
}
