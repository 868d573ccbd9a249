// The raw load generator (`--client raw`): a child process of the bench, one thread per keep-alive connection
// (RawConnection), so that the server's figures are not bounded by an event-loop client in the server's process.
import Foundation
import TherapyLedgerCore

/// What the generator runs: `status` reads or `append` batches, for `seconds`.
struct LoadGeneratorJob {
    var kind: String
    var port: Int
    var token: String
    var clients: Int
    var seconds: Double
    var patients: Int
    var batch: Int
    /// Added to each client's number, so that its batches' times differ from every other phase's.
    var clientBase: Int
    /// Where the report goes (stdout when nil).
    var out: String? = nil
}

/// When the phase started: set once every client is ready, before any is let go.
final class StartClock: @unchecked Sendable {
    var start = Date()
}

enum LoadGenerator {
    /// Runs `job` on its own threads and writes two lines: the phase's report, then `acknowledged N` (new events).
    static func run(_ job: LoadGeneratorJob) -> Never {
        let stats = PhaseStats()
        let ready = DispatchGroup(), done = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        let clock = StartClock()
        for c in 0..<job.clients {
            ready.enter()
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                // The batches are built before the phase starts, so that the client spends (almost) nothing of
                // the shared cores while it is measured: about 10 per second, more built on the way if needed.
                let bodies = job.kind == "append"
                    ? (1...max(1, Int(job.seconds * 10))).map { appendBatch(client: job.clientBase + c, round: $0, batch: job.batch, patients: job.patients) }
                    : []
                ready.leave()
                go.wait()
                drive(job, client: c, start: clock.start, bodies: bodies, stats: stats)
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        ready.wait()
        clock.start = Date()
        for _ in 0..<job.clients { go.signal() }
        done.wait()
        let start = clock.start
        let name = job.kind == "status" ? "status (\(job.clients) clients, raw)" : "append (\(job.clients) clients, batches of \(job.batch), raw)"
        let text = stats.report(name, elapsed: Date().timeIntervalSince(start)) + "\nacknowledged \(stats.events)\n"
        if let out = job.out {
            do { try text.write(toFile: out, atomically: true, encoding: .utf8) } catch {
                print("cannot write \(out): \(error)")
                exit(1)
            }
        } else {
            print(text, terminator: "")
        }
        exit(0)
    }

    /// One client's loop: its latencies, errors and the new events the server acknowledged go into `stats`.
    private static func drive(_ job: LoadGeneratorJob, client c: Int, start: Date, bodies: [[UInt8]], stats: PhaseStats) {
        guard let connection = try? RawConnection(port: job.port) else {
            stats.add(0, ok: false)
            return
        }
        let auth = [("Authorization", "Bearer \(job.token)")]
        let appendHeaders = auth + [("Content-Type", "application/x-ndjson")]
        var i = c, round = 0
        while Date().timeIntervalSince(start) < job.seconds {
            if job.kind == "status" {
                i = (i &* 1103515245 &+ 12345) & 0x7fffffff
                let t0 = Date()
                let answer = try? connection.request("GET", "/api/v1/patients/P\(i % job.patients)/status?asOf=2025-01-01T00:00:00Z", headers: auth)
                stats.add(Date().timeIntervalSince(t0), ok: answer?.status == 200)
            } else {
                round += 1
                let body = round <= bodies.count ? bodies[round - 1]
                                                 : appendBatch(client: job.clientBase + c, round: round, batch: job.batch, patients: job.patients)
                let t0 = Date()
                let answer = try? connection.request("POST", "/api/v1/events", headers: appendHeaders, body: body)
                let ok = answer?.status == 200
                let n = ok ? count(Array("\"duplicate\":false".utf8), in: answer?.body ?? []) : 0
                stats.add(Date().timeIntervalSince(t0), ok: ok, events: n)
            }
        }
    }

    /// How often `needle` occurs in `haystack`.
    static func count(_ needle: [UInt8], in haystack: [UInt8]) -> Int {
        guard !needle.isEmpty, haystack.count >= needle.count else { return 0 }
        var n = 0, i = 0
        let first = needle[0]
        while i <= haystack.count - needle.count {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) {
                n += 1
                i += needle.count
            } else {
                i += 1
            }
        }
        return n
    }
}
