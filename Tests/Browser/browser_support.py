"""What the browser tests share: the CLI they compare with, HTTP without the browser, the browser itself, axe.

See browser_tests.py for the environment the Swift test passes.
"""

import csv
import datetime
import html.parser
import io
import json
import os
import re
import subprocess
import unittest
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
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


def event_count(patient):
    """How many events the ledger holds for the patient (`log --json`)."""
    return len(json_lines(cli("log", "--json", "--patient", patient)))


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


def is_stale(element):
    """Whether the element's page is gone. Mid-navigation chromedriver may answer "Node with given id does not belong
    to the document" rather than a stale reference (EC.staleness_of raises that): the old page is gone too."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if "does not belong to the document" in str(e):
            return True
        raise


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
        WebDriverWait(self.driver, WAIT).until(lambda d: is_stale(page))
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


# MARK: - Accessibility (axe)

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
