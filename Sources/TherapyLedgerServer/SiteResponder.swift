import Foundation
import Hummingbird
import Logging
import NIOCore
import TherapyLedgerCore
import TherapyLedgerExport
import TherapyLedgerStore

/// The site server's API under `/api/v1` (schemas/openapi.yaml): a thin layer over the same library calls
/// the CLI makes, so that every answer is exactly the CLI's bytes.
struct SiteResponder: HTTPResponder {
    typealias Context = SiteContext

    let store: LedgerStore
    let auth: Authenticator
    let accessLog: AccessLogWriter
    let peers: PeerAuthenticator
    let exportKey: [UInt8]?
    let maxBodyBytes: Int
    let logger: Logger
    /// The clinic's web pages: every path outside `/api/`.
    let pages: PageResponder

    /// Which roles may call each protected endpoint (the README's role table).
    static let roles: [String: Set<UserRole>] = [
        "append": [.clinician],
        "status": [.clinician, .auditor],
        "timeline": [.clinician, .auditor],
        "worklist": [.clinician, .auditor],
        "export": [.clinician, .auditor, .analyst],
        "verify": [.auditor, .admin],
        "access-log": [.auditor, .admin],
    ]

    /// Endpoints that read or write patient data: every call is recorded in the access log.
    static let patientData: Set<String> = ["append", "status", "timeline", "worklist", "export"]

    func respond(to request: Request, context: SiteContext) async throws -> Response {
        let path = request.uri.path
        if path != "/api", !path.hasPrefix("/api/") { return try await pages.respond(to: request, context: context) }
        let route = Route(method: request.method, path: request.uri.path)
        var outcome: Response
        var entries: [AccessEntry] = []
        do {
            (outcome, entries) = try await handle(route, request, context)
        } catch let refused as ProblemWithEntry {
            outcome = refused.problem.response
            entries = refused.entry.map { [$0] } ?? []
        } catch let p as Problem {
            outcome = p.response
            if Self.patientData.contains(route.action) {
                entries = [AccessEntry(at: store.environment.now(), user: nil, role: nil, action: route.action,
                                       patient: route.patient, outcome: Int(p.status.code), remote: context.remoteAddress)]
            }
        } catch {
            logger.error("\(request.method.rawValue) \(route.template): internal error \(type(of: error))")
            outcome = Problem(.internalServerError, "internal", "the server failed to answer: \(error)").response
        }
        // The route's template, never its patient id: no patient data goes into the server's own log.
        logger.info("\(request.method.rawValue) \(route.template) \(outcome.status.code)")
        if !entries.isEmpty {
            try await accessLog.record(entries)
        }
        return outcome
    }

    private func handle(_ route: Route, _ request: Request, _ context: SiteContext) async throws -> (Response, [AccessEntry]) {
        switch route.kind {
        case .health:
            return (json(.object(["status": .string("ok"), "site": .string(store.site), "network": .string(store.network)])), [])
        case .notFound:
            throw Problem.notFound("no endpoint \(route.template): see schemas/openapi.yaml for the API")
        case .methodNotAllowed(let allowed):
            var p = Problem(.methodNotAllowed, "method-not-allowed", "\(request.method.rawValue) is not allowed on \(route.template): use \(allowed)")
            p.headers[.allow] = allowed
            throw p
        case .syncClock, .syncBundle, .syncBundles:
            return (try await handleSync(route, request, context), [])
        default:
            break
        }
        let authorization = request.headers[.authorization]
        let remote = context.remoteAddress
        let query = Query(request.uri.query)
        // A patient's status or timeline is read in the same snapshot as the authentication: one trip to the pool.
        let read = readPatient(route, query)
        let (user, early) = try await Blocking.run { [auth, store] () throws -> (LedgerUser, Result<Response, any Error>?) in
            guard let read else { return (try auth.authenticate(authorization: authorization, remote: remote), nil) }
            return try store.withSnapshot { snapshot in
                let user = try auth.authenticate(authorization: authorization, remote: remote, in: snapshot)
                guard Self.roles[route.action]?.contains(user.role) ?? false else { return (user, nil) }
                return (user, Result { try read(snapshot) })
            }
        }
        var entry = AccessEntry(at: store.environment.now(), user: user.name, role: user.role.rawValue, action: route.action,
                                patient: route.patient, outcome: 200, remote: remote)
        guard let allowed = Self.roles[route.action], allowed.contains(user.role) else {
            let names = UserRole.allCases.filter { Self.roles[route.action]?.contains($0) ?? false }.map(\.rawValue)
            entry.outcome = 403
            throw ProblemWithEntry(problem: .forbidden(role: user.role.rawValue, action: route.description, allowed: names),
                                   entry: Self.patientData.contains(route.action) ? entry : nil)
        }
        do {
            var patients: [String] = []
            let response: Response
            if let early { response = try early.get() } else { response = try await answer(route, request, query, user, &entry, &patients) }
            entry.outcome = Int(response.status.code)
            guard Self.patientData.contains(route.action) else { return (response, []) }
            // A batch is logged once per patient it wrote to.
            if patients.isEmpty { return (response, [entry]) }
            return (response, patients.map { var e = entry; e.patient = $0; return e })
        } catch let p as Problem {
            entry.outcome = Int(p.status.code)
            throw ProblemWithEntry(problem: p, entry: Self.patientData.contains(route.action) ? entry : nil)
        }
    }

