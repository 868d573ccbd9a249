import Foundation
import Testing
import TherapyLedgerSimulation
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

// MARK: - Seeded randomness


// MARK: - Building projection events directly

/// A time for projection tests; fails loudly on a typo.
func ts(_ s: String) -> Timestamp {
    guard let t = Timestamp.parse(s) else { fatalError("bad time in test: \(s)") }
    return t
}

/// A fixed projection-test UUID: `pid(5)` is `00000000-0000-7000-8000-000000000005`.
func pid(_ n: Int) -> String {
    let s = String(n)
    return "00000000-0000-7000-8000-" + String(repeating: "0", count: 12 - s.count) + s
}

/// One patient's history at one or more sites, built as ``ProjectionEvent`` values with real vector clocks:
/// each site numbers its own events and knows what it has recorded or synced from the others.
struct History {
    var patient = "P001"
    var events: [ProjectionEvent] = []
    private var clocks: [String: VectorClock] = [:]
    private var next = 1

    init(patient: String = "P001") { self.patient = patient }

    /// Records an event at `site`; returns its id (`pid(n)`, n counting from 1).
    @discardableResult
    mutating func add(_ type: EventType, _ at: String, _ facts: EventFacts, site: String = "north", author: String = "dr.test") -> String {
        var clock = clocks[site] ?? VectorClock()
        let seq = clock[site] + 1
        clock[site] = seq
        clocks[site] = clock
        let id = pid(next)
        next += 1
        events.append(ProjectionEvent(id: id, type: type, patient: patient, occurredAt: ts(at), recordedAt: ts("2025-06-01T00:00:00Z").adding(seconds: Int64(next)),
                                      site: site, seq: seq, clock: clock, facts: facts, author: author))
        return id
    }

    /// `to` integrates everything `from` has (a sync bundle from `from` imported at `to`).
    mutating func sync(from: String, to: String) {
        clocks[to] = (clocks[to] ?? VectorClock()).merged(with: clocks[from] ?? VectorClock())
    }

    // Shorthands for the common events.
    @discardableResult
    mutating func enrol(_ at: String = "2025-01-01T00:00:00Z", origin: String = "spinal", site: String = "north") -> String {
        add(.patientEnrolled, at, EventFacts(label: "spinal-cord-injury", label2: origin), site: site)
    }

    @discardableResult
    mutating func implant(_ at: String = "2025-01-06T00:00:00Z", reservoir: Double = 20, conc: Double = 2000, fill: Double = 20, dose: Double = 1000,
                          lowAlarm: Double? = nil, replace: Bool = false, site: String = "north") -> String {
        add(replace ? .pumpReplaced : .pumpImplanted, at,
            EventFacts(dailyDoseMcg: dose, concentrationMcgPerMl: conc, volumeMl: fill, reservoirMl: reservoir, lowAlarmMl: lowAlarm, label: "baclofen",
                       label2: "SynchroMed II"), site: site)
    }

    @discardableResult
    mutating func program(_ at: String, _ dose: Double, lowAlarm: Double? = nil, site: String = "north") -> String {
        add(.doseProgrammed, at, EventFacts(dailyDoseMcg: dose, lowAlarmMl: lowAlarm, label: "simple-continuous"), site: site)
    }

    @discardableResult
    mutating func refill(_ at: String, residual: Double, added: Double = 20, conc: Double = 2000, due: String? = nil, site: String = "north") -> String {
        add(.reservoirRefilled, at, EventFacts(concentrationMcgPerMl: conc, volumeMl: added, residualMl: residual, nextRefillDue: due.map { Timestamp.parseDate($0) ?? ts($0) }), site: site)
    }

    @discardableResult
    mutating func bolus(_ at: String, _ mcg: Double, site: String = "north") -> String {
        add(.bolusDelivered, at, EventFacts(bolusMcg: mcg, label: "single"), site: site)
    }

    /// Status JSON fields are compared through this.
    func status(_ asOf: String, knownAt: Timestamp? = nil) -> PatientStatus {
        Projector.status(patient: patient, events: events, asOf: ts(asOf), knownAt: knownAt)
    }
}

extension PatientStatus {
    /// The alert codes, most urgent first.
    var codes: [String] { alerts.map(\.code) }
    /// The alert with `code`, if raised.
    func alert(_ code: String) -> Alert? { alerts.first { $0.code == code } }
    /// The status as canonical JSON text (for failure messages and byte comparisons).
    var jsonText: String { CanonicalJSON.string(json) }
}
