import ArgumentParser
import Foundation
import TherapyLedgerCore
import TherapyLedgerStore

struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Add, list and revoke the site server's users (append-only; takes effect at once).",
        subcommands: [UsersAddCommand.self, UsersListCommand.self, UsersRevokeCommand.self])
}

struct UsersAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a user; prints the user's API token once, alone on the last line (it is stored only as a hash).")
    @OptionGroup var options: LedgerOptions
    @Argument(help: "The user's name (lowercase letters, digits, '.', '_', '-').") var name: String
    @Option(help: ArgumentHelp("One of: \(UserRole.names).", valueName: "ROLE")) var role: String

    func validate() throws {
        guard UserRole(rawValue: role) != nil else { throw ValidationError("--role \(role): expected one of \(UserRole.names)") }
    }

    func run() throws {
        guard let role = UserRole(rawValue: role) else { throw ValidationError("--role \(self.role): expected one of \(UserRole.names)") }
        let token = try options.open().addUser(name: name, role: role, by: OSUser.name)
        Output.line("added user \(name) with role \(role.rawValue), by \(OSUser.name); the token below is shown only once:")
        Output.line(token)
    }
}

struct UsersListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every user with role, creation time and creator, and revocation.")
    @OptionGroup var options: LedgerOptions
    @Flag(help: "JSON Lines output.") var json = false

    func run() throws {
        let users = try options.open().users()
        var out = ""
        for u in users {
            if json {
                var o: [String: JSONValue] = ["name": .string(u.name), "role": .string(u.role.rawValue), "createdAt": .string(u.createdAt),
                                              "createdBy": .string(u.createdBy), "active": .bool(u.isActive)]
                if let at = u.revokedAt { o["revokedAt"] = .string(at) }
                if let by = u.revokedBy { o["revokedBy"] = .string(by) }
                out += CanonicalJSON.string(.object(o)) + "\n"
            } else {
                out += "\(u.name)  \(u.role.rawValue)  added \(u.createdAt) by \(u.createdBy)"
                out += u.revokedAt.map { "  REVOKED \($0) by \(u.revokedBy ?? "?")" } ?? "" 
                out += "\n"
            }
        }
        if !json && users.isEmpty { out = "no users: add one with `therapy-ledger users add NAME --role ROLE`\n" }
        Output.write(Array(out.utf8))
    }
}

struct UsersRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "End a user's access at once (a running server sees it on the next request).")
    @OptionGroup var options: LedgerOptions
    @Argument(help: "The user's name.") var name: String

    func run() throws {
        try options.open().revokeUser(name: name, by: OSUser.name)
        Output.line("revoked user \(name), by \(OSUser.name)")
    }
}
