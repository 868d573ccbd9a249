// The site server benchmark (never a timed test): N concurrent clients for a bounded time on loopback, reading
// status and appending batches. Reports requests/s, p50/p99 latency, events/s, errors and lost events.
//
//   swift run -c release therapy-ledger-server-bench [--clients 32] [--seconds 10] [--patients 500] [--batch 1000] [--appenders 4]
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TherapyLedgerCore
import TherapyLedgerServer
import TherapyLedgerStore

struct BenchArguments {
    var clients = 32, seconds = 10.0, patients = 500, batch = 1000, appenders = 4

    init() {
        var args = Array(CommandLine.arguments.dropFirst())
        while args.count >= 2 {
            let (name, value) = (args.removeFirst(), args.removeFirst())
            switch name {
            case "--clients": clients = Int(value) ?? clients
            case "--seconds": seconds = Double(value) ?? seconds
            case "--patients": patients = Int(value) ?? patients
            case "--batch": batch = Int(value) ?? batch
            case "--appenders": appenders = Int(value) ?? appenders
            default: print("unknown option \(name)"); exit(64)
            }
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

let a = BenchArguments()
let folder = NSTemporaryDirectory() + "therapy-ledger-server-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }
let store = try LedgerStore.create(at: folder + "/bench.sqlite", site: "bench", network: "bench")
var seed: [String] = []
for p in 0..<a.patients {
    let id = "P\(p)"
    seed.append(event("patient.enrolled", id, "2024-06-01T09:00:00Z", .object(["indication": .string("spinal-cord-injury"), "origin": .string("spinal"), "birthYear": .number(1978)])))
    seed.append(event("pump.implanted", id, "2024-07-01T09:00:00Z", .object([
        "pumpModel": .string("SynchroMed II"), "pumpSerial": .string("NGP\(100000 + p)"), "reservoirMl": .number(20), "lowAlarmMl": .number(2),
        "catheterTip": .string("T10"), "drug": .string("baclofen"), "concentrationMcgPerMl": .number(500), "fillMl": .number(20),
        "dailyDoseMcg": .number(100)])))
    seed.append(event("dose.programmed", id, "2024-07-02T09:00:00Z", .object(["dailyDoseMcg": .number(120), "mode": .string("simple-continuous")])))
}
do {
    _ = try store.append(jsonLines: Array(seed.joined(separator: "\n").utf8))
} catch {
    print("seeding failed: \(error)")
    exit(1)
}
let token = try store.addUser(name: "bench", role: .clinician, by: "bench")
var options = SiteServerOptions()
options.port = 0
options.logLevel = .error
let server = try SiteServer(store: store, options: options)
let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
    connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(a.clients, a.appenders) * 2)))

let running = try await server.start()
print("server at \(running.baseURL), \(a.patients) patients, \(try store.eventCount()) events; \(ProcessInfo.processInfo.activeProcessorCount) cores")

func call(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async -> (Bool, [UInt8]) {
    var r = HTTPClientRequest(url: running.baseURL + path)
    r.method = method
    r.headers.add(name: "Authorization", value: "Bearer \(token)")
    if let body {
        r.headers.add(name: "Content-Type", value: "application/x-ndjson")
        r.body = .bytes(ByteBuffer(bytes: body))
    }
    do {
        let response = try await client.execute(r, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 26)
        return (response.status == .ok, Array(bytes.readableBytesView))
    } catch {
        return (false, [])
    }
}

func phase(_ name: String, clients: Int, _ body: @escaping @Sendable (Int, PhaseStats) async -> Void) async -> String {
    let stats = PhaseStats()
    let start = Date()
    await withTaskGroup(of: Void.self) { group in
        for c in 0..<clients { group.addTask { await body(c, stats) } }
    }
    return stats.report(name, elapsed: Date().timeIntervalSince(start))
}

let deadline = { (start: Date) in Date().timeIntervalSince(start) < a.seconds }
// Warm-up: every patient's status once.
for p in 0..<min(a.patients, 200) { _ = await call(.GET, "/api/v1/patients/P\(p)/status?asOf=2025-01-01T00:00:00Z") }

let statusStart = Date()
print(await phase("status (\(a.clients) clients)", clients: a.clients) { c, stats in
    var i = c
    while deadline(statusStart) {
        i = (i &* 1103515245 &+ 12345) & 0x7fffffff
        let t0 = Date()
        let (ok, _) = await call(.GET, "/api/v1/patients/P\(i % a.patients)/status?asOf=2025-01-01T00:00:00Z")
        stats.add(Date().timeIntervalSince(t0), ok: ok)
    }
})

let before = try store.eventCount()
let appendStart = Date()
let acknowledged = PhaseStats()
print(await phase("append (\(a.appenders) clients, batches of \(a.batch))", clients: a.appenders) { c, stats in
    var round = 0
    while deadline(appendStart) {
        round += 1
        let lines = (0..<a.batch).map { k in
            event("assessment.recorded", "P\((c * 7919 + round * 31 + k) % a.patients)", timeAt(c * 1_000_000 + round * a.batch + k),
                  .object(["pennSpasmFrequency": .number(Double(k % 5))]))
        }
        let t0 = Date()
        let (ok, body) = await call(.POST, "/api/v1/events", body: Array((lines.joined(separator: "\n") + "\n").utf8))
        let recorded = ok ? ((try? JSONParser.parse(body))?["outcomes"].flatMap { if case .array(let o) = $0 { return o.count } else { return nil } } ?? 0) : 0
        stats.add(Date().timeIntervalSince(t0), ok: ok, events: recorded)
        acknowledged.add(0, ok: ok, events: recorded)
    }
})
let after = try store.eventCount()
print("lost events: \(acknowledged.events - (after - before)) (acknowledged \(acknowledged.events), in the ledger \(after - before))")
try await running.stop()
try await client.shutdown()

// The same batches appended by the library directly, without HTTP: what bounds the append over HTTP.
let directStart = Date()
var directEvents = 0, directBatches = 0
var directLatencies: [Double] = []
while Date().timeIntervalSince(directStart) < a.seconds {
    directBatches += 1
    let c = a.appenders + 1
    let lines = (0..<a.batch).map { k in
        event("assessment.recorded", "P\((c * 7919 + directBatches * 31 + k) % a.patients)", timeAt(c * 1_000_000 + directBatches * a.batch + k),
              .object(["pennSpasmFrequency": .number(Double(k % 5))]))
    }
    let body = Array((lines.joined(separator: "\n") + "\n").utf8)
    let t0 = Date()
    directEvents += try store.append(jsonLines: body, source: "the bench", recordedBy: "bench").count
    directLatencies.append(Date().timeIntervalSince(t0))
}
let directElapsed = directLatencies.reduce(0, +)
print(String(format: "store append without HTTP (1 thread, batches of %d): %d batches, %.0f events/s of append time, p50 %.1f ms per batch",
             a.batch, directBatches, Double(directEvents) / directElapsed, (directLatencies.sorted()[directLatencies.count / 2]) * 1000))
