import GRDB
import GRDBSQLite
import TherapyLedgerCore

/// What import validation asks of the ledger, kept for one import: each patient's enrolments, pumps and explants
/// and each site's last accepted event are read from the ledger at first need, then kept up to date as the import
/// inserts and quarantines events (``recorded(_:quarantined:)``), instead of one query per event and question.
/// Every answer is filtered by the asking event's ``CausalPosition`` exactly as ``CausalPastContext``'s queries
/// filter their rows, so an import reaches the same verdict for every event as with those queries (debug builds
/// check it for every imported event).
final class ImportPast {
    /// An event's site and seq.
    struct Place {
        var site: String
        var seq: Int64
    }

    /// A `pump.implanted` or `pump.replaced`; `reservoirMl` is nil where the column is NULL.
    struct Pump {
        var place: Place
        var at: Timestamp
        var reservoirMl: Double?

        /// The order of the index `events_pumps` that ``CausalPastContext/pumps(of:)`` reads (occurred_at, then
        /// reservoir_ml with NULL first; equal keys in rowid order, the order of insertion).
        func precedes(_ other: Pump) -> Bool {
            if at != other.at { return at < other.at }
            guard let b = other.reservoirMl else { return false }
            guard let a = reservoirMl else { return true }
            return a < b
        }
    }

    /// A site's last accepted event before seq `next`.
    struct Previous {
        var next: Int64
        var last: (seq: Int64, at: Timestamp)?
    }

    let db: Database
    private let knownEventStatement: Statement
    private(set) var quarantined: QuarantinedEvents
    private var enrolments: [String: [Place]] = [:]
    private var pumps: [String: [Pump]] = [:]
    private var explants: [String: [(place: Place, at: Timestamp)]] = [:]
    /// The ids of the events this import inserted.
    private var imported: Set<String> = []
    private var previous: [String: Previous] = [:]

    /// Reads the quarantine; the rest is read at first need.
    init(db: Database) throws {
        self.db = db
        knownEventStatement = try db.cachedStatement(sql: CausalPastContext.knownEventSQL)
        quarantined = try QuarantinedEvents(db)
    }

    /// The place of `event` among the ledger's events, with what is quarantined now.
    func position(of event: RecordedEvent) -> CausalPosition {
        CausalPosition(clock: event.clock, site: event.site, seq: event.seq, quarantined: quarantined)
    }

    /// The site's last event before `seq` that is not quarantined (see ``CausalPastContext/previousAccepted(site:before:_:)``).
    func previousAccepted(site: String, before seq: Int64) throws -> (seq: Int64, at: Timestamp)? {
        if let p = previous[site], p.next == seq { return p.last }
        let last = try CausalPastContext.previousAccepted(site: site, before: seq, db)
        previous[site] = Previous(next: seq, last: last)
        return last
    }

    func isEnrolled(_ patient: String, _ position: CausalPosition) throws -> Bool {
        let held: [Place]
        if let cached = enrolments[patient] {
            held = cached
        } else {
            var read: [Place] = []
            try RawSQLite.query(db, "SELECT site, seq FROM events INDEXED BY events_enrolments WHERE patient = ? AND type = 1", patient) { s in
                read.append(Place(site: RawSQLite.text(s, 0) ?? "", seq: sqlite3_column_int64(s, 1)))
            }
            enrolments[patient] = read
            held = read
        }
        return held.contains { position.covers($0.site, $0.seq) }
    }

    func pumps(of patient: String, _ position: CausalPosition) throws -> [(at: Timestamp, reservoirMl: Double)] {
        let held: [Pump]
        if let cached = pumps[patient] {
            held = cached
        } else {
            var read: [Pump] = []
            try RawSQLite.query(db, "SELECT site, seq, occurred_at, reservoir_ml FROM events INDEXED BY events_pumps WHERE patient = ? AND type IN (3, 10)", patient) { s in
                let ml: Double? = sqlite3_column_type(s, 3) == SQLITE_NULL ? nil : sqlite3_column_double(s, 3)
                read.append(Pump(place: Place(site: RawSQLite.text(s, 0) ?? "", seq: sqlite3_column_int64(s, 1)), at: Timestamp(seconds: sqlite3_column_int64(s, 2)), reservoirMl: ml))
            }
            pumps[patient] = read
            held = read
        }
        var out: [(at: Timestamp, reservoirMl: Double)] = []
        for p in held where position.covers(p.place.site, p.place.seq) { out.append((p.at, p.reservoirMl ?? 0)) }
        return out
    }

    func explants(of patient: String, _ position: CausalPosition) throws -> [Timestamp] {
        let held: [(place: Place, at: Timestamp)]
        if let cached = explants[patient] {
            held = cached
        } else {
            var read: [(place: Place, at: Timestamp)] = []
            try RawSQLite.query(db, "SELECT site, seq, occurred_at FROM events INDEXED BY events_explants WHERE patient = ? AND type = 11", patient) { s in
                read.append((Place(site: RawSQLite.text(s, 0) ?? "", seq: sqlite3_column_int64(s, 1)), Timestamp(seconds: sqlite3_column_int64(s, 2))))
            }
            explants[patient] = read
            held = read
        }
        var out: [Timestamp] = []
        for e in held where position.covers(e.place.site, e.place.seq) { out.append(e.at) }
        return out
    }

    /// The ledger's answer (one index search: which of several events sharing an id counts is the index's
    /// order, which no cache need copy).
    func knownEvent(_ id: String, _ position: CausalPosition) throws -> KnownEvent? {
        try CausalPastContext.knownEvent(id, knownEventStatement, position)
    }

    /// Whether this import inserted an event with this id.
    func hasImported(_ id: String) -> Bool {
        imported.contains(id)
    }

    /// `event` was inserted, and quarantined when `quarantined` (after its verdict: the caches read before hold
    /// the ledger without it).
    func recorded(_ event: RecordedEvent, quarantined isQuarantined: Bool) {
        let place = Place(site: event.site, seq: event.seq)
        imported.insert(event.id)
        switch event.type.code {
        case 1:
            enrolments[event.patient]?.append(place)
        case 3, 10:
            if var held = pumps[event.patient] {
                pumps[event.patient] = nil
                let pump = Pump(place: place, at: event.occurredAt, reservoirMl: event.facts.reservoirMl)
                // After every pump it does not precede: a later rowid comes after equal keys.
                let i = held.firstIndex { pump.precedes($0) } ?? held.endIndex
                held.insert(pump, at: i)
                pumps[event.patient] = held
            }
        case 11:
            explants[event.patient]?.append((place, event.occurredAt))
        default:
            break
        }
        if let p = previous[event.site], p.next == event.seq {
            previous[event.site] = Previous(next: event.seq + 1, last: isQuarantined ? p.last : (event.seq, event.recordedAt))
        } else {
            previous[event.site] = nil
        }
        if isQuarantined { quarantined.insert(event.site, event.seq) }
    }
}

/// ``CausalPastContext``'s answers from an ``ImportPast``.
struct CachedPastContext: LedgerContext {
    let past: ImportPast
    let position: CausalPosition

    func isEnrolled(_ patient: String) throws -> Bool { try past.isEnrolled(patient, position) }
    func knownEvent(_ id: String) throws -> KnownEvent? { try past.knownEvent(id, position) }
    func pumps(of patient: String) throws -> [(at: Timestamp, reservoirMl: Double)] { try past.pumps(of: patient, position) }
    func explants(of patient: String) throws -> [Timestamp] { try past.explants(of: patient, position) }
}
