import ArgumentParser
import Foundation
import TherapyLedgerStore

/// The global `--ledger PATH` option.
struct LedgerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The ledger file (default: $THERAPY_LEDGER, else ./therapy-ledger.sqlite).", valueName: "PATH"))
    var ledger: String?

    var path: String {
        if let ledger { return ledger }
        if let env = ProcessInfo.processInfo.environment["THERAPY_LEDGER"], !env.isEmpty { return env }
        return "therapy-ledger.sqlite"
    }

    func open() throws -> LedgerStore { try LedgerStore.open(at: path) }

    /// Opens the ledger read-only, for commands that only read (a ledger on read-only media can be read).
    func openReadOnly() throws -> LedgerStore { try LedgerStore.open(at: path, readOnly: true) }
}
