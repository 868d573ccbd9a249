// The site server benchmark (never a timed test): N concurrent clients for a bounded time on loopback, reading
// status and appending batches. Reports requests/s, p50/p99 latency, events/s, errors and lost events, for each
// load generator: AsyncHTTPClient in this process (`ahc`) and plain keep-alive sockets, one thread per
// connection, in a child process (`raw`).
//
//   swift run -c release therapy-ledger-server-bench [--clients 32] [--seconds 10] [--patients 500] [--batch 1000] [--appenders 4]
//                                                    [--client both|ahc|raw]
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TherapyLedgerCore
import TherapyLedgerServer
import TherapyLedgerStore

let a = BenchArguments()
if let job = a.job { LoadGenerator.run(job) }

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

/// Runs the raw load generator (this executable, as a child process) for `kind`; returns its report and the new
/// events it was acknowledged.
func rawPhase(_ kind: String) async -> (String, Int) {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    child.arguments = ["--generate", kind, "--port", String(running.port), "--token", token, "--clients", String(a.clients),
                       "--appenders", String(a.appenders), "--seconds", String(a.seconds), "--patients", String(a.patients),
                       "--batch", String(a.batch), "--client-base", String(a.appenders + 2)]
    let out = folder + "/generator-\(kind).txt"
    child.arguments? += ["--out", out]
    do { try child.run() } catch { return ("raw \(kind): cannot start the load generator: \(error)", 0) }
    // Waited for on a thread of its own, off the cooperative threads.
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        Thread {
            child.waitUntilExit()
            c.resume()
        }.start()
    }
    let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? "no output (exit status \(child.terminationStatus))"
    let lines = text.split(separator: "\n").map(String.init)
    let acknowledged = lines.last.flatMap { $0.hasPrefix("acknowledged ") ? Int($0.dropFirst(13)) : nil }
    guard let report = lines.first, let acknowledged else { return ("raw \(kind): the load generator failed: \(text)", 0) }
    return (report, acknowledged)
}

let deadline = { (start: Date) in Date().timeIntervalSince(start) < a.seconds }
// Warm-up: every patient's status once.
for p in 0..<min(a.patients, 200) { _ = await call(.GET, "/api/v1/patients/P\(p)/status?asOf=2025-01-01T00:00:00Z") }

func lostLine(acknowledged: Int, before: Int) throws -> String {
    let after = try store.eventCount()
    return "lost events: \(acknowledged - (after - before)) (acknowledged \(acknowledged), in the ledger \(after - before))"
}

// Both status phases first, then both append phases: appends grow each patient's history, and with it a status read.
if a.client != "raw" {
    let statusStart = Date()
    print(await phase("status (\(a.clients) clients, ahc)", clients: a.clients) { c, stats in
        var i = c
        while deadline(statusStart) {
            i = (i &* 1103515245 &+ 12345) & 0x7fffffff
            let t0 = Date()
            let (ok, _) = await call(.GET, "/api/v1/patients/P\(i % a.patients)/status?asOf=2025-01-01T00:00:00Z")
            stats.add(Date().timeIntervalSince(t0), ok: ok)
        }
    })
}
if a.client != "ahc" { print(await rawPhase("status").0) }
if a.client != "raw" {
    let before = try store.eventCount()
    let appendStart = Date()
    let acknowledged = PhaseStats()
    print(await phase("append (\(a.appenders) clients, batches of \(a.batch), ahc)", clients: a.appenders) { c, stats in
        var round = 0
        while deadline(appendStart) {
            round += 1
            let body = appendBatch(client: c, round: round, batch: a.batch, patients: a.patients)
            let t0 = Date()
            let (ok, answer) = await call(.POST, "/api/v1/events", body: body)
            let recorded = ok ? ((try? JSONParser.parse(answer))?["outcomes"].flatMap { if case .array(let o) = $0 { return o.count } else { return nil } } ?? 0) : 0
            stats.add(Date().timeIntervalSince(t0), ok: ok, events: recorded)
            acknowledged.add(0, ok: ok, events: recorded)
        }
    })
    print(try lostLine(acknowledged: acknowledged.events, before: before))
}
if a.client != "ahc" {
    let before = try store.eventCount()
    let (report, acknowledged) = await rawPhase("append")
    print(report)
    print(try lostLine(acknowledged: acknowledged, before: before))
}
try await running.stop()
try await client.shutdown()

// The same batches appended by the library directly, without HTTP: what bounds the append over HTTP.
let directStart = Date()
var directEvents = 0, directBatches = 0
var directLatencies: [Double] = []
while Date().timeIntervalSince(directStart) < a.seconds {
    directBatches += 1
    let body = appendBatch(client: a.appenders + 1, round: directBatches, batch: a.batch, patients: a.patients)
    let t0 = Date()
    directEvents += try store.append(jsonLines: body, source: "the bench", recordedBy: "bench").count
    directLatencies.append(Date().timeIntervalSince(t0))
}
let directElapsed = directLatencies.reduce(0, +)
print(String(format: "store append without HTTP (1 thread, batches of %d): %d batches, %.0f events/s of append time, p50 %.1f ms per batch",
             a.batch, directBatches, Double(directEvents) / directElapsed, (directLatencies.sorted()[directLatencies.count / 2]) * 1000))
