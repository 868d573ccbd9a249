import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

// MARK: - Paths

/// The package root, derived from this file's path (Tests/TherapyLedgerTests/TestSupport.swift).
let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A file under the package root.
func rootPath(_ relative: String) -> String { packageRoot.appendingPathComponent(relative).path }

/// The built CLI (CI runs `swift build` before `swift test`).
let cliPath = rootPath(".build/debug/therapy-ledger")

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Runs `scripts/validate_schemas.py` (python3 with jsonschema) with these arguments.
func validateSchemas(_ arguments: [String]) throws -> ProcessResult {
    let script = rootPath("scripts/validate_schemas.py")
    guard FileManager.default.fileExists(atPath: script) else { throw TestFailure("\(script) is missing") }
    let r = try run("/usr/bin/env", ["python3", script] + arguments)
    if r.stderr.contains("No module named") {
        throw TestFailure("python3 lacks a module the schema validator needs (pip install jsonschema): \(r.stderr)")
    }
    return r
}

/// Fails the test with a clear message when the CLI binary has not been built.
func requireCLI() throws {
    guard FileManager.default.isExecutableFile(atPath: cliPath) else {
        throw TestFailure("the CLI binary is missing at \(cliPath): run `swift build` before `swift test`")
    }
}

// MARK: - Temporary directories

/// A fresh temporary directory, removed when the value is released.
final class TempDir: @unchecked Sendable {
    let url: URL
    var path: String { url.path }

