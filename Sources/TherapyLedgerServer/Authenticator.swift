import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import TherapyLedgerStore

/// Bearer-token authentication against the ledger's users, re-read whenever they change (a cheap version
/// check per request, in the same read as the request's own when it reads), and a limit on failed attempts per
/// client address.
final class Authenticator: Sendable {
    let store: LedgerStore
    private let cache = NIOLockedValueBox<(version: Int64, byDigest: [String: LedgerUser])>((-1, [:]))
    private let failures = NIOLockedValueBox<[String: [Date]]>([:])
    /// Failed attempts allowed per address within ``failureWindow`` before answers become 429.
    static let maxFailures = 10
    static let failureWindow: TimeInterval = 300

    init(store: LedgerStore) { self.store = store }

    /// The active user holding the token in `authorization` (`Bearer TOKEN`), or a 401 (429 when rate-limited).
    func authenticate(authorization: String?, remote: String?) throws -> LedgerUser {
        try store.withSnapshot { try authenticate(authorization: authorization, remote: remote, in: $0) }
    }

    /// ``authenticate(authorization:remote:)`` in the snapshot the request is then answered from: the users as of
    /// that commit, checked by one statement in the same read.
    func authenticate(authorization: String?, remote: String?, in snapshot: LedgerSnapshot) throws -> LedgerUser {
        let address = remote ?? "unknown"
        if let wait = retryAfter(address) {
            var p = Problem(.tooManyRequests, "too-many-failed-authentications",
                            "too many failed authentications from \(address): wait \(wait) s before trying again")
            p.headers[.retryAfter] = String(wait)
            throw p
        }
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            fail(address)
            throw Problem.unauthorized("no credentials: send the header Authorization: Bearer TOKEN with the token `therapy-ledger users add` printed")
        }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        let digest = LedgerStore.tokenDigest(token)
        let users = try currentUsers(in: snapshot)
        guard let user = users[digest] else {
            fail(address)
            throw Problem.unauthorized("the token is not valid: it is unknown or its user was revoked (ask an administrator for `therapy-ledger users add`)")
        }
        return user
    }

    /// The active users by token digest, re-read when the users log has moved.
    func currentUsers() throws -> [String: LedgerUser] {
        try store.withSnapshot { try currentUsers(in: $0) }
    }

    /// ``currentUsers()`` as of `snapshot`.
    func currentUsers(in snapshot: LedgerSnapshot) throws -> [String: LedgerUser] {
        let version = try snapshot.usersVersion()
        if let hit = cache.withLockedValue({ $0.version == version ? $0.byDigest : nil }) { return hit }
        var map: [String: LedgerUser] = [:]
        for user in try snapshot.users() where user.isActive { map[user.tokenSHA256] = user }
        cache.withLockedValue { $0 = (version, map) }
        return map
    }

    func fail(_ address: String) {
        let now = Date()
        failures.withLockedValue { table in
            var list = table[address, default: []].filter { now.timeIntervalSince($0) < Self.failureWindow }
            list.append(now)
            table[address] = list
            if table.count > 10_000 { table = table.filter { !$0.value.isEmpty && now.timeIntervalSince($0.value[$0.value.count - 1]) < Self.failureWindow } }
        }
    }

    /// Seconds to wait, when `address` has failed too often lately.
    func retryAfter(_ address: String) -> Int? {
        let now = Date()
        return failures.withLockedValue { table -> Int? in
            let recent = table[address, default: []].filter { now.timeIntervalSince($0) < Self.failureWindow }
            guard recent.count >= Self.maxFailures, let oldest = recent.first else { return nil }
            return max(1, Int((Self.failureWindow - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }
}
