import Foundation
import NIOConcurrencyHelpers
import TherapyLedgerCore
import TherapyLedgerStore

/// One signed-in browser: who, with which token (its digest, to re-check the user on every request), and the
/// CSRF value its forms must send back.
struct PageSession: Sendable {
    var userName: String
    var role: UserRole
    var tokenDigest: String
    var csrf: String
    var createdAt: Date
    var lastSeen: Date
}

/// The pages' sessions, held in memory only: a server restart signs everyone out. A session ends at sign-out,
/// after ``maxAge`` in any case, after ``idleTimeout`` without a request, and at once when its user is revoked.
final class PageSessions: Sendable {
    /// The cookie that carries the session token.
    static let cookieName = "therapy_ledger_session"
    /// The longest a session lives (also the cookie's Max-Age), and the longest it may sit idle.
    static let maxAge: TimeInterval = 8 * 3600
    static let idleTimeout: TimeInterval = 30 * 60
    /// At most this many sessions; the oldest go first beyond it.
    static let maxSessions = 10_000

    private let sessions = NIOLockedValueBox<[String: PageSession]>([:])

    /// A new session for `user`; returns its token (the cookie's value).
    func open(_ user: LedgerUser, now: Date = Date()) -> (token: String, session: PageSession) {
        let token = Self.randomHex(32)
        let session = PageSession(userName: user.name, role: user.role, tokenDigest: user.tokenSHA256, csrf: Self.randomHex(32), createdAt: now, lastSeen: now)
        sessions.withLockedValue { table in
            if table.count >= Self.maxSessions {
                table = table.filter { Self.isLive($0.value, now) }
                if table.count >= Self.maxSessions, let oldest = table.min(by: { $0.value.lastSeen < $1.value.lastSeen }) { table[oldest.key] = nil }
            }
            table[token] = session
        }
        return (token, session)
    }

    /// The live session of `token`, its idle clock restarted; nil (and forgotten) when it expired.
    func touch(_ token: String, now: Date = Date()) -> PageSession? {
        sessions.withLockedValue { table -> PageSession? in
            guard var s = table[token] else { return nil }
            guard Self.isLive(s, now) else {
                table[token] = nil
                return nil
            }
            s.lastSeen = now
            table[token] = s
            return s
        }
    }

    /// Ends the session of `token`.
    func close(_ token: String) { _ = sessions.withLockedValue { $0.removeValue(forKey: token) } }

    static func isLive(_ s: PageSession, _ now: Date) -> Bool {
        now.timeIntervalSince(s.createdAt) < maxAge && now.timeIntervalSince(s.lastSeen) < idleTimeout
    }

    /// `count` random bytes as lowercase hex.
    static func randomHex(_ count: Int) -> String {
        var random = SystemRandomNumberGenerator()
        return ChainHash.hex((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    /// Whether two secrets are equal, in time independent of where they differ.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
