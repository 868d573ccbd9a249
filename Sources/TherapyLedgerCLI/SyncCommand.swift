import ArgumentParser
import Foundation
import TherapyLedgerCore
import TherapyLedgerStore

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Exchange signed bundles with other sites: as files, or over the network with a site server.",
        subcommands: [SyncClockCommand.self, SyncExportCommand.self, SyncImportCommand.self, SyncPushCommand.self, SyncPullCommand.self])
}

struct SyncClockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clock", abstract: "Print this ledger's vector clock as JSON.")
    @OptionGroup var options: LedgerOptions

    func run() throws {
        Output.line(try options.openReadOnly().clock().description)
    }
}

struct SyncExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a bundle of every event this ledger has that a clock lacks (default: everything).")
    @OptionGroup var options: LedgerOptions
    @Option(help: ArgumentHelp("The bundle file to write (an existing file only with --force).", valueName: "FILE")) var out: String
    @Flag(help: "Replace --out when it is an existing file (a device or FIFO is written into without it).") var force = false
    @Option(help: ArgumentHelp("A file holding the receiving site's clock (from `sync clock`).", valueName: "CLOCK-FILE")) var since: String?
    @Option(help: ArgumentHelp("Use the clock SITE reported in its latest bundle.", valueName: "SITE")) var peer: String?
    @Flag(help: "Write the bundle gzip-compressed (about a fifth of the size); `sync import` reads either kind.") var compress = false

    func validate() throws {
        if since != nil && peer != nil { throw ValidationError("give --since or --peer, not both") }
    }

    func run() throws {
        let store = try options.openReadOnly()
        var clock = VectorClock()
        if let since {
            let data = try InputFile.read(since, limit: BundleHeader.maxHeaderBytes, what: "clock file")
            guard let value = try? JSONParser.parse(data), let c = VectorClock(json: value) else {
                throw CLIError("\(since) is not a vector clock: expected JSON like {\"north\":120,\"south\":48} (from `therapy-ledger sync clock`)")
            }
            clock = c
        } else if let peer {
            guard let c = try store.peerClock(peer) else {
                throw CLIError("no bundle from site \(peer) has been imported yet, so its clock is unknown: use --since CLOCK-FILE, or no option to send everything")
            }
            clock = c
        }
        let report = try store.exportBundle(to: out, since: clock, force: force, compress: compress)
        Output.line("wrote \(Plural.count(report.events, "event")) (\(Plural.count(report.bytes, "byte"))) to \(out), since \(report.since), clock \(report.clock)")
    }
}

struct SyncImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a bundle, all or nothing. Conflicts are data (shown by alerts), not a failure.")
    @OptionGroup var options: LedgerOptions
    @Argument(help: "The bundle file.") var file: String

    func run() throws {
        let store = try options.open()
        do {
            let r = try store.importBundle(from: file)
            Output.line("imported \(file) from \(r.sender): \(r.newEvents) new, \(r.duplicates) duplicate, \(Plural.count(r.conflicts, "conflict"))")
            for q in r.quarantined {
                Output.line("quarantined \(q): kept in the chain, left out of every projection (see the patient's status)")
            }
        } catch let e as SyncError {
            Output.error(e.keptForkEvidence ? "import refused; only the fork evidence was written: \(e.message)"
                                            : "import refused, nothing written: \(e.message)")
            throw ExitStatus.dataFailure
        }
    }
}

struct SitesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sites",
        abstract: "List the known sites and their pinned keys, or trust a site's key fingerprint.",
        subcommands: [SitesListCommand.self, SitesTrustCommand.self],
        defaultSubcommand: SitesListCommand.self)
}

struct SitesListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List each known site with its pinned key fingerprint, last seq and last bundle seen (the default).")
    @OptionGroup var options: LedgerOptions
    @Flag(help: "Print this site's public key (hex), for a peer to pin.") var key = false
    @Option(help: ArgumentHelp("Pin a peer site's public key so that it can sync over the network.", valueName: "SITE=KEY")) var pin: String?

    func run() throws {
        // Only --pin writes: everything else reads (a ledger on read-only media can be listed).
        let store = try pin == nil ? options.openReadOnly() : options.open()
        if key {
            Output.line(try store.publicKeyHex)
            return
        }
        if let pin {
            let parts = pin.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--pin \(pin): expected SITE=KEY, KEY being the site's `therapy-ledger sites --key` output") }
            try store.pin(site: parts[0], publicKeyHex: parts[1])
            Output.line("pinned \(parts[0]) with key \(SignedHead.fingerprint(publicKeyHex: parts[1]))")
            return
        }
        for p in try store.peerSyncs() {
            Output.line("peer \(p.peer)\(p.site.map { " (\($0))" } ?? "")  last successful sync \(p.lastSuccess ?? "never")\(p.lastError.map { "  last error: \($0)" } ?? "")")
        }
        for s in try store.sites() {
            Output.line("\(s.site)\(s.site == store.site ? " (this site)" : "")  \(s.fingerprint)  last seq \(s.lastSeq)  pinned \(s.pinnedAt)  last bundle \(s.lastBundle ?? "-")")
        }
        for (site, fingerprint) in try store.awaitingTrust().sorted(by: { $0.key < $1.key }) {
            Output.line("\(site)  \(fingerprint)  trusted, key not seen yet")
        }
    }
}

struct SitesTrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Trust SITE's key by its fingerprint, confirmed with its administrator out of band: bundles relayed by other sites may then carry its events.")
    @OptionGroup var options: LedgerOptions
    @Argument(help: "The site whose key to trust.") var site: String
    @Argument(help: ArgumentHelp("Its key fingerprint, as `sites list` prints it at that site (SHA256:...).", valueName: "FINGERPRINT")) var fingerprint: String

    func run() throws {
        let store = try options.open()
        switch try store.trust(site: site, fingerprint: fingerprint) {
        case .confirmedPinnedKey:
            Output.line("\(site): the pinned key matches \(fingerprint); its pin is now signed as trusted")
        case .awaitingKey:
            Output.line("\(site): \(fingerprint) trusted; the first bundle presenting this key for \(site) pins it")
        }
    }
}
