#!/usr/bin/env python3
"""Writes N patients x K events of valid ITB submissions (JSON Lines, one site, chronological per patient).

usage: python3 scripts/bulk_events.py PATIENTS EVENTS_PER_PATIENT OUT.jsonl
Used for the single-site 1M-event measurements in the README (split -l 10000 into batches of 10k).
Deterministic (seed 1); times are in 2020-2023 so nothing is in the future.
"""
import json, random, sys, time, uuid

def main():
    n_pat, per, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    random.seed(1)
    count = 0
    def ts(t):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    with open(out, "w") as f:
        for p in range(n_pat):
            pid = "P%06d" % p
            t = 1_600_000_000 + random.randint(0, 86400 * 30)
            def ev(typ, data, t):
                nonlocal count
                count += 1
                return json.dumps({"id": str(uuid.UUID(int=count + (7 << 76) + (8 << 62))), "type": typ, "patient": pid,
                                   "occurredAt": ts(t), "author": "dr.x", "data": data}, separators=(",", ":"))
            lines = [ev("patient.enrolled", {"indication": "multiple-sclerosis", "origin": "spinal"}, t)]
            t += 86400 * 10
            dose = 100.0
            lines.append(ev("pump.implanted", {"pumpModel": "SynchroMed II 8637-20", "pumpSerial": "S%06d" % p, "reservoirMl": 20,
                                               "concentrationMcgPerMl": 500, "fillMl": 20, "dailyDoseMcg": dose}, t))
            while len(lines) < per:
                t += 86400 * random.randint(2, 20)
                r = random.random()
                if r < 0.4:
                    dose = round(dose * random.uniform(0.9, 1.15), 1)
                    lines.append(ev("dose.programmed", {"dailyDoseMcg": dose}, t))
                elif r < 0.7:
                    lines.append(ev("reservoir.refilled", {"residualMl": round(random.uniform(2, 8), 2), "addedMl": 20,
                                                           "concentrationMcgPerMl": 500}, t))
                elif r < 0.85:
                    lines.append(ev("assessment.recorded", {"ashworth": random.choice(["0", "1", "1+", "2"]),
                                                            "pennSpasmFrequency": random.randint(0, 4)}, t))
                else:
                    lines.append(ev("bolus.delivered", {"doseMcg": 50, "kind": "single"}, t))
            f.write("\n".join(lines) + "\n")

if __name__ == "__main__":
    main()
