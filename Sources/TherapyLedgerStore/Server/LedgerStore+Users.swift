import Crypto
import Foundation
import GRDB
import TherapyLedgerCore

/// What a site-server user may do (see the role table in the README).
public enum UserRole: String, CaseIterable, Sendable, Hashable {
    /// Records events and reads patients' status, timelines, the worklist and identified exports.
    case clinician
    /// Reads patients' status, timelines, the worklist, identified exports, `verify` and the access log.
    case auditor
    /// Reads pseudonymized exports only.
    case analyst
    /// Reads `verify` and the access log; no patient data.
    case admin

    /// The role names, for messages.
    public static let names = allCases.map(\.rawValue).joined(separator: ", ")
}

/// A user of the site server, as the append-only users log says.
public struct LedgerUser: Sendable, Hashable {
    public var name: String
    public var role: UserRole
    /// SHA-256 (hex) of the user's token; the token itself is never stored.
    public var tokenSHA256: String
    public var createdAt: String
    /// Who added the user (an operating-system user).
    public var createdBy: String
    /// When and by whom the user was revoked; nil while the user is active.
    public var revokedAt: String?
    public var revokedBy: String?
    public var isActive: Bool { revokedAt == nil }
}

extension LedgerStore {
    /// Whether `name` can name a user: 1-64 of lowercase letters, digits, '.', '_' and '-', starting with a letter or digit.
    public static func isUserName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 64 else { return false }
        let allowed: (Unicode.Scalar) -> Bool = { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-" }
        return allowed(first) && first != "." && first != "_" && first != "-" && name.unicodeScalars.allSatisfy(allowed)
    }

    /// The SHA-256 (hex) under which a token is stored and looked up.
    public static func tokenDigest(_ token: String) -> String { ChainHash.sha256Hex(Array(token.utf8)) }

    /// Adds a user with `role`, recorded as done by `by` now; returns the new token (shown once, stored only as a hash).
    public func addUser(name: String, role: UserRole, by: String) throws -> String {
        guard Self.isUserName(name) else {
            throw StoreError("invalid user name \"\(name)\": use 1-64 of lowercase letters, digits, '.', '_' and '-', starting with a letter or digit")
        }
        var random = SystemRandomNumberGenerator()
        let token = "tl_" + ChainHash.hex((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        try db.write { db in
            if let existing = try Self.users(db).first(where: { $0.name == name }) {
                throw StoreError(existing.isActive
                    ? "user \(name) already exists (role \(existing.role.rawValue)): choose another name, or `users revoke \(name)` first"
                    : "user \(name) was revoked at \(existing.revokedAt ?? "?"): names are never reused, so that the access log stays unambiguous; choose another name")
            }
            try db.execute(sql: "INSERT INTO users_log (name, action, role, token_sha256, by, at) VALUES (?, 'add', ?, ?, ?, ?)",
                           arguments: [name, role.rawValue, Self.tokenDigest(token), by, environment.now().iso8601])
        }
        return token
    }

    /// Revokes `name` at once (a running server sees it on its next request), recorded as done by `by` now.
    public func revokeUser(name: String, by: String) throws {
        try db.write { db in
            guard let user = try Self.users(db).first(where: { $0.name == name }) else {
                throw StoreError("no user \(name): `therapy-ledger users list` shows who exists")
            }
            guard user.isActive else { throw StoreError("user \(name) was already revoked at \(user.revokedAt ?? "?") by \(user.revokedBy ?? "?")") }
            try db.execute(sql: "INSERT INTO users_log (name, action, by, at) VALUES (?, 'revoke', ?, ?)",
                           arguments: [name, by, environment.now().iso8601])
        }
    }

    /// Every user ever added, revoked ones included, in the order they were added.
    public func users() throws -> [LedgerUser] {
        try db.read { db in try Self.users(db) }
    }

    /// A number that changes whenever a user is added or revoked: a server re-reads the users when it moves
    /// (read in the request's own snapshot, ``LedgerSnapshot/usersVersion()``).
    static func usersVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(rowid) FROM users_log")) ?? 0
    }

    static func users(_ db: Database) throws -> [LedgerUser] {
        var users: [LedgerUser] = []
        var index: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, action, role, token_sha256, by, at FROM users_log ORDER BY rowid") {
            let name: String = row[0]
            if (row[1] as String) == "add" {
                let roleName: String? = row[2], digestValue: String? = row[3]
                guard let role = roleName.flatMap(UserRole.init(rawValue:)), let digest = digestValue else { continue }
                index[name] = users.count
                users.append(LedgerUser(name: name, role: role, tokenSHA256: digest, createdAt: row[5], createdBy: row[4]))
            } else if let i = index[name], users[i].revokedAt == nil {
                users[i].revokedAt = row[5]
                users[i].revokedBy = row[4]
            }
        }
        return users
    }
}
