import ArgumentParser
import TherapyLedgerCore
import TherapyLedgerStore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new ledger for this site, and its signing key beside it (LEDGER.key, mode 0600).")

    @OptionGroup var options: LedgerOptions

    @Option(help: "This site's name: 1-32 of lowercase letters, digits and '-'.")
    var site: String

    @Option(help: "The network of sites that sync with each other.")
    var network: String = "default"

    func validate() throws {
        guard Identifiers.isSiteName(site) else { throw ValidationError("--site \(site): use 1-32 of lowercase letters, digits and '-'") }
        guard Identifiers.isSiteName(network) else { throw ValidationError("--network \(network): use 1-32 of lowercase letters, digits and '-'") }
    }

    func run() throws {
        let store = try LedgerStore.create(at: options.path, site: site, network: network)
        let key = try SiteKey.load(from: store.keyPath)
        Output.line("created ledger \(store.path) for site \(site) in network \(network)")
        Output.line("signing key: \(store.keyPath) (keep it private; back it up apart from the ledger)")
        Output.line("key fingerprint: \(SignedHead.fingerprint(publicKeyHex: key.publicKeyHex))")
    }
}

