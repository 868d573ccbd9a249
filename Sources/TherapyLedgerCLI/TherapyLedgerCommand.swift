import ArgumentParser
import Foundation

@main
struct TherapyLedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "therapy-ledger",
        abstract: "An append-only, signed ledger of intrathecal baclofen pump therapy.",
        discussion: "Global option: --ledger PATH (default: $THERAPY_LEDGER, else ./therapy-ledger.sqlite), before or after the subcommand.",
        subcommands: [
            InitCommand.self, AppendCommand.self, LogCommand.self, VerifyCommand.self, BackupCommand.self,
            StatusCommand.self, TimelineCommand.self, WorklistCommand.self, ReplayCommand.self,
            SyncCommand.self, SitesCommand.self, ExportCommand.self, GenerateCommand.self, DemoCommand.self,
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
        main(args)
    }
}
