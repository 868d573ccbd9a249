import Foundation
import Testing
@testable import TherapyLedgerCore

/// One `$ command` of a README console block and the output shown after it.
struct ConsoleStep: CustomStringConvertible {
    /// The command, with its here-document lines when it has one.
    var command: String
    /// The output lines shown; `...` in a line stands for any text.
    var expected: [String]
    var description: String { command.split(separator: "\n").first.map(String.init) ?? command }

    /// Whether `actual` matches `pattern`, where each `...` stands for any text.
    static func matches(_ actual: String, _ pattern: String) -> Bool {
        let parts = pattern.components(separatedBy: "...")
        guard parts.count > 1 else { return actual == pattern }
        guard let first = parts.first, let last = parts.last, actual.hasPrefix(first) else { return false }
        var rest = Substring(actual.dropFirst(first.count))
        for middle in parts.dropFirst().dropLast() {
            guard let r = rest.range(of: middle) else { return false }
            rest = rest[r.upperBound...]
        }
        return rest.hasSuffix(last)
    }
}

/// The steps of every fenced block tagged ` ```console TAG ` in `markdown`, in order. A command starts at
/// `$ `; a command with `<<'EOF'` takes the following lines up to `EOF`; the lines after it until the next
/// command are its output.
func consoleSteps(_ markdown: String, tag: String) -> [ConsoleStep] {
    var steps: [ConsoleStep] = []
    var inBlock = false
    var lines = markdown.components(separatedBy: "\n")[...]
    while let line = lines.popFirst() {
        if !inBlock {
            inBlock = line == "```console \(tag)"
            continue
        }
        if line == "```" { inBlock = false; continue }
        if line.hasPrefix("$ ") {
            var command = String(line.dropFirst(2))
            if line.contains("<<'EOF'") {
                while let next = lines.popFirst() {
                    command += "\n" + next
                    if next == "EOF" { break }
                }
            }
            steps.append(ConsoleStep(command: command, expected: []))
        } else if !steps.isEmpty {
            steps[steps.count - 1].expected.append(line)
        }
    }
    return steps
}

/// Runs the steps in order in one shell in `dir`, with the built CLI first on the PATH; returns each step's
/// output (standard output and error together).
func runConsoleSteps(_ steps: [ConsoleStep], in dir: String) throws -> [String] {
    try requireCLI()
    let marker = "@@step-\(UUID().uuidString)@@"
    var script = "set +e\nunset THERAPY_LEDGER\n"
    for step in steps {
        script += "echo '\(marker)'\n{ \(step.command)\n} 2>&1\n"
    }
    script += "echo '\(marker)'\n"
    let binDir = (cliPath as NSString).deletingLastPathComponent
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let r = try run("/usr/bin/env", ["PATH=\(binDir):\(path)", "/bin/sh", "-c", script], cwd: dir)
    var outputs = r.stdout.components(separatedBy: marker + "\n")
    outputs.removeFirst()
    guard outputs.count == steps.count + 1 else { throw TestFailure("the walkthrough script stopped early: \(r)") }
    return Array(outputs.dropLast())
}

@Suite struct ReadmeWalkthroughTests {
    let readme = rootPath("README.md")

    @Test func recordYourFirstPatientRunsAsWritten() throws {
        // Given the README's "Record your first patient" commands
        let text = try String(contentsOfFile: readme, encoding: .utf8)
        #expect(text.contains("## Record your first patient"))
        let steps = consoleSteps(text, tag: "first-patient")
        #expect(steps.count >= 12, "the walkthrough lost its steps: \(steps)")
        // When they run in an empty folder
        let dir = TempDir()
        let outputs = try runConsoleSteps(steps, in: dir.path)
        // Then every output is the one shown
        for (step, output) in zip(steps, outputs) {
            let actual = output.isEmpty ? [] : output.dropLast(output.hasSuffix("\n") ? 1 : 0).components(separatedBy: "\n")
            let same = actual.count == step.expected.count && zip(actual, step.expected).allSatisfy { ConsoleStep.matches($0, $1) }
            #expect(same, "README step `\(step)`:\nexpected\n\(step.expected.joined(separator: "\n"))\ngot\n\(actual.joined(separator: "\n"))")
        }
        // And it records what it says, in a folder of its own.
        #expect(FileManager.default.fileExists(atPath: dir.file("first-patient/therapy-ledger.sqlite")))
    }

    @Test func everyExampleAppendsToTheWalkthroughLedger() throws {
        // Given the ledger the walkthrough leaves
        let text = try String(contentsOfFile: readme, encoding: .utf8)
        let dir = TempDir()
        _ = try runConsoleSteps(consoleSteps(text, tag: "first-patient"), in: dir.path)
        let ledger = dir.file("first-patient/therapy-ledger.sqlite")
        // When the example of every type is piped into append, in the order of the types
        for type in EventType.allCases {
            let example = try cli(["example", type.rawValue])
            #expect(example.status == 0, "\(type.rawValue): \(example)")
            #expect(example.stdout.split(separator: "\n").count == 1, "one line: \(example.stdout)")
            let appended = try cli(["append", "--ledger", ledger], stdin: example.stdout)
            // Then each appends (or repeats a walkthrough line)
            #expect(appended.status == 0, "example \(type.rawValue) does not append after the walkthrough: \(appended)")
            #expect(appended.stdout.hasPrefix("appended ") || appended.stdout.hasPrefix("duplicate "), "\(appended)")
        }
        #expect(try cli(["verify", "--ledger", ledger]).status == 0)
    }

    @Test func theStepPatternMatchesOnlyWhatItShows() {
        #expect(ConsoleStep.matches("key fingerprint: SHA256:abc", "key fingerprint: SHA256:..."))
        #expect(ConsoleStep.matches("a b c", "a ... c"))
        #expect(!ConsoleStep.matches("a b d", "a ... c"))
        #expect(!ConsoleStep.matches("x", "y"))
        #expect(ConsoleStep.matches("same", "same"))
    }
}