    private func answer(_ route: Route, _ request: Request, _ query: Query, _ user: LedgerUser, _ entry: inout AccessEntry,
                        _ patients: inout [String]) async throws -> Response {
        let store = self.store
        switch route.kind {
        case .events:
            let contentType = request.headers[.contentType] ?? ""
            guard contentType.hasPrefix("application/x-ndjson") || contentType.hasPrefix("application/jsonl") else {
                throw Problem(.unsupportedMediaType, "unsupported-media-type",
                              "POST /events takes JSON Lines: send Content-Type: application/x-ndjson, one submission per line")
            }
            let body = try await collect(request)
            let name = user.name
            do {
                let (outcomes, written) = try await Blocking.run { () throws -> ([AppendOutcome], [String]) in
                    let outcomes = try store.append(jsonLines: body, source: "the request body", recordedBy: name)
                    return (outcomes, Self.patients(in: body))
                }
                patients = written
                entry.detail = "\(outcomes.filter { !$0.isDuplicate }.count) new, \(outcomes.filter(\.isDuplicate).count) duplicate"
                return json(.object(["outcomes": .array(outcomes.map { o in
                    .object(["line": .number(Double(o.line)), "id": .string(o.id), "site": o.site.map(JSONValue.string) ?? .null,
                             "seq": o.seq.map { .number(Double($0)) } ?? .null, "duplicate": .bool(o.isDuplicate)])
                })]))
            } catch let rejected as BatchRejected {
                throw Problem(.unprocessableContent, "batch-rejected", rejected.description, errors: rejected.errors)
            }
        case .worklist:
            try check(query, ["within", "asOf", "knownAt"])
            let within = query["within"] ?? "14"
            guard let days = Double(within), days.isFinite, days > 0, days <= 3650 else {
                throw Problem(.unprocessableContent, "invalid-parameter", "within \(within): must be a positive number of days, at most 3650 (e.g. within=14)")
            }
            let asOf = try query.time("asOf"), knownAt = try query.time("knownAt")
            return raw(try await Blocking.run { try store.worklistJSONLines(within: days, asOf: asOf, knownAt: knownAt) }, "application/x-ndjson")
        case .export(let kindName):
            return try await export(kindName, query, user, &entry, &patients)
        case .verify:
            try check(query, [])
            let report = try await Blocking.run { try store.verify() }
            return json(report.json)
        case .accessLog:
            try check(query, ["user", "patient", "since"])
            let since = try query.time("since")
            let entries = try await Blocking.run { try store.accessLog(user: query["user"], patient: query["patient"], since: since) }
            return raw(Self.accessLogLines(entries), "application/x-ndjson")
        default:
            throw Problem.notFound("no endpoint \(route.template)")
        }
    }

    /// For a patient's status or timeline: the read, to run on a pool thread (blocking). Its parameters are
    /// checked here; a bad one is thrown by the read, so that authentication and the role still answer first.
    private func readPatient(_ route: Route, _ query: Query) -> (@Sendable (LedgerSnapshot) throws -> Response)? {
        let patient: String, isStatus: Bool
        switch route.kind {
        case .status(let p): (patient, isStatus) = (p, true)
        case .timeline(let p): (patient, isStatus) = (p, false)
        default: return nil
        }
        let times = Result { () throws -> (Timestamp?, Timestamp?) in
            try check(query, ["asOf", "knownAt"])
            return (try query.time("asOf"), try query.time("knownAt"))
        }
        return { snapshot in
            let (asOf, knownAt) = try times.get()
            let bytes: [UInt8]
            do {
                bytes = isStatus ? try snapshot.statusJSON(patient: patient, asOf: asOf, knownAt: knownAt)
                                 : try snapshot.timelineJSONLines(patient: patient, asOf: asOf, knownAt: knownAt)
            } catch let e as StoreError where e.message == LedgerStore.unknownPatientMessage(patient) {
                throw Problem.notFound(e.message)
            }
            return Self.raw(bytes, isStatus ? "application/json" : "application/x-ndjson")
        }
    }

