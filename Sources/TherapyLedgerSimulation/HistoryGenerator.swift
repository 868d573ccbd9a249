import TherapyLedgerCore

/// Generates a clinically plausible ITB history for a network of sites, as an ordered stream of
/// ``SimulationStep``s: per-site batches of submissions (one per site per clinic day) interleaved with
/// sync points. Pure and deterministic: the same parameters give the same steps, byte for byte.
///
/// Every event is valid where it is recorded: a patient's events go to a site only once that site holds
/// all of the patient's earlier events (so enrolments, pumps, correction targets and reports are known).
/// A patient who moves switches site after a sync brought their history over; sometimes the old site
/// records one last programming before it learns of the move, which is concurrent programming.
public struct HistoryGenerator: Sendable {
    public let parameters: SimulationParameters
    let siteNames: [String]
    var patients: [SimulatedPatient] = []
    var queue = TaskQueue()
    var rng: SeededRandom
    /// What each site holds: for each origin site, the highest seq (`knows[k][k]`: the events site k generated).
    var knows: [[Int64]]
    var pending: [[Submission]]
    var pendingLatest: [Int64]
    var summary = SimulationSummary()
    var problems: [String] = []
    var lastStepAt: Int64
    let startSeconds: Int64
    let endSeconds: Int64

    /// Prepares a generator; throws when the parameters are out of range.
    public init(_ parameters: SimulationParameters) throws(SimulationError) {
        try parameters.validate()
        self.parameters = parameters
        siteNames = parameters.siteNames
        rng = SeededRandom.derived(seed: parameters.seed, stream: 0)
        knows = Array(repeating: Array(repeating: 0, count: parameters.sites), count: parameters.sites)
        pending = Array(repeating: [], count: parameters.sites)
        pendingLatest = Array(repeating: 0, count: parameters.sites)
        startSeconds = parameters.start.seconds
        endSeconds = parameters.end.seconds
        lastStepAt = startSeconds
        for name in siteNames { summary.eventsBySite[name] = 0 }
    }

    /// Generates the whole history into memory (for small networks; see ``run(_:)`` to stream).
    public static func generate(_ parameters: SimulationParameters) throws -> (steps: [SimulationStep], summary: SimulationSummary) {
        var g = try HistoryGenerator(parameters)
        var steps: [SimulationStep] = []
        let summary = try g.run { steps.append($0) }
        return (steps, summary)
    }

    /// Runs the simulation, handing each step to `emit` in order. Memory stays proportional to the number
    /// of patients, not of events. Throws ``SimulationError`` if an event failed validation (a generator bug).
    public mutating func run(_ emit: (SimulationStep) throws -> Void) throws -> SimulationSummary {
        let p = parameters
        let siteWeights = (0..<p.sites).map { (k: Int) -> (Int, Double) in (k, 1.0 / Double(k + 1).squareRoot()) }
        let span = Double(endSeconds - startSeconds)
        for i in 0..<p.patients {
            let home = rng.weighted(siteWeights)
            var patient = SimulatedPatient(index: i, seed: p.seed, sites: p.sites, homeSite: home)
            let prevalent = patient.rng.chance(p.prevalentFraction)
            let enrolAt = prevalent
                ? startSeconds + Int64(patient.rng.uniform(0...min(60 * 86_400, span * 0.2)))
                : startSeconds + Int64(patient.rng.uniform(0...max(0, span - 30 * 86_400)))
            if prevalent { patient.phase = .maintenance }
            if p.sites > 1, p.syncs, p.moveRatePerYear > 0 {
                let moveAt = enrolAt + Int64(patient.rng.exponential(mean: 365.25 * 86_400 / p.moveRatePerYear))
                if moveAt < endSeconds { queue.schedule(.move, patient: i, at: moveAt) }
            }
            if patient.rng.chance(0.015 * p.years) {
                let explantAt = enrolAt + Int64(patient.rng.uniform(90...max(91, span)) * 1)
                if explantAt < endSeconds { queue.schedule(.explant, patient: i, at: clinicTime(explantAt, &patient.rng)) }
            }
            patients.append(patient)
            queue.schedule(.enrol, patient: i, at: clinicTime(enrolAt, &patients[i].rng))
        }
        var syncs = p.syncs && p.sites > 1 ? syncSchedule() : []
        syncs.reverse()
        var day = startSeconds / 86_400
        while let next = queue.nextTime, next < endSeconds {
            if let limit = p.maxEvents, summary.events >= limit { break }
            while let s = syncs.last, s.at <= next {
                syncs.removeLast()
                try flush(emit)
                try sync(from: s.from, to: s.to, at: s.at, emit)
            }
            if next / 86_400 != day {
                try flush(emit)
                day = next / 86_400
            }
            guard let task = queue.pop() else { break }
            perform(task)
        }
        try flush(emit)
        if p.syncs && p.sites > 1 {
            // A final full exchange through the first site: afterwards every ledger holds every event.
            let at = max(lastStepAt, endSeconds)
            for k in 1..<p.sites { try sync(from: k, to: 0, at: at, emit) }
            for k in 1..<p.sites { try sync(from: 0, to: k, at: at, emit) }
        }
        if !problems.isEmpty {
            throw SimulationError("the generator produced \(problems.count) invalid event(s), a generator bug: \(problems.prefix(5).joined(separator: "; "))")
        }
        return summary
    }

