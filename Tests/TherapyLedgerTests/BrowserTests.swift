import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// The served pages in real headless Chromium (Tests/Browser/browser_tests.py, Selenium, axe, the Nu HTML Checker),
/// against `therapy-ledger serve` on a simulated clinic's ledger. Fails, never skips silently, when the browser or
/// its Python modules are missing: `.ci/run` installs them; `THERAPY_LEDGER_SKIP_BROWSER=1` opts out explicitly.
@Suite struct BrowserTests {
    @Test(.enabled(if: !BrowserTools.skipped, "THERAPY_LEDGER_SKIP_BROWSER=1"))
    func pagesInHeadlessChromium() async throws {
        let missing = try BrowserTools.missing()
        guard missing.isEmpty else {
            Issue.record("""
                the browser tests need \(missing.joined(separator: "; ")). \
                Run .ci/run (it installs them), or install them, or set THERAPY_LEDGER_SKIP_BROWSER=1 to skip these tests on purpose.
                """)
            return
        }
        // Given a clinic's year of therapy, a user of every role, and the server serving it.
        let ledger = try BrowserLedger(patients: 40)
        let server = try ServeProcess(ledger: ledger.path)
        defer { server.stop() }
        var environment = ProcessInfo.processInfo.environment
        environment["TL_BASE_URL"] = server.origin
        environment["TL_LEDGER"] = ledger.path
        environment["TL_CLI"] = cliPath
        environment["TL_USERS"] = ledger.usersJSON
        environment["TL_AS_OF"] = ledger.asOf.iso8601
        environment["TL_SCREENSHOTS"] = rootPath(".build/browser-screenshots")
        environment["TL_CHROMIUM"] = BrowserTools.chromium
        environment["TL_CHROMEDRIVER"] = BrowserTools.chromedriver
        environment["PYTHONUNBUFFERED"] = "1"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        // When the browser tests run, then every one passes.
        let (result, timedOut) = try await runWithDeadline("/usr/bin/env", ["python3", rootPath("Tests/Browser/browser_tests.py")],
                                                     environment: environment, seconds: 240)
        #expect(!timedOut, "the browser tests took over 240 s and were stopped:\n\(result.output)")
        #expect(result.status == 0, "the browser tests failed (python3 Tests/Browser/browser_tests.py):\n\(result.output)")
    }
}
