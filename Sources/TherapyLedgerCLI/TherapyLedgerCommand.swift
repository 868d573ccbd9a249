import ArgumentParser

@main
struct TherapyLedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "therapy-ledger",
        abstract: "An append-only, signed ledger of intrathecal baclofen pump therapy.",
        subcommands: [
            InitCommand.self, AppendCommand.self, LogCommand.self, VerifyCommand.self, BackupCommand.self,
            StatusCommand.self, TimelineCommand.self, WorklistCommand.self, ReplayCommand.self,
            SyncCommand.self, SitesCommand.self,
        ])
}