    /// Each site exports to one other site at irregular times: exponential gaps, a mean of 2-14 days per site.
    mutating func syncSchedule() -> [(at: Int64, from: Int, to: Int)] {
        var out: [(at: Int64, from: Int, to: Int)] = []
        for from in 0..<parameters.sites {
            let mean = rng.uniform(2...14) * 86_400
            var t = startSeconds + Int64(rng.exponential(mean: mean))
            while t < endSeconds {
                var to = rng.int(0...(parameters.sites - 2))
                if to >= from { to += 1 }
                out.append((clinicTime(t, &rng), from, to))
                t += Int64(rng.exponential(mean: mean)) + 3600
            }
        }
        return out.sorted { ($0.at, $0.from, $0.to) < ($1.at, $1.from, $1.to) }
    }

    mutating func flush(_ emit: (SimulationStep) throws -> Void) throws {
        for k in pending.indices where !pending[k].isEmpty {
            let at = max(lastStepAt, pendingLatest[k] + 600)
            lastStepAt = at
            summary.batches += 1
            try emit(.append(site: siteNames[k], at: Timestamp(seconds: at), events: pending[k]))
            pending[k].removeAll(keepingCapacity: true)
            pendingLatest[k] = 0
        }
    }

    mutating func sync(from: Int, to: Int, at: Int64, _ emit: (SimulationStep) throws -> Void) throws {
        let when = max(lastStepAt, at)
        lastStepAt = when
        for o in 0..<parameters.sites { knows[to][o] = max(knows[to][o], knows[from][o]) }
        summary.syncs += 1
        try emit(.sync(from: siteNames[from], to: siteNames[to], at: Timestamp(seconds: when)))
    }

    /// Whether `site` holds every event of patient `i` recorded so far.
    func siteKnowsAll(_ site: Int, of i: Int) -> Bool {
        let last = patients[i].lastSeqBySite
        return (0..<parameters.sites).allSatisfy { knows[site][$0] >= last[$0] }
    }

    /// A time during clinic hours (08:00-17:00 UTC) on the day of `t`, on a 5-minute grid.
    func clinicTime(_ t: Int64, _ g: inout SeededRandom) -> Int64 {
        let day = t / 86_400 * 86_400
        return day + 8 * 3600 + Int64(g.int(0...107)) * 300
    }

    /// Records an event for patient `i` at `site` (default: the patient's site) and returns its id.
    @discardableResult
    mutating func record(_ i: Int, _ type: EventType, at t: Int64, site: Int? = nil, reason: String? = nil,
                         author: String? = nil, _ data: [String: JSONValue]) -> String {
        let k = site ?? patients[i].site
        let when = Timestamp(seconds: t)
        let id = patients[i].rng.eventID(at: when)
        let value = JSONValue.object(data)
        switch DataValidator.validate(type, data: value) {
        case .failure(let e):
            problems.append("\(type.rawValue) for \(patients[i].id): \(e.errors.map(\.description).joined(separator: ", "))")
            return id
        case .success(let facts):
            let who = author ?? self.author(for: type, site: k, &patients[i].rng)
            pending[k].append(Submission(id: id, type: type, patient: patients[i].id, occurredAt: when, author: who, reason: reason,
                                         data: value, facts: facts))
        }
        pendingLatest[k] = max(pendingLatest[k], t)
        knows[k][k] += 1
        patients[i].lastSeqBySite[k] = knows[k][k]
        summary.eventsBySite[siteNames[k], default: 0] += 1
        summary.eventsByType[type, default: 0] += 1
        return id
    }

    /// A plausible author at the site: physicians program and implant, nurses and pharmacists refill.
    func author(for type: EventType, site k: Int, _ g: inout SeededRandom) -> String {
        let name = siteNames[k]
        switch type {
        case .reservoirRefilled, .bolusDelivered, .assessmentRecorded:
            let nurse = g.int(1...3), doctor = g.int(1...2)
            return g.weighted([("rn.\(name).\(nurse)", 0.6), ("pharm.\(name).1", 0.2), ("dr.\(name).\(doctor)", 0.2)])
        default:
            let doctor = g.int(1...3)
            return "dr.\(name).\(doctor)"
        }
    }
}
