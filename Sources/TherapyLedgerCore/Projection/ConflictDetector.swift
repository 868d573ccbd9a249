/// A conflict: two events of one patient recorded at different sites, neither having seen the other,
/// that both set the dose (or both correct the same event). Every ledger holding the same events derives
/// the same conflicts; none is resolved silently by a clock or a winner.
public struct ConflictRecord: Sendable, Hashable {
    /// `concurrent-programming` or `concurrent-correction`.
    public var kind: String
    /// The two events, ids in ascending order.
    public var eventIDs: [String]
    /// When the later of the two occurred.
    public var raisedAt: Timestamp
    /// The event that resolved it: a later programming, implant, replacement or explant (or, for corrections,
    /// a later correction) that has seen both, or a `conflict.resolved` listing both. Nil while open.
    public var resolvedBy: String?
    /// A stable id, `kind:idA+idB`.
    public var id: String { kind + ":" + eventIDs.joined(separator: "+") }
}

/// Finds conflicts among a patient's recorded events.
public enum ConflictDetector {
    /// Whether events of this type take part in conflicts: a patient whose events of these types all come from
    /// one site has none (``conflicts(in:status:asOf:)`` finds nothing without events of several sites).
    public static func canConflict(_ type: EventType) -> Bool {
        type.isDoseSetting || type == .eventCorrected
    }

    /// The conflicts among `events` (one patient's, all recorded, in clinical order as ``EffectiveEvents/all``).
    ///
    /// - The conflict domain: implants, programmings, replacements, explants, and refills that change the
    ///   concentration (a same-concentration refill sets nothing the pump delivers). Voided events take no part.
    /// - Programming conflicts count when both events occurred by `asOf`; they are resolved only by a later
    ///   programming, implant, replacement or explant that has seen both (never by a routine refill), or by a
    ///   `conflict.resolved` listing both, occurring by `asOf`.
    /// - Corrections apply at every as-of time, so concurrent corrections are shown at every as-of time too;
    ///   a later correction of the same event that has seen both resolves them.
    public static func conflicts(in all: [ProjectionEvent], status: [String: EffectiveEvents.Status], asOf: Timestamp?) -> [ConflictRecord] {
        // Without events from several sites there is no concurrency (the usual case): nothing to copy.
        let relevant = { (e: ProjectionEvent) in canConflict(e.type) }
        guard let firstSite = all.first(where: relevant)?.site, all.contains(where: { relevant($0) && $0.site != firstSite }) else { return [] }
        var dosing: [ProjectionEvent] = []
        var resolvers: [ProjectionEvent] = []
        var resolutions: [ProjectionEvent] = []
        var corrections: [ProjectionEvent] = []
        var fillConcentration: Double?
        for e in all {
            if e.type == .eventCorrected {
                corrections.append(e)
                continue
            }
            let voided = status[e.id] == .voided
            var setsDose = e.type.isDoseSetting
            if !voided, let c = e.facts.concentrationMcgPerMl,
               e.type == .reservoirRefilled || e.type == .pumpImplanted || e.type == .pumpReplaced {
                if e.type == .reservoirRefilled { setsDose = fillConcentration.map { $0 != c } ?? true }
                fillConcentration = c
            }
            if let asOf, e.occurredAt > asOf { continue }
            if voided { continue }
            if setsDose {
                dosing.append(e)
                if e.type != .reservoirRefilled { resolvers.append(e) }
            } else if e.type == .conflictResolved {
                resolutions.append(e)
            }
        }
        let multiSite = dosing.contains { $0.site != dosing.first?.site } || corrections.contains { $0.site != corrections.first?.site }
        if !multiSite { return [] }
        func earliest(_ candidates: [ProjectionEvent]) -> String? {
            var best: ProjectionEvent?
            for c in candidates {
                if let b = best, !ProjectionEvent.clinicalOrder(c, b) { continue }
                best = c
            }
            return best?.id
        }
        var out: [ConflictRecord] = []
        for (a, b) in concurrentPairs(dosing) {
            let by = resolutions.filter { Set($0.facts.refs).isSuperset(of: [a.id, b.id]) }
                + resolvers.filter { $0.id != a.id && $0.id != b.id && $0.hasSeen(a) && $0.hasSeen(b) }
            out.append(ConflictRecord(kind: "concurrent-programming", eventIDs: [a.id, b.id].sorted(),
                                      raisedAt: max(a.occurredAt, b.occurredAt), resolvedBy: earliest(by)))
        }
        var byTarget: [String: [ProjectionEvent]] = [:]
        for e in corrections { if let t = e.facts.ref { byTarget[t, default: []].append(e) } }
        for (_, list) in byTarget where list.count > 1 {
            for (a, b) in concurrentPairs(list) {
                let by = list.filter { $0.id != a.id && $0.id != b.id && $0.hasSeen(a) && $0.hasSeen(b) }
                out.append(ConflictRecord(kind: "concurrent-correction", eventIDs: [a.id, b.id].sorted(),
                                          raisedAt: max(a.occurredAt, b.occurredAt), resolvedBy: earliest(by)))
            }
        }
        return out.sorted { ($0.raisedAt, $0.id) < ($1.raisedAt, $1.id) }
    }

    /// Every pair of concurrent events, in O(n log n + pairs) rather than comparing all pairs: within one
    /// site, events are ordered by seq and their clocks only grow, so the events of site B that event `a`
    /// of site A has not seen form a suffix of B's events, and those that have not seen `a` form a prefix.
    static func concurrentPairs(_ events: [ProjectionEvent]) -> [(ProjectionEvent, ProjectionEvent)] {
        var bySite: [String: [ProjectionEvent]] = [:]
        for e in events { bySite[e.site, default: []].append(e) }
        let sites = bySite.keys.sorted()
        for s in sites { bySite[s]?.sort { $0.seq < $1.seq } }
        var pairs: [(ProjectionEvent, ProjectionEvent)] = []
        for (i, siteA) in sites.enumerated() {
            guard let listA = bySite[siteA] else { continue }
            for siteB in sites[(i + 1)...] {
                guard let listB = bySite[siteB] else { continue }
                for a in listA {
                    // First index in B that `a` has not seen (seq > a.clock[B]).
                    let seen = a.clock[siteB]
                    var lo = 0, hi = listB.count
                    while lo < hi { let mid = (lo + hi) / 2; if listB[mid].seq <= seen { lo = mid + 1 } else { hi = mid } }
                    let from = lo
                    // First index in B that has seen `a` (clock[A] >= a.seq).
                    lo = from; hi = listB.count
                    while lo < hi { let mid = (lo + hi) / 2; if listB[mid].clock[siteA] < a.seq { lo = mid + 1 } else { hi = mid } }
                    for b in listB[from..<lo] { pairs.append((a, b)) }
                }
            }
        }
        return pairs
    }
}