    private func export(_ kindName: String, _ query: Query, _ user: LedgerUser, _ entry: inout AccessEntry,
                        _ patients: inout [String]) async throws -> Response {
        let store = self.store
        guard let kind = ExportKind(rawValue: kindName) else {
            throw Problem.notFound("unknown export kind \"\(kindName)\": expected one of \(ExportKind.names)")
        }
        try check(query, ["from", "to", "asOf", "knownAt", "patient"])
        var options = ExportOptions(kind: kind, patients: query.all("patient"), from: try query.time("from"), to: try query.time("to"),
                                    asOf: try query.time("asOf"), knownAt: try query.time("knownAt"))
        // An export filtered to patients is logged once per patient, so that `access-log --patient` finds it.
        patients = Array(Set(options.patients)).sorted()
        if user.role == .analyst {
            guard let exportKey else {
                throw Problem(.forbidden, "pseudonym-key-missing",
                              "an analyst gets pseudonymized exports only, and this server has no pseudonym key: start it with `serve --export-key FILE`")
            }
            options.pseudonymKey = exportKey
        }
        entry.detail = "\(kind.rawValue)" + (query.raw.isEmpty ? "" : "?\(query.raw)") + (user.role == .analyst ? " (pseudonymized)" : "")
        let prepared = options
        let order: [String]?
        do {
            order = try await Blocking.run { try Exporter(store: store).prepare(prepared) }
        } catch let e as ExportError {
            throw Problem(e.message.hasPrefix("unknown patient") ? .notFound : .unprocessableContent, "export-refused", e.message)
        }
        let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream(bufferingPolicy: .bufferingNewest(64))
        Blocking.pool.submit { _ in
            do {
                _ = try Exporter(store: store).stream(prepared, order: order) { bytes in continuation.yield(ByteBuffer(bytes: bytes)) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        var headers: HTTPFields = [:]
        headers[.contentType] = "text/csv; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: stream))
    }

    /// The patients a (valid) batch names, sorted.
    static func patients(in body: [UInt8]) -> [String] {
        var seen = Set<String>()
        for line in BatchValidator.splitLines(body) {
            if let p = (try? JSONParser.parse(Array(line.bytes)))?["patient"]?.stringValue { seen.insert(p) }
        }
        return seen.sorted()
    }

    static func accessLogLines(_ entries: [AccessEntry]) -> [UInt8] {
        entries.flatMap(\.jsonLine)
    }

    func check(_ query: Query, _ known: Set<String>) throws {
        if let bad = query.unknown(known).first {
            throw Problem(.unprocessableContent, "invalid-parameter",
                          "unknown parameter \(bad)\(known.isEmpty ? ": this endpoint takes none" : ": expected \(known.sorted().joined(separator: ", "))")")
        }
    }

    /// The request body, refused with 413 beyond ``SiteServer/maxBodyBytes``.
    func collect(_ request: Request) async throws -> [UInt8] {
        let tooLarge = Problem(.contentTooLarge, "body-too-large",
                               "the request body is over \(maxBodyBytes) bytes, this server's limit: split the batch into several requests")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes { throw tooLarge }
        var bytes: [UInt8] = []
        for try await chunk in request.body {
            bytes += chunk.readableBytesView
            if bytes.count > maxBodyBytes { throw tooLarge }
        }
        return bytes
    }

    func json(_ value: JSONValue) -> Response { raw(CanonicalJSON.encode(value) + [0x0A], "application/json") }

    func raw(_ bytes: [UInt8], _ contentType: String) -> Response { Self.raw(bytes, contentType) }

    static func raw(_ bytes: [UInt8], _ contentType: String) -> Response {
        var headers: HTTPFields = [:]
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// A refusal that must still be written to the access log, with who was refused.
struct ProblemWithEntry: Error {
    var problem: Problem
    var entry: AccessEntry?
}
