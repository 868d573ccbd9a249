import Foundation
import GRDB
import TherapyLedgerCore

extension LedgerStore {
    /// Event types whose `data` carries text that exports need (birth year, pump serial, adverse-event
    /// description), plus corrections, whose `data.data` may amend that text.
    static let exportTextTypes: [EventType] = [.patientEnrolled, .pumpImplanted, .pumpReplaced, .adverseEventReported, .eventCorrected]

    /// Every patient the ledger knows, in ascending id order.
    public func patientIDs() throws -> [String] {
        try db.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT patient FROM events ORDER BY patient") }
    }

    /// Calls `body` with each patient's events as projections see them, for exports.
    ///
    /// - Parameters:
    ///   - patients: the patients to read, in this order; nil reads every patient in ascending id order
    ///     through one cursor.
    ///   - withText: also decode `data` (``ProjectionEvent/data``) for the event types that carry text
    ///     (enrolment, implant, replacement, adverse-event report, correction); every other event keeps
    ///     `data` nil, so the cost stays close to ``forEachPatient(_:)``.
    ///
    /// Only one patient's events are held at a time. All reads run in one read transaction: a
    /// consistent snapshot even while others append.
    public func forEachExportPatient(_ patients: [String]?, withText: Bool, _ body: (String, [ProjectionEvent]) throws -> Void) throws {
        let codes = Self.exportTextTypes.map { String($0.code) }.joined(separator: ",")
        let text = withText ? ", CASE WHEN type IN (\(codes)) THEN body END" : ""
        let select = "SELECT \(ProjectionRows.columns)\(text) FROM events"
        try db.read { db in
            func decode(_ row: Row) throws -> ProjectionEvent {
                var e = try ProjectionRows.event(row)
                if withText, let bytes = row[25] as Data? {
                    guard let value = try? JSONParser.parse(Array(bytes)) else {
                        throw StoreError("a stored event (\(e.id)) is not valid JSON: run `therapy-ledger verify`")
                    }
                    e.data = value["data"]
                }
                return e
            }
            if let patients {
                let statement = try db.cachedStatement(sql: select + " WHERE patient = ?")
                var batch: [ProjectionEvent] = []
                for patient in patients {
                    batch.removeAll(keepingCapacity: true)
                    let cursor = try Row.fetchCursor(statement, arguments: [patient])
                    while let row = try cursor.next() { batch.append(try decode(row)) }
                    try body(patient, batch)
                }
                return
            }
            // Every patient: rows straight from SQLite (see RawEventReader); clocks parsed only where several
            // sites set a patient's dose (conflict detection needs them nowhere else).
            var reader = RawEventReader(try db.makeStatement(sql: select + " ORDER BY patient"))
            try reader.forEachPatient(adjust: { e, reader in
                guard withText, let bytes = reader.bytes(25) else { return }
                guard let value = try? JSONParser.parse(bytes) else {
                    throw StoreError("a stored event (\(e.id)) is not valid JSON: run `therapy-ledger verify`")
                }
                e.data = value["data"]
            }, body)
        }
    }
}
