import ArgumentParser
import Foundation

@main
struct TherapyLedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "therapy-ledger",
        abstract: "An append-only, signed ledger of intrathecal baclofen pump therapy.",
        discussion: """
            Global option: --ledger PATH (default: $THERAPY_LEDGER, else ./therapy-ledger.sqlite), before or after the subcommand. \
            New here: `therapy-ledger example` lists the event types, `therapy-ledger example TYPE` prints a line to append. \
            \(ExitStatus.summary)
            """,
        subcommands: [
            InitCommand.self, AppendCommand.self, ExampleCommand.self, LogCommand.self, VerifyCommand.self, BackupCommand.self,
            StatusCommand.self, TimelineCommand.self, WorklistCommand.self, ReplayCommand.self,
            SyncCommand.self, SitesCommand.self, ExportCommand.self, ReportCommand.self, GenerateCommand.self, DemoCommand.self,
            ServeCommand.self, UsersCommand.self, AccessLogCommand.self,
        ])

    /// Accepts the global `--ledger PATH` before the subcommand too (`therapy-ledger --ledger x.sqlite status ...`)
    /// by handing it to the subcommand through `THERAPY_LEDGER`.
    static func main() {
        var args = Array(CommandLine.arguments.dropFirst())
        var i = 0
        while i < args.count, args[i].hasPrefix("-") {
            if args[i] == "--ledger", i + 1 < args.count {
                setenv("THERAPY_LEDGER", args[i + 1], 1)
                args.removeSubrange(i...(i + 1))
            } else if args[i].hasPrefix("--ledger=") {
                setenv("THERAPY_LEDGER", String(args[i].dropFirst("--ledger=".count)), 1)
                args.remove(at: i)
            } else {
                i += 1
            }
        }
        if args.first == "help" { checkHelpTopic(Array(args.dropFirst())) }
        var command: ParsableCommand
        do {
            command = try parseAsRoot(args)
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let error as ValidationError {
            // A subcommand's own check failed in run(): show that subcommand's usage, not the top-level one.
            usageFailure(error.message, for: type(of: command))
        } catch {
            exit(withError: error)
        }
    }

    /// `help NAME...` for names that are not commands exits with the usage status instead of showing the top help.
    static func checkHelpTopic(_ names: [String]) {
        var current: ParsableCommand.Type = TherapyLedgerCommand.self
        for name in names where !name.hasPrefix("-") {
            let children = current.configuration.subcommands
            guard let next = children.first(where: { $0._commandName == name }) else {
                let path = (commandPath(current) + [name]).dropFirst().joined(separator: " ")
                let known = children.map { $0._commandName }.joined(separator: ", ")
                Output.error("Error: unknown command '\(path)': expected one of \(known)")
                Output.error("Usage: therapy-ledger help <subcommand>")
                Foundation.exit(ExitStatus.usage)
            }
            current = next
        }
    }

    /// Prints `Error: message`, the usage of `command` and where its help is, then exits with ``ExitStatus/usage``.
    static func usageFailure(_ message: String, for command: ParsableCommand.Type) -> Never {
        let usage = usageString(for: command)
        let names = commandPath(command).joined(separator: " ")
        Output.error("Error: \(message)")
        Output.error("Usage: \(usage)")
        Output.error("  See '\(names) --help' for more information.")
        Foundation.exit(ExitStatus.usage)
    }

    /// The command names from the root down to `command` (`therapy-ledger sync export`).
    static func commandPath(_ command: ParsableCommand.Type) -> [String] {
        func search(_ node: ParsableCommand.Type, _ path: [String]) -> [String]? {
            let here = path + [node._commandName]
            if node == command { return here }
            for child in node.configuration.subcommands {
                if let found = search(child, here) { return found }
            }
            return nil
        }
        return search(TherapyLedgerCommand.self, []) ?? ["therapy-ledger", command._commandName]
    }
}
