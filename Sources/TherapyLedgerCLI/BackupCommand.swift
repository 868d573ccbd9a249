import ArgumentParser
import TherapyLedgerStore

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the ledger while others keep writing (SQLite online backup).")

    @OptionGroup var options: LedgerOptions

    @Option(help: ArgumentHelp("The copy to write; never overwritten.", valueName: "FILE"))
    var out: String

    func run() throws {
        let store = try options.open()
        try store.backup(to: out)
        Output.line("backup written to \(out) (the key file is not copied; verify the copy with --ledger \(out))")
    }
}
