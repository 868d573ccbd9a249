import TherapyLedgerCore

/// What to simulate: how many patients at how many sites over how long, from which seed.
public struct SimulationParameters: Sendable, Hashable {
    /// Number of patients across the network.
    public var patients: Int
    /// Number of sites (1-26).
    public var sites: Int
    /// Length of the simulated period, in years.
    public var years: Double
    /// The seed: the same parameters and seed give the same history, byte for byte.
    public var seed: UInt64
    /// The first instant of the simulated period (UTC).
    public var start: Timestamp
    /// The fraction of patients already on therapy when the period starts (their implant is back-dated).
    public var prevalentFraction: Double
    /// The chance per patient-year of moving to another site.
    public var moveRatePerYear: Double
    /// Whether sites exchange bundles during the period (irregular schedules) and fully at its end.
    public var syncs: Bool
    /// Stop once this many events have been generated (nil: no limit). Used by the benchmark.
    public var maxEvents: Int?
    /// The network name of the generated ledgers.
    public var network: String

    /// Parameters with clinically typical defaults.
    public init(patients: Int, sites: Int, years: Double, seed: UInt64, start: Timestamp = SimulationParameters.defaultStart,
                prevalentFraction: Double = 0.45, moveRatePerYear: Double = 0.06, syncs: Bool = true, maxEvents: Int? = nil,
                network: String = "sim") {
        self.patients = patients
        self.sites = sites
        self.years = years
        self.seed = seed
        self.start = start
        self.prevalentFraction = prevalentFraction
        self.moveRatePerYear = moveRatePerYear
        self.syncs = syncs
        self.maxEvents = maxEvents
        self.network = network
    }

    /// 2024-01-01T00:00:00Z.
    public static let defaultStart = Timestamp(seconds: 1_704_067_200)

    /// The end of the simulated period.
    public var end: Timestamp { start.adding(days: years * 365.25) }

    /// The site names: `north`, `south`, `east`, `west`, `central`, then `site-6`, `site-7`...
    public var siteNames: [String] {
        let base = ["north", "south", "east", "west", "central"]
        return (0..<sites).map { $0 < base.count ? base[$0] : "site-\($0 + 1)" }
    }

    /// Checks the parameters, saying what is wrong.
    public func validate() throws(SimulationError) {
        guard patients >= 1 && patients <= 10_000_000 else { throw SimulationError("patients must be 1-10000000, got \(patients)") }
        guard sites >= 1 && sites <= 26 else { throw SimulationError("sites must be 1-26, got \(sites)") }
        guard years > 0 && years <= 50 else { throw SimulationError("years must be above 0 and at most 50, got \(years)") }
        guard Identifiers.isSiteName(network) else { throw SimulationError("network \"\(network)\" is not a site-style name (lowercase letters, digits, '-')") }
    }
}

/// Why a simulation could not run.
public struct SimulationError: Error, Sendable, CustomStringConvertible {
    /// What was wrong and what to do.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One step of a generated history, in the order the driver must perform them.
public enum SimulationStep: Sendable, Hashable {
    /// Site `site` appends `events` as one batch at `at` (the site's clock when it records them).
    case append(site: String, at: Timestamp, events: [Submission])
    /// Site `from` exports what `to` lacks and `to` imports it, at `at`.
    case sync(from: String, to: String, at: Timestamp)

    /// When the step happens.
    public var at: Timestamp {
        switch self {
        case .append(_, let at, _), .sync(_, _, let at): return at
        }
    }
}

/// Counts of what a simulation generated.
public struct SimulationSummary: Sendable, Hashable {
    /// Events generated per site, in site order.
    public var eventsBySite: [String: Int] = [:]
    /// Events generated per type.
    public var eventsByType: [EventType: Int] = [:]
    /// Append batches and sync points.
    public var batches = 0
    public var syncs = 0
    /// Patients who moved site, and dose programmings recorded concurrently at two sites.
    public var moves = 0
    public var concurrentProgrammings = 0

    /// Total events.
    public var events: Int { eventsBySite.values.reduce(0, +) }
}
