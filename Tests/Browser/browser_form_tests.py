"""The record forms in the browser: a refill recorded and attributed, its expected residual, field errors, CSRF."""

import datetime
import json
import os
import re
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from browser_support import (AS_OF, FORM_TYPES, USERS, WAIT, PageTestCase, PatientPick, cli, event_count, forms_of,
                             http, iso, json_lines, network_events, parse_time, sign_in_http)


# MARK: - Forms

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
