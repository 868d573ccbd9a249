/// Something a patient's care will do at a time: a visit or a follow-up.
enum TaskKind: Sendable, Hashable {
    case enrol
    case trial(attempt: Int)
    case implant
    case titrate
    /// A refill; `generation` lets a rescheduled refill cancel the earlier plan; `late` marks a refill
    /// that comes after the reservoir ran dry.
    case refill(generation: Int, late: Bool)
    case reprogramAfterMissedConcentration
    case resolveAdverseEvent(report: String)
    case adverseEvent(category: String)
    case catheterRevision
    case replacePump
    case explant
    case move
}


/// A task in the queue: when, a tie-breaking serial, whose, and what.
struct ScheduledTask: Sendable {
    var at: Int64
    var serial: Int
    var patient: Int
    var kind: TaskKind

    func precedes(_ o: ScheduledTask) -> Bool { at != o.at ? at < o.at : serial < o.serial }
}

/// A binary min-heap of tasks ordered by time, then by the order they were scheduled: deterministic.
struct TaskQueue: Sendable {
    private var heap: [ScheduledTask] = []
    private var serial = 0

    var isEmpty: Bool { heap.isEmpty }
    var nextTime: Int64? { heap.first?.at }

    mutating func schedule(_ kind: TaskKind, patient: Int, at: Int64) {
        serial += 1
        heap.append(ScheduledTask(at: at, serial: serial, patient: patient, kind: kind))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].precedes(heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> ScheduledTask? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count, heap[l].precedes(heap[m]) { m = l }
            if r < heap.count, heap[r].precedes(heap[m]) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return top
    }
}
