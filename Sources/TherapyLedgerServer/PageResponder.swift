import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TherapyLedgerCore
import TherapyLedgerPages
import TherapyLedgerStore

/// The clinic's web pages (every path outside `/api/`): sign-in, the worklist, patient pages and the forms that
/// record events. Rendering is TherapyLedgerPages'; this is the HTTP around it: sessions, CSRF, roles, the
/// access log and the security headers.
struct PageResponder: Sendable {
    let store: LedgerStore
    let auth: Authenticator
    let accessLog: AccessLogWriter
    let sessions: PageSessions
    /// Whether browsers reach the server over TLS (its own, or a proxy's in front of `--insecure` on a network
    /// address): the session cookie is then `Secure`.
    let secure: Bool
    let logger: Logger

    /// The largest form body accepted.
    static let maxFormBytes = 256 << 10
    /// Who may read patient pages, and who may record through the forms (the API's role table).
    static let readers: Set<UserRole> = [.clinician, .auditor]
    static let writers: Set<UserRole> = [.clinician]

    init(store: LedgerStore, auth: Authenticator, accessLog: AccessLogWriter, secure: Bool, logger: Logger) {
        self.store = store
        self.auth = auth
        self.accessLog = accessLog
        self.sessions = PageSessions()
        self.secure = secure
        self.logger = logger
    }

    func respond(to request: Request, context: SiteContext) async throws -> Response {
        let route = PageRoute(path: request.uri.path)
        var visit = PageVisit()
        var response: Response
        do {
            response = try await handle(route, request, context, &visit)
        } catch let e as PageError {
            response = e.response(viewer: visit.viewer)
        } catch {
            logger.error("\(request.method.rawValue) \(route.template): internal error \(type(of: error))")
            response = PageError(.internalServerError, "Server error", "The server failed to answer: \(error). Try again; if it persists, tell the administrator.")
                .response(viewer: visit.viewer)
        }
        logger.info("\(request.method.rawValue) \(route.template) \(response.status.code)")
        if var entry = visit.entry {
            entry.outcome = Int(response.status.code)
            try await accessLog.record([entry])
        }
        return response
    }

    private func handle(_ route: PageRoute, _ request: Request, _ context: SiteContext, _ visit: inout PageVisit) async throws -> Response {
        switch route.kind {
        case .stylesheet: return Self.asset(SiteAssets.css, "text/css; charset=utf-8")
        case .script: return Self.asset(SiteAssets.script, "text/javascript; charset=utf-8")
        default: break
        }
        guard route.methods.contains(request.method) else {
            var e = PageError(.methodNotAllowed, "Method not allowed", "\(request.method.rawValue) is not allowed here: use \(route.methods.map(\.rawValue).joined(separator: " or ")).")
            e.headers[.allow] = route.methods.map(\.rawValue).joined(separator: ", ")
            throw e
        }
        if case .signIn = route.kind { return try await signIn(request, context) }
        guard let (token, session, user) = try await signedIn(request) else {
            guard request.method == .get || request.method == .head else { return Self.redirect("/sign-in") }
            let here = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
            return Self.redirect("/sign-in?next=\(SitePaths.component(here))")
        }
        let viewer = PageViewer(name: user.name, role: user.role.rawValue, csrf: session.csrf)
        visit.viewer = viewer
        var form = Query(nil)
        if request.method == .post {
            form = try await readForm(request)
            try checkSameOrigin(request)
            guard let sent = form["csrf"], PageSessions.constantTimeEqual(sent, session.csrf) else {
                throw PageError(.forbidden, "Form refused", "The form did not carry this session's CSRF value (it is stale, or it was sent from another site). Reload the page and submit again.")
            }
        }
        if case .signOut = route.kind {
            sessions.close(token)
            var response = Self.redirect("/sign-in")
            response.headers[.setCookie] = cookie(value: "", maxAge: 0)
            return response
        }
        if let action = route.action(request.method) {
            visit.entry = AccessEntry(at: store.environment.now(), user: user.name, role: user.role.rawValue, action: action,
                                      patient: route.patient, outcome: 200, remote: context.remoteAddress)
        }
        let needs: Set<UserRole>
        if case .record = route.kind { needs = Self.writers } else { needs = Self.readers }
        guard needs.contains(user.role) else {
            let roles = UserRole.allCases.filter { needs.contains($0) }.map(\.rawValue).joined(separator: " or ")
            throw PageError(.forbidden, "Not allowed", "The role \(user.role.rawValue) may not \(route.description): it needs the role \(roles). Sign out and sign in as a user with that role.")
        }
        let query = Query(request.uri.query)
        switch route.kind {
        case .worklist:
            return try await worklist(query, viewer)
        case .patient(let patient):
            return try await patientPage(patient, query, viewer)
        case .expectedResidual(let patient):
            return try await expectedResidual(patient, query)
        case .record(let patient, let type):
            return try await record(patient, type, request.method == .post ? form : nil, query, viewer, &visit)
        default:
            throw PageError(.notFound, "Page not found", "There is no page at this address. The worklist lists every patient who needs attention.")
        }
    }

