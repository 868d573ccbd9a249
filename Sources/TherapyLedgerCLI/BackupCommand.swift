import ArgumentParser
import TherapyLedgerStore

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the ledger while others keep writing (SQLite online backup).")

    @OptionGroup var options: LedgerOptions

    @Option(help: ArgumentHelp("The copy to write (an existing file only with --force).", valueName: "FILE"))
    var out: String

    @Flag(help: "Replace --out when it is an existing file (a device or FIFO is written into without it).")
    var force = false

    func run() throws {
        let store = try options.openReadOnly()
        try store.backup(to: out, force: force)
        Output.line("backup written to \(out) (the key file is not copied; verify the copy with --ledger \(out))")
    }
}