    /// `inMemory`: on the memory file system (/dev/shm) when there is one, for tests that fsync many files
    /// (sync tests write thousands of bundles).
    init(inMemory: Bool = false) {
        let shm = URL(fileURLWithPath: "/dev/shm")
        let base = inMemory && FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
        url = base.appendingPathComponent("tl-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to a file in the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = file(name)
        precondition(FileManager.default.createFile(atPath: p, contents: Data(text.utf8)), "cannot write \(p)")
        return p
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

// MARK: - Running processes

struct ProcessResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var output: String { stdout + stderr }
    var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// Runs an executable to completion, collecting its output (through files, so large output cannot block it).
@discardableResult
func run(_ executable: String, _ arguments: [String], stdin: String? = nil, cwd: String? = nil) throws -> ProcessResult {
    let dir = TempDir()
    let outPath = dir.file("stdout"), errPath = dir.file("stderr")
    guard FileManager.default.createFile(atPath: outPath, contents: nil), FileManager.default.createFile(atPath: errPath, contents: nil) else {
        throw TestFailure("cannot create the output files in \(dir.path)")
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    p.standardOutput = out
    p.standardError = err
    if let stdin {
        let inPath = dir.write("stdin", stdin)
        p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
    } else {
        p.standardInput = FileHandle.nullDevice
    }
    try p.run()
    p.waitUntilExit()
    try out.close()
    try err.close()
    return ProcessResult(
        status: p.terminationStatus,
        stdout: String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self),
        stderr: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
}

/// Runs the built `therapy-ledger` CLI.
@discardableResult
func cli(_ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
    try requireCLI()
    return try run(cliPath, arguments, stdin: stdin)
}

/// Runs a statement with the sqlite3 command-line shell.
@discardableResult
func sqlite(_ db: String, _ sql: String) throws -> ProcessResult {
    try run("/usr/bin/sqlite3", [db, sql])
}

/// The first column of the first row of a query, via sqlite3.
func sqliteValue(_ db: String, _ sql: String) throws -> String {
    let r = try sqlite(db, sql)
    guard r.status == 0 else { throw TestFailure("sqlite3 failed on \(sql): \(r)") }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

let dropTriggersSQL = """
    DROP TRIGGER events_append_only_update; DROP TRIGGER events_append_only_delete;
    DROP TRIGGER heads_append_only_update; DROP TRIGGER heads_append_only_delete;
    """

// MARK: - Building submissions

/// The fixed "now" of validation tests.
let testNow = Timestamp.parse("2025-10-01T12:00:00Z")!

/// A deterministic store environment: a fixed clock and counting ids.
func testEnvironment(now: Timestamp = testNow, idPrefix: String = "0195ffff-0000-7000-8000-") -> LedgerStore.Environment {
    let counter = Counter()
    return LedgerStore.Environment(now: { now }, newID: {
        let n = counter.next()
        let hex = String(n, radix: 16)
        return idPrefix + String(repeating: "0", count: 12 - hex.count) + hex
    })
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

/// A fixed test UUID: `id(5)` is `01950000-0000-7000-8000-000000000005`.
func id(_ n: Int) -> String {
    let s = String(n)
    return "01950000-0000-7000-8000-" + String(repeating: "0", count: 12 - s.count) + s
}

/// One submission line in canonical JSON.
func event(
    _ type: String, patient: String = "P001", at occurredAt: String = "2025-03-01T09:00:00Z", author: String = "dr.test",
    id: String? = nil, reason: String? = nil, data: JSONValue? = .object([:])
) -> String {
    var o: [String: JSONValue] = ["type": .string(type), "patient": .string(patient), "occurredAt": .string(occurredAt), "author": .string(author)]
    if let id { o["id"] = .string(id) }
    if let reason { o["reason"] = .string(reason) }
    if let data { o["data"] = data }
    return CanonicalJSON.string(.object(o))
}

/// Parses a JSON literal written in a test (fails the test on invalid JSON).
func json(_ text: String) -> JSONValue {
    do { return try JSONParser.parse(text) } catch { fatalError("bad JSON in test: \(error): \(text)") }
}

func enrol(_ patient: String = "P001", id: String? = nil, at: String = "2025-01-01T09:00:00Z") -> String {
    event("patient.enrolled", patient: patient, at: at, id: id, data: json(#"{"indication":"spinal-cord-injury","origin":"spinal"}"#))
}

func implant(_ patient: String = "P001", id: String? = nil, at: String = "2025-02-01T09:00:00Z", reservoirMl: Double = 20, fillMl: Double = 20) -> String {
    event("pump.implanted", patient: patient, at: at, id: id, data: .object([
        "pumpModel": .string("SynchroMed II"), "pumpSerial": .string("NGP1"), "reservoirMl": .number(reservoirMl),
        "concentrationMcgPerMl": .number(2000), "fillMl": .number(fillMl), "dailyDoseMcg": .number(100),
    ]))
}

func dose(_ patient: String = "P001", id: String? = nil, at: String = "2025-03-01T09:00:00Z", mcg: Double = 150) -> String {
    event("dose.programmed", patient: patient, at: at, id: id, data: .object(["dailyDoseMcg": .number(mcg)]))
}

func assessment(_ patient: String = "P001", id: String? = nil, at: String = "2025-03-02T09:00:00Z", penn: Int = 2) -> String {
    event("assessment.recorded", patient: patient, at: at, id: id, data: .object(["pennSpasmFrequency": .number(Double(penn))]))
}

// MARK: - Validation helpers

/// The outcome of validating a batch: entries, or every error.
enum BatchOutcome {
    case accepted([BatchValidator.Entry])
    case rejected([FieldError])

    var errors: [FieldError] {
        if case .rejected(let e) = self { return e }
        return []
    }
    var entries: [BatchValidator.Entry]? {
        if case .accepted(let e) = self { return e }
        return nil
    }
}

/// Validates JSON Lines against a context, with deterministic ids.
func validateBatch(_ lines: [String], context: some LedgerContext = InMemoryLedgerContext(), now: Timestamp = testNow) -> BatchOutcome {
    validateBatch(text: lines.joined(separator: "\n") + "\n", context: context, now: now)
}

func validateBatch(text: String, context: some LedgerContext = InMemoryLedgerContext(), now: Timestamp = testNow) -> BatchOutcome {
    let counter = Counter()
    do {
        let entries = try BatchValidator.validate(jsonLines: Array(text.utf8), context: context, now: now, newID: {
            let n = String(counter.next())
            return "0195eeee-0000-7000-8000-" + String(repeating: "0", count: 12 - n.count) + n
        })
        return .accepted(entries)
    } catch let rejected as BatchRejected {
        return .rejected(rejected.errors)
    } catch {
        return .rejected([FieldError(field: "?", message: "unexpected error \(error)")])
    }
}

/// An in-memory ledger holding a validated batch, as if it had been appended.
func contextHolding(_ lines: [String], now: Timestamp = testNow) throws -> InMemoryLedgerContext {
    guard let entries = validateBatch(lines, now: now).entries else {
        throw TestFailure("the context batch is invalid: \(validateBatch(lines, now: now).errors)")
    }
    var ctx = InMemoryLedgerContext()
    var prev = ChainHash.genesis
    var recorded: [RecordedEvent] = []
    for (i, e) in entries.enumerated() where !e.isDuplicate {
        let r = RecordedEvent.seal(e.submission, id: e.id, site: "north", seq: Int64(i + 1), recordedAt: testNow,
                                   clock: VectorClock(["north": Int64(i + 1)]), prev: prev)
        prev = r.hash
        recorded.append(r)
    }
    ctx.add(recorded)
    return ctx
}

/// Lines of a text file (non-blank).
func fileLines(_ path: String) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { throw TestFailure("cannot read \(path)") }
    return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        .map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
}

// MARK: - Ledgers

/// A ledger in a temporary directory, created with the library.
struct TestLedger {
    let dir: TempDir
    let path: String
    /// One environment for the ledger's life, so that generated ids never repeat.
    let environment: LedgerStore.Environment
    var keyPath: String { path + ".key" }

    init(site: String = "north", environment: LedgerStore.Environment = testEnvironment()) throws {
        dir = TempDir()
        path = dir.file("ledger.sqlite")
        self.environment = environment
        try LedgerStore.create(at: path, site: site, network: "test", environment: environment)
    }

    func open() throws -> LedgerStore {
        try LedgerStore.open(at: path, environment: environment)
    }

    @discardableResult
    func append(_ lines: [String]) throws -> [AppendOutcome] {
        try open().append(jsonLines: Array((lines.joined(separator: "\n") + "\n").utf8))
    }

    func count() throws -> Int { try open().eventCount() }
}

/// A ledger with one patient and `n` events in total (an enrolment, an implant, then programmings), appended in batches of `batch`.
func ledgerWithEvents(_ n: Int = 10, batch: Int = 5) throws -> TestLedger {
    let l = try TestLedger()
    var lines = [enrol("P001", id: id(1)), implant("P001", id: id(2), at: "2025-02-01T09:00:00Z")]
    for i in stride(from: 3, through: n, by: 1) { lines.append(dose("P001", id: id(i), at: "2025-03-01T09:\(String(format: "%02d", i % 60)):00Z", mcg: Double(100 + i))) }
    var i = 0
    while i < lines.count {
        try l.append(Array(lines[i..<min(i + batch, lines.count)]))
        i += batch
    }
    return l
}

/// `n` generated events for an enrolled patient, as JSON Lines text (fast: no per-line encoding):
/// assessments by default (cheap to project), or dose programmings.
func generatedBatch(patient: String, count n: Int, tag: String, doses: Bool = false) -> String {
    var s = ""
    s.reserveCapacity(n * 140)
    for i in 0..<n {
        let data = doses ? #""dose.programmed","data":{"dailyDoseMcg":"# + String(100 + i % 500) + "}"
            : #""assessment.recorded","data":{"pennSpasmFrequency":"# + String(i % 5) + "}"
        s += #"{"patient":""# + patient + #"","occurredAt":"2025-03-01T09:00:00Z","author":""# + tag + #"","type":"# + data + "}\n"
    }
    return s
}

/// A fixture file: `Tests/Fixtures/NAME`, or under `$THERAPY_LEDGER_FIXTURES` when set (to try edited fixtures).
func fixturePath(_ name: String) -> String {
    if let dir = ProcessInfo.processInfo.environment["THERAPY_LEDGER_FIXTURES"], !dir.isEmpty {
        return URL(fileURLWithPath: dir).appendingPathComponent(name).path
    }
    return rootPath("Tests/Fixtures/" + name)
}