    // MARK: Sign-in

    private func signIn(_ request: Request, _ context: SiteContext) async throws -> Response {
        let query = Query(request.uri.query)
        guard request.method == .post else {
            return Self.html(.ok, SignInPage.render(next: Self.safeNext(query["next"])))
        }
        let form = try await readForm(request)
        try checkSameOrigin(request)
        let name = (form["user"] ?? "").trimmingCharacters(in: .whitespaces)
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespaces)
        let next = Self.safeNext(form["next"])
        let remote = context.remoteAddress
        let auth = self.auth
        do {
            let user = try await Blocking.run { () throws -> LedgerUser in
                let user = try auth.authenticate(authorization: "Bearer \(token)", remote: remote)
                guard user.name == name else {
                    auth.fail(remote ?? "unknown")
                    throw Problem.unauthorized("the token is not that user's")
                }
                return user
            }
            let (sessionToken, _) = sessions.open(user)
            var response = Self.redirect(next ?? "/")
            response.headers[.setCookie] = cookie(value: sessionToken, maxAge: Int(PageSessions.maxAge))
            return response
        } catch let p as Problem {
            let message = p.status == .tooManyRequests
                ? "Too many failed sign-ins from this address: \(p.detail)."
                : "Wrong user name or token, or the user was revoked. Check both and try again."
            var headers: HTTPFields = [:]
            headers[.retryAfter] = p.headers[.retryAfter]
            return Self.html(p.status == .tooManyRequests ? .tooManyRequests : .unauthorized,
                             SignInPage.render(user: name, error: message, next: next), headers)
        }
    }

    /// The signed-in session of the request's cookie, with its user re-checked: a revoked user's session ends at once.
    private func signedIn(_ request: Request) async throws -> (String, PageSession, LedgerUser)? {
        guard let token = Self.cookie(request, PageSessions.cookieName), let session = sessions.touch(token) else { return nil }
        let auth = self.auth
        let users = try await Blocking.run { try auth.currentUsers() }
        guard let user = users[session.tokenDigest], user.name == session.userName else {
            sessions.close(token)
            return nil
        }
        return (token, session, user)
    }

    /// The `Set-Cookie` value of the session cookie.
    func cookie(value: String, maxAge: Int) -> String {
        "\(PageSessions.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// The value of cookie `name` in the request.
    static func cookie(_ request: Request, _ name: String) -> String? {
        for field in request.headers[values: .cookie] {
            for part in field.split(separator: ";") {
                let kv = part.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == name { return kv[1].trimmingCharacters(in: .whitespaces) }
            }
        }
        return nil
    }

    /// A local path to return to after signing in, or nil: only `/...` (not `//`, no backslash, not the sign-in page).
    static func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), !next.hasPrefix("/sign-"),
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return nil }
        return next
    }

    /// Refuses a form posted from another site (when the browser says where it comes from).
    func checkSameOrigin(_ request: Request) throws {
        let refusal = PageError(.forbidden, "Form refused", "The form was sent from another site. Open the page on this server and submit it from there.")
        if let name = HTTPField.Name("Sec-Fetch-Site"), let site = request.headers[name], site != "same-origin", site != "none" { throw refusal }
        // Under `Referrer-Policy: no-referrer` a browser sends `Origin: null` for its own forms: then Sec-Fetch-Site,
        // the CSRF value and the SameSite=Strict cookie decide.
        if let origin = request.headers[.origin], origin != "null" {
            let host = origin.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(String.init)
            guard let host, let authority = request.head.authority, host.lowercased() == authority.lowercased() else { throw refusal }
        }
    }

    /// A form body (`application/x-www-form-urlencoded`), refused beyond ``maxFormBytes``.
    func readForm(_ request: Request) async throws -> Query {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw PageError(.unsupportedMediaType, "Form refused", "A form is sent as application/x-www-form-urlencoded; this request was \(contentType.isEmpty ? "without a type" : contentType).")
        }
        var bytes: [UInt8] = []
        for try await chunk in request.body {
            bytes += chunk.readableBytesView
            if bytes.count > Self.maxFormBytes {
                throw PageError(.contentTooLarge, "Form refused", "The form is over \(Self.maxFormBytes) bytes.")
            }
        }
        return Query(String(decoding: bytes, as: UTF8.self))
    }

    // MARK: Worklist

    private func worklist(_ query: Query, _ viewer: PageViewer) async throws -> Response {
        let withinText = query["within"].flatMap { $0.isEmpty ? nil : $0 }
        let within = withinText ?? "14"
        guard let days = Double(within), days.isFinite, days > 0, days <= 3650 else {
            throw PageError(.unprocessableContent, "Invalid worklist horizon", "within \(within): must be a positive number of days, at most 3650 (e.g. 14).")
        }
        let asOf = try Self.time(query, "asOf"), knownAt = try Self.time(query, "knownAt")
        let store = self.store
        let input = try await Blocking.run { try store.worklistReportInput(within: days, asOf: asOf ?? store.environment.now(), knownAt: knownAt) }
        return Self.html(.ok, WorklistPage.render(input, viewer: viewer, asOfText: query["asOf"], withinText: withinText))
    }

    /// A time parameter; empty counts as absent (an emptied form field).
    static func time(_ query: Query, _ name: String) throws -> Timestamp? {
        guard let text = query[name], !text.isEmpty else { return nil }
        guard let t = Timestamp.parseTimeOrDate(text) else {
            throw PageError(.unprocessableContent, "Invalid time",
                            "\(name) \(text): expected a time like 2026-03-01T09:30:00Z (with an offset) or a date like 2026-03-01.")
        }
        return t
    }

    // MARK: Responses

    /// The headers every page carries: nothing from elsewhere, nothing inline, no referrer, no caching, no framing.
    static func secure(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        if let name = HTTPField.Name("Referrer-Policy") { headers[name] = "no-referrer" }
        if let name = HTTPField.Name("X-Frame-Options") { headers[name] = "DENY" }
        headers[.cacheControl] = "no-store"
    }

    static func html(_ status: HTTPResponse.Status, _ text: String, _ extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "text/html; charset=utf-8"
        secure(&headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        var headers: HTTPFields = [:]
        headers[.contentType] = "application/json"
        secure(&headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: CanonicalJSON.encode(value) + [0x0A])))
    }

    static func redirect(_ location: String) -> Response {
        var headers: HTTPFields = [:]
        headers[.location] = location
        secure(&headers)
        return Response(status: .seeOther, headers: headers)
    }

    static func asset(_ text: String, _ contentType: String) -> Response {
        var headers: HTTPFields = [:]
        headers[.contentType] = contentType
        secure(&headers)
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// What one page request did: who looked (for the error page's header) and its access-log entry, if it touched patient data.
struct PageVisit {
    var viewer: PageViewer?
    var entry: AccessEntry?
}

/// A page that answers with an error: rendered as a real HTML page.
struct PageError: Error {
    var status: HTTPResponse.Status
    var heading: String
    var message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ heading: String, _ message: String) {
        self.status = status
        self.heading = heading
        self.message = message
    }

    func response(viewer: PageViewer?) -> Response {
        PageResponder.html(status, ErrorPage.render(status: Int(status.code), heading: heading, message: message, viewer: viewer), headers)
    }
}

extension PageRoute {
    /// What the request does, for refusals ("read patient pages").
    var description: String {
        switch kind {
        case .worklist: return "read the worklist"
        case .patient, .expectedResidual: return "read patient pages"
        case .record: return "record events"
        default: return "open this page"
        }
    }
}
