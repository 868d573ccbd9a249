/// The JSON form of a ``PatientStatus`` (schema: `schemas/status.schema.json`). Rounded for output:
/// volumes 0.01 mL, doses 0.1 mcg, concentrations 0.01 mcg/mL, rates 0.0001 mL/day, percentages 0.1 %;
/// times UTC `YYYY-MM-DDTHH:MM:SSZ`, dates `YYYY-MM-DD`. No wall-clock time appears in it.
extension PatientStatus {
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "patient": .string(patient),
            "asOf": .string(asOf.iso8601),
            "knownAt": knownAt.map { .string($0.iso8601) } ?? .null,
            "therapy": .string(therapy.rawValue),
            "origin": origin.map(JSONValue.string) ?? .null,
            "indication": indication.map(JSONValue.string) ?? .null,
        ]
        if let pump, therapy == .active {
            o["pump"] = .object([
                "eventId": .string(pump.eventID), "implantedAt": .string(pump.implantedAt.iso8601),
                "model": pump.model.map(JSONValue.string) ?? .null, "reservoirMl": .number(Rounding.volume(pump.reservoirMl)),
            ])
        } else {
            o["pump"] = .null
        }
        if let dose, therapy == .active {
            o["dose"] = .object([
                "dailyDoseMcg": .number(Rounding.dose(dose.dailyDoseMcg)),
                "concentrationMcgPerMl": .number(Rounding.concentration(dose.programmedConcentration)),
                "reservoirConcentrationMcgPerMl": .number(Rounding.concentration(dose.reservoirConcentration)),
                "rateMlPerDay": .number(Rounding.rate(dose.rateMlPerDay)),
                "mode": .string(dose.mode),
                "since": .string(dose.since.iso8601),
                "eventId": .string(dose.eventID),
            ])
        } else {
            o["dose"] = .null
        }
        if let pump, therapy == .active {
            var reservoir: [String: JSONValue] = [
                "capacityMl": .number(Rounding.volume(pump.reservoirMl)),
                "volumeMl": volumeMl.map { .number(Rounding.volume($0)) } ?? .null,
                "lowAlarmMl": .number(Rounding.volume(pump.lowAlarmMl)),
                "lowAlarmAt": lowAlarmAt.map { .string($0.iso8601) } ?? .null,
                "emptyAt": emptyAt.map { .string($0.iso8601) } ?? .null,
                "lastRefillAt": lastRefillAt.map { .string($0.iso8601) } ?? .null,
                "nextRefillDue": nextRefillDue.map { .string($0.dateString) } ?? .null,
                "lastRefill": lastRefill.map { $0.json } ?? .null,
            ]
            // Only after a refill that showed over-infusion (absent otherwise, so earlier outputs keep their bytes).
            if let rate = observedRateMlPerDay {
                reservoir["observedRateMlPerDay"] = .number(Rounding.rate(rate))
                reservoir["observedLowAlarmAt"] = observedLowAlarmAt.map { .string($0.iso8601) } ?? .null
                reservoir["observedEmptyAt"] = observedEmptyAt.map { .string($0.iso8601) } ?? .null
            }
            o["reservoir"] = .object(reservoir)
        } else {
            o["reservoir"] = .null
        }
        o["alerts"] = .array(alerts.map { $0.json })
        o["conflicts"] = .array(conflicts.map { $0.json })
        return .object(o)
    }
}

extension Alert {
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "code": .string(code), "severity": .string(severity.rawValue), "eventIds": .array(eventIDs.map(JSONValue.string)),
            "message": .string(message), "raisedAt": .string(raisedAt.iso8601),
        ]
        // Only when acknowledged (absent otherwise).
        if let a = acknowledgement {
            o["acknowledged"] = .object([
                "eventId": .string(a.eventID), "by": a.by.map(JSONValue.string) ?? .null, "at": .string(a.at.iso8601),
                "until": a.until.map { .string($0.iso8601) } ?? .null,
            ])
        }
        return .object(o)
    }
}

extension ConflictRecord {
    public var json: JSONValue {
        .object([
            "id": .string(id), "kind": .string(kind), "eventIds": .array(eventIDs.map(JSONValue.string)),
            "raisedAt": .string(raisedAt.iso8601), "resolvedBy": resolvedBy.map(JSONValue.string) ?? .null,
        ])
    }
}

extension RefillRecord {
    public var json: JSONValue {
        .object([
            "eventId": .string(eventID), "at": .string(at.iso8601),
            "expectedResidualMl": .number(Rounding.volume(expectedResidualMl)),
            "measuredResidualMl": .number(Rounding.volume(measuredResidualMl)),
            "discrepancyMl": .number(Rounding.volume(discrepancyMl)),
            "discrepancyPct": discrepancyPct.map { .number(Rounding.percent($0)) } ?? .null,
            "flagged": .bool(flagged),
            "addedMl": .number(Rounding.volume(addedMl)),
            "concentrationMcgPerMl": .number(Rounding.concentration(concentrationMcgPerMl)),
        ])
    }
}
