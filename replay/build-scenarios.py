#!/usr/bin/env python3
"""Builds the replay scenario bundles and scenario.json files with the CLI.

Run from the package root after `swift build`:  python3 replay/build-scenarios.py [NAME...]

Each scenario is a list of steps: ("append", site, [events]), ("sync", from_site, to_site),
("sleep",) (so that later events get a later recordedAt, for --known-at checks), and
("mark", label) (remembers "the last recordedAt so far" for a knownAt in scenario.json).
Events get readable ids 00000000-0000-7000-8000-000000SSSNNN (scenario S, event N).
The bundle is exported from the ledger named by `final`. It does NOT write expected outputs:
run `therapy-ledger replay replay/NAME --record` and then check every number by hand against
the scenario's README. Rebuilding changes recordedAt, hashes and signatures, so every expected
file must then be re-recorded and re-checked.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, ".build/debug/therapy-ledger")


def eid(s, n):
    return "00000000-0000-7000-8000-%012d" % (s * 1000 + n)


def ev(s, n, type_, patient, at, data=None, author="dr.north", reason=None):
    o = {"id": eid(s, n), "type": type_, "patient": patient, "occurredAt": at, "author": author}
    if data is not None:
        o["data"] = data
    if reason:
        o["reason"] = reason
    return o


def pump(model, reservoir, conc, fill, dose, serial="NGP000001"):
    return {"pumpModel": model, "pumpSerial": serial, "reservoirMl": reservoir, "concentrationMcgPerMl": conc,
            "fillMl": fill, "dailyDoseMcg": dose}


def refill(residual, added, conc, due=None):
    d = {"residualMl": residual, "addedMl": added, "concentrationMcgPerMl": conc}
    if due:
        d["nextRefillDue"] = due
    return d


def enrol(indication="spinal-cord-injury", origin="spinal"):
    return {"indication": indication, "origin": origin}


SCENARIOS = {}

# 1 -------------------------------------------------------------------------------------------
S = 1
P = "P101"
SCENARIOS["routine-titration-year"] = dict(sites=["north"], final="north", steps=[("append", "north", [
    ev(S, 1, "patient.enrolled", P, "2025-01-01T00:00:00Z", enrol()),
    ev(S, 2, "trial.performed", P, "2025-01-03T00:00:00Z", {"bolusMcg": 50, "response": "positive"}),
    ev(S, 3, "pump.implanted", P, "2025-01-10T00:00:00Z", pump("SynchroMed II 8637-20", 20, 2000, 20, 500)),
    ev(S, 4, "dose.programmed", P, "2025-01-17T00:00:00Z", {"dailyDoseMcg": 625}),
    ev(S, 5, "dose.programmed", P, "2025-01-24T00:00:00Z", {"dailyDoseMcg": 750}),
    ev(S, 6, "reservoir.refilled", P, "2025-02-28T00:00:00Z", refill(2.9, 20, 2000, "2025-04-14")),
    ev(S, 7, "assessment.recorded", P, "2025-02-28T00:30:00Z", {"ashworth": "2", "pennSpasmFrequency": 2}),
    ev(S, 8, "reservoir.refilled", P, "2025-04-14T00:00:00Z", refill(3.0, 20, 2000, "2025-05-29")),
    ev(S, 9, "reservoir.refilled", P, "2025-05-29T00:00:00Z", refill(3.25, 20, 2000, "2025-07-13")),
    ev(S, 10, "reservoir.refilled", P, "2025-07-13T00:00:00Z", refill(3.0, 20, 2000, "2025-08-27")),
    ev(S, 11, "reservoir.refilled", P, "2025-08-27T00:00:00Z", refill(3.5, 20, 2000, "2025-10-11")),
    ev(S, 12, "assessment.recorded", P, "2025-08-27T00:30:00Z", {"ashworth": "1", "pennSpasmFrequency": 1}),
    ev(S, 13, "reservoir.refilled", P, "2025-10-11T00:00:00Z", refill(2.75, 20, 2000, "2025-11-25")),
    ev(S, 14, "reservoir.refilled", P, "2025-11-25T00:00:00Z", refill(3.125, 20, 2000, "2026-01-09")),
])], status=[(P, "2025-01-20T00:00:00Z"), (P, "2025-06-15T00:00:00Z"), (P, "2025-12-31T00:00:00Z")], timeline=[P])

# 2 -------------------------------------------------------------------------------------------
S = 2
P = "P201"
SCENARIOS["refill-large-discrepancy"] = dict(sites=["north"], final="north", steps=[("append", "north", [
    ev(S, 1, "patient.enrolled", P, "2025-03-01T00:00:00Z", enrol("multiple-sclerosis")),
    ev(S, 2, "pump.implanted", P, "2025-03-03T00:00:00Z", pump("SynchroMed II 8637-20", 20, 2000, 20, 500)),
    ev(S, 3, "reservoir.refilled", P, "2025-04-12T00:00:00Z", refill(14.0, 20, 2000, "2025-05-22")),
    ev(S, 4, "catheter.revised", P, "2025-04-14T00:00:00Z", {"catheterTip": "T10"}),
    ev(S, 5, "reservoir.refilled", P, "2025-05-22T00:00:00Z", refill(9.5, 20, 2000, "2025-07-01")),
])], status=[(P, "2025-04-12T12:00:00Z"), (P, "2025-05-23T00:00:00Z")], timeline=[P])

# 3 -------------------------------------------------------------------------------------------
S = 3
P = "P301"
SCENARIOS["reservoir-runs-dry"] = dict(sites=["north"], final="north", steps=[("append", "north", [
    ev(S, 1, "patient.enrolled", P, "2025-02-01T00:00:00Z", enrol()),
    ev(S, 2, "pump.implanted", P, "2025-02-03T00:00:00Z", pump("SynchroMed II 8637-20", 20, 2000, 20, 1000)),
    ev(S, 3, "reservoir.refilled", P, "2025-03-05T00:00:00Z", refill(5.0, 20, 2000, "2025-04-20")),
    ev(S, 4, "adverse-event.reported", P, "2025-04-16T10:00:00Z",
       {"category": "withdrawal", "grade": 3, "serious": True, "relatedTo": "drug"}),
    ev(S, 5, "reservoir.refilled", P, "2025-04-16T12:00:00Z", refill(0, 20, 2000, "2025-05-16")),
    ev(S, 6, "adverse-event.resolved", P, "2025-04-18T00:00:00Z", {"report": eid(S, 4), "outcome": "recovered"}),
])], status=[(P, "2025-03-10T00:00:00Z"), (P, "2025-04-12T00:00:00Z"), (P, "2025-04-16T11:00:00Z"), (P, "2025-04-20T00:00:00Z")],
    timeline=[P])

# 4 -------------------------------------------------------------------------------------------
S = 4
P = "P401"
SCENARIOS["pump-replacement-concentration"] = dict(sites=["north"], final="north", steps=[("append", "north", [
    ev(S, 1, "patient.enrolled", P, "2025-01-02T00:00:00Z", enrol("brain-injury", "cerebral")),
    ev(S, 2, "pump.implanted", P, "2025-01-06T00:00:00Z", pump("SynchroMed II 8637-20", 20, 500, 20, 250)),
    ev(S, 3, "reservoir.refilled", P, "2025-02-05T00:00:00Z", refill(5.0, 20, 500, "2025-03-07")),
    ev(S, 4, "pump.replaced", P, "2025-03-01T10:00:00Z", pump("SynchroMed II 8637-40", 40, 2000, 40, 250, "NGP000002")),
    ev(S, 5, "bolus.delivered", P, "2025-03-01T10:30:00Z", {"doseMcg": 125, "kind": "bridge"}),
])], status=[(P, "2025-03-01T09:00:00Z"), (P, "2025-03-01T11:00:00Z"), (P, "2025-04-01T00:00:00Z")], timeline=[P])

# 5 -------------------------------------------------------------------------------------------
S = 5
P = "P501"
SCENARIOS["void-and-amend"] = dict(sites=["north"], final="north", steps=[
    ("append", "north", [
        ev(S, 1, "patient.enrolled", P, "2025-01-02T00:00:00Z", enrol()),
        ev(S, 2, "pump.implanted", P, "2025-01-06T00:00:00Z", pump("SynchroMed II 8637-20", 20, 2000, 20, 500)),
        ev(S, 3, "dose.programmed", P, "2025-01-13T00:00:00Z", {"dailyDoseMcg": 652}),
        ev(S, 4, "bolus.delivered", P, "2025-01-20T00:00:00Z", {"doseMcg": 200, "kind": "single"}),
    ]),
    ("mark", "before-corrections"), ("sleep",),
    ("append", "north", [
        ev(S, 5, "event.corrected", P, "2025-01-21T09:00:00Z", {"target": eid(S, 3), "action": "amend", "data": {"dailyDoseMcg": 625}},
           reason="transcription error: the programmer printout says 625 mcg/day"),
        ev(S, 6, "event.corrected", P, "2025-01-21T09:05:00Z", {"target": eid(S, 4), "action": "void"},
           reason="entered in the wrong patient's record: no bolus was given"),
    ]),
], status=[(P, "2025-01-15T00:00:00Z", None), (P, "2025-01-15T00:00:00Z", "before-corrections"),
           (P, "2025-01-25T00:00:00Z", None), (P, "2025-01-25T00:00:00Z", "before-corrections")],
    timeline=[P, (P, "before-corrections")])


# 6, 7 ----------------------------------------------------------------------------------------
def concurrent(S, P, resolution):
    steps = [
        ("append", "north", [
            ev(S, 1, "patient.enrolled", P, "2025-01-02T00:00:00Z", enrol()),
            ev(S, 2, "pump.implanted", P, "2025-01-06T00:00:00Z", pump("SynchroMed II 8637-20", 20, 2000, 20, 500)),
        ]),
        ("sync", "north", "south"),
        ("append", "north", [ev(S, 3, "dose.programmed", P, "2025-02-03T09:00:00Z", {"dailyDoseMcg": 600})]),
        ("append", "south", [ev(S, 4, "dose.programmed", P, "2025-02-03T14:00:00Z", {"dailyDoseMcg": 625}, author="dr.south")]),
        ("sync", "north", "south"), ("sync", "south", "north"),
    ]
    if resolution == "programming":
        steps.append(("append", "north", [ev(S, 5, "dose.programmed", P, "2025-02-04T10:00:00Z", {"dailyDoseMcg": 625})]))
    else:
        steps.append(("append", "south", [ev(S, 5, "conflict.resolved", P, "2025-02-04T10:00:00Z", {"events": [eid(S, 3), eid(S, 4)]},
                                            author="dr.south", reason="confirmed by phone with north: the pump holds 625 mcg/day")]))
        steps.append(("sync", "south", "north"))
    return dict(sites=["north", "south"], final="north", steps=steps,
                status=[(P, "2025-02-03T12:00:00Z"), (P, "2025-02-03T18:00:00Z"), (P, "2025-02-04T12:00:00Z")], timeline=[P])


SCENARIOS["concurrent-titration-reprogrammed"] = concurrent(6, "P601", "programming")
SCENARIOS["concurrent-titration-conflict-resolved"] = concurrent(7, "P701", "resolved")

# 8 -------------------------------------------------------------------------------------------
S = 8
P = "P801"
SCENARIOS["explant"] = dict(sites=["north"], final="north", steps=[("append", "north", [
    ev(S, 1, "patient.enrolled", P, "2025-01-02T00:00:00Z", enrol()),
    ev(S, 2, "pump.implanted", P, "2025-01-06T00:00:00Z", pump("SynchroMed II 8637-20", 20, 2000, 20, 500)),
    ev(S, 3, "adverse-event.reported", P, "2025-03-01T00:00:00Z",
       {"category": "infection", "grade": 3, "serious": True, "relatedTo": "device"}),
    ev(S, 4, "pump.explanted", P, "2025-03-03T00:00:00Z", {}),
    ev(S, 5, "adverse-event.resolved", P, "2025-03-20T00:00:00Z", {"report": eid(S, 3), "outcome": "recovered"}),
])], status=[(P, "2025-03-02T00:00:00Z"), (P, "2025-03-04T00:00:00Z"), (P, "2025-03-21T00:00:00Z")], timeline=[P])

# 9 -------------------------------------------------------------------------------------------
S = 9
P = "P901"
SCENARIOS["boluses-and-assessments"] = dict(sites=["north"], final="north", steps=[("append", "north", [
    ev(S, 1, "patient.enrolled", P, "2025-01-01T00:00:00Z", enrol("cerebral-palsy", "cerebral")),
    ev(S, 2, "assessment.recorded", P, "2025-01-02T00:00:00Z", {"ashworth": "3", "pennSpasmFrequency": 3}),
    ev(S, 3, "trial.performed", P, "2025-01-03T00:00:00Z", {"bolusMcg": 50, "response": "positive"}),
    ev(S, 4, "pump.implanted", P, "2025-01-06T00:00:00Z", pump("SynchroMed II 8637-20", 20, 500, 20, 125)),
    ev(S, 5, "bolus.delivered", P, "2025-01-20T00:00:00Z", {"doseMcg": 50, "kind": "single"}),
    ev(S, 6, "assessment.recorded", P, "2025-01-21T00:00:00Z", {"ashworth": "2", "pennSpasmFrequency": 2}),
    ev(S, 7, "dose.programmed", P, "2025-01-22T00:00:00Z", {"dailyDoseMcg": 140}),
    ev(S, 8, "bolus.delivered", P, "2025-02-01T00:00:00Z", {"doseMcg": 25, "kind": "patient"}),
    ev(S, 9, "assessment.recorded", P, "2025-02-10T00:00:00Z", {"ashworth": "1+", "pennSpasmFrequency": 1}),
])], status=[(P, "2025-01-20T06:00:00Z"), (P, "2025-02-10T00:00:00Z")], timeline=[P])

# 10 ------------------------------------------------------------------------------------------
S = 10
P = "P1001"
SCENARIOS["concentration-change-unconfirmed"] = dict(sites=["north"], final="north", steps=[("append", "north", [
    ev(S, 1, "patient.enrolled", P, "2025-01-02T00:00:00Z", enrol()),
    ev(S, 2, "pump.implanted", P, "2025-01-06T00:00:00Z", pump("SynchroMed II 8637-20", 20, 500, 20, 250)),
    ev(S, 3, "reservoir.refilled", P, "2025-02-05T00:00:00Z", refill(5.0, 20, 2000, "2025-04-06")),
    ev(S, 4, "dose.programmed", P, "2025-02-06T09:00:00Z", {"dailyDoseMcg": 250}),
])], status=[(P, "2025-02-05T12:00:00Z"), (P, "2025-02-07T00:00:00Z")], timeline=[P])


# 11 ------------------------------------------------------------------------------------------
S = 11
P = "P1101"
SCENARIOS["concentration-change-awaiting-reprogramming"] = dict(sites=["north"], final="north", steps=[("append", "north", [
    ev(S, 1, "patient.enrolled", P, "2026-01-02T00:00:00Z", enrol()),
    ev(S, 2, "pump.implanted", P, "2026-01-05T10:00:00Z", pump("SynchroMed II 8637-20", 20, 500, 20, 200)),
    ev(S, 3, "reservoir.refilled", P, "2026-02-04T10:00:00Z", refill(7.8, 20, 2000)),
    ev(S, 4, "dose.programmed", P, "2026-02-04T10:30:00Z", {"dailyDoseMcg": 250}),
    ev(S, 5, "bolus.delivered", P, "2026-02-04T11:30:00Z", {"doseMcg": 50, "kind": "bridge"}),
])], status=[(P, "2026-02-04T10:20:00Z"), (P, "2026-02-04T11:15:00Z"), (P, "2026-02-04T12:00:00Z")], timeline=[P])

# 12 ------------------------------------------------------------------------------------------
S = 12
P = "P1201"
SCENARIOS["delivery-problem-acknowledged"] = dict(sites=["north"], final="north", steps=[("append", "north", [
    ev(S, 1, "patient.enrolled", P, "2025-01-02T00:00:00Z", enrol()),
    ev(S, 2, "pump.implanted", P, "2025-01-06T00:00:00Z", pump("SynchroMed II 8637-20", 20, 2000, 20, 500)),
    ev(S, 3, "adverse-event.reported", P, "2025-02-01T08:00:00Z", {"category": "withdrawal", "grade": 2, "serious": False}),
    ev(S, 4, "alert.acknowledged", P, "2025-02-01T09:00:00Z",
       {"code": "delivery-problem", "events": [eid(S, 3)], "until": "2025-02-02T09:00:00Z"},
       reason="Seen on the ward: catheter dye study booked"),
    ev(S, 5, "catheter.revised", P, "2025-02-03T10:00:00Z", {"catheterTip": "T10"}),
    ev(S, 6, "adverse-event.reported", P, "2025-02-10T08:00:00Z", {"category": "overdose", "grade": 4, "serious": True}),
    ev(S, 7, "adverse-event.resolved", P, "2025-02-12T00:00:00Z", {"report": eid(S, 6), "outcome": "recovered"}),
])], status=[(P, "2025-02-01T08:30:00Z"), (P, "2025-02-01T12:00:00Z"), (P, "2025-02-02T12:00:00Z"), (P, "2025-02-04T00:00:00Z"),
             (P, "2025-02-11T00:00:00Z"), (P, "2025-02-13T00:00:00Z")], timeline=[P])

# 13 ------------------------------------------------------------------------------------------
S = 13
P = "P1301"
SCENARIOS["refill-over-infusion"] = dict(sites=["north"], final="north", steps=[("append", "north", [
    ev(S, 1, "patient.enrolled", P, "2025-01-02T00:00:00Z", enrol()),
    ev(S, 2, "pump.implanted", P, "2025-01-06T00:00:00Z", pump("SynchroMed II 8637-20", 20, 2000, 20, 500)),
    ev(S, 3, "reservoir.refilled", P, "2025-03-03T00:00:00Z", refill(2.37, 20, 2000, "2025-05-12")),
])], status=[(P, "2025-03-04T00:00:00Z"), (P, "2025-05-06T00:00:00Z")], timeline=[P])

# 14 ------------------------------------------------------------------------------------------
S = 14


def refills_every_56_days(s, first_n, patient, implant_at, until):
    """Refills every 56 days from the implant, residual 6.0 as expected (0.25 mL/day x 56 d = 14 mL of 20), due 56 days on."""
    out = []
    t = implant_at
    n = first_n
    while True:
        t = t + 56 * 86400
        if t >= until:
            return out, n
        day = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        due = time.strftime("%Y-%m-%d", time.gmtime(t + 56 * 86400))
        out.append(ev(s, n, "reservoir.refilled", patient, day, refill(6.0, 20, 2000, due), author="rn.north"))
        n += 1


_implant = 1515369600  # 2018-01-08T00:00:00Z
_until = 1736121600    # 2025-01-06T00:00:00Z
_a, _n = refills_every_56_days(S, 10, "P1401", _implant, _until)
_b, _ = refills_every_56_days(S, 500, "P1402", _implant, _until)
_low4 = dict(pump("SynchroMed II 8637-20", 20, 2000, 20, 500), lowAlarmMl=4)
SCENARIOS["device-catalogue"] = dict(sites=["north"], final="north", steps=[("append", "north", [
    ev(S, 1, "patient.enrolled", "P1401", "2018-01-02T00:00:00Z", enrol()),
    ev(S, 2, "pump.implanted", "P1401", "2018-01-08T00:00:00Z", _low4),
    *_a,
    ev(S, 3, "pump.interrogated", "P1401", "2025-01-06T10:00:00Z", {"finding": "elective-replacement-indicator"}),
    ev(S, 4, "pump.replaced", "P1401", "2025-01-20T00:00:00Z", pump("SynchroMed II 8637-20", 20, 2000, 20, 500, serial="NGP000002")),
    ev(S, 5, "pump.interrogated", "P1401", "2025-02-10T08:00:00Z", {"finding": "motor-stall"}),
    ev(S, 6, "pump.interrogated", "P1401", "2025-02-11T08:00:00Z", {"finding": "no-alarm"}),
    ev(S, 7, "patient.enrolled", "P1402", "2018-01-02T00:00:00Z", enrol()),
    ev(S, 8, "pump.implanted", "P1402", "2018-01-08T00:00:00Z", pump("Prometra II", 20, 2000, 20, 500, serial="PRM000001")),
    *_b,
    ev(S, 9, "pump.interrogated", "P1402", "2025-01-08T09:00:00Z", {"finding": "low-reservoir-alarm"}),
    ev(S, 11 + len(_a), "pump.interrogated", "P1402", "2025-01-12T09:00:00Z", {"finding": "end-of-service"}),
])], status=[("P1401", "2025-01-07T00:00:00Z"), ("P1401", "2025-01-10T00:00:00Z"), ("P1401", "2025-01-21T00:00:00Z"),
             ("P1401", "2025-02-10T12:00:00Z"), ("P1401", "2025-02-12T00:00:00Z"), ("P1402", "2025-01-10T00:00:00Z"),
             ("P1402", "2025-01-13T00:00:00Z")],
    timeline=["P1401", "P1402"])


def sh(*args):
    r = subprocess.run([CLI, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"therapy-ledger {' '.join(args)} failed:\n{r.stdout}{r.stderr}")
    return r.stdout


def build(name, spec):
    out = os.path.join(ROOT, "replay", name)
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ledgers = {s: os.path.join(tmp, s + ".sqlite") for s in spec["sites"]}
        for s, path in ledgers.items():
            sh("init", "--ledger", path, "--site", s, "--network", "clinic")
        marks = {}
        n = 0
        for step in spec["steps"]:
            if step[0] == "append":
                f = os.path.join(tmp, "batch.jsonl")
                with open(f, "w") as fh:
                    fh.writelines(json.dumps(e) + "\n" for e in step[2])
                sh("append", "--ledger", ledgers[step[1]], f)
            elif step[0] == "sync":
                n += 1
                b = os.path.join(tmp, f"sync{n}.bundle")
                sh("sync", "export", "--ledger", ledgers[step[1]], "--out", b)
                sh("sync", "import", "--ledger", ledgers[step[2]], b)
            elif step[0] == "sleep":
                time.sleep(2)
            elif step[0] == "mark":
                times = [json.loads(l)["recordedAt"] for s in ledgers.values()
                         for l in sh("log", "--ledger", s, "--json").splitlines() if l.strip()]
                marks[step[1]] = max(times)
        bundle = os.path.join(out, "events.bundle")
        if os.path.exists(bundle):
            os.remove(bundle)
        sh("sync", "export", "--ledger", ledgers[spec["final"]], "--out", bundle)
    status = []
    for item in spec["status"]:
        patient, as_of = item[0], item[1]
        known = marks[item[2]] if len(item) > 2 and item[2] else None
        suffix = f"-known-{item[2]}" if known else ""
        status.append({"patient": patient, "asOf": as_of, "knownAt": known,
                       "expected": f"expected/status-{patient}-{as_of.replace(':', '')}{suffix}.json"})
    timeline = []
    for item in spec["timeline"]:
        patient, label = (item, None) if isinstance(item, str) else item
        known = marks[label] if label else None
        timeline.append({"patient": patient, "asOf": None, "knownAt": known,
                         "expected": f"expected/timeline-{patient}{'-known-' + label if label else ''}.jsonl"})
    with open(os.path.join(out, "scenario.json"), "w") as fh:
        json.dump({"bundle": "events.bundle", "status": status, "timeline": timeline}, fh, indent=1)
        fh.write("\n")
    print(f"built {name}")


if __name__ == "__main__":
    names = sys.argv[1:] or list(SCENARIOS)
    for name in names:
        build(name, SCENARIOS[name])
