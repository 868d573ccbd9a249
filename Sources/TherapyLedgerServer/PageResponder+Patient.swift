import Hummingbird
import TherapyLedgerCore
import TherapyLedgerPages
import TherapyLedgerStore

/// The patient page and the expected-residual preview of the refill form.
extension PageResponder {
    func patientPage(_ patient: String, _ query: Query, _ viewer: PageViewer) async throws -> Response {
        let asOf = try Self.time(query, "asOf"), knownAt = try Self.time(query, "knownAt")
        let store = self.store
        let input = try await Self.known(patient) {
            try store.patientReportInput(patient: patient, asOf: asOf ?? store.environment.now(), knownAt: knownAt)
        }
        var notice: String?
        if let type = query["recorded"], let form = RecordForms.form(named: type) {
            let id = query["event"].flatMap { id in id.allSatisfy { $0.isHexDigit || $0 == "-" } && id.count <= 36 ? id : nil }
            notice = "Recorded: \(form.type.rawValue)\(id.map { " (event \($0))" } ?? ""), attributed to \(viewer.name)."
        }
        return Self.html(.ok, PatientPage.render(input, viewer: viewer, asOfText: query["asOf"], knownAtText: query["knownAt"],
                                                 canRecord: Self.writers.contains(UserRole(rawValue: viewer.role) ?? .auditor), notice: notice))
    }

    /// `GET /patients/{id}/expected-residual?at=ISO`: the refill form's preview, as JSON.
    func expectedResidual(_ patient: String, _ query: Query) async throws -> Response {
        guard let text = query["at"], let at = Timestamp.parseTimeOrDate(text) else {
            return Self.json(.unprocessableContent, .object(["detail": .string("at \(query["at"] ?? "(missing)"): expected a time like 2026-03-01T09:30:00Z (with an offset)")]))
        }
        let store = self.store
        let found: RefillExpectation??
        do {
            found = try await Self.known(patient) { .some(try store.refillExpectation(patient: patient, at: at)) }
        } catch let e as PageError {
            return Self.json(e.status, .object(["detail": .string(e.message)]))
        }
        guard let e = found ?? nil else {
            return Self.json(.unprocessableContent, .object(["detail": .string("no refill can be measured at \(at.iso8601): no pump with therapy running then")]))
        }
        return Self.json(.ok, Self.expectationJSON(e))
    }

    static func expectationJSON(_ e: RefillExpectation) -> JSONValue {
        .object([
            "at": .string(e.at.iso8601),
            "expectedResidualMl": .number(e.expectedResidualMl),
            "shouldHaveDeliveredMl": .number(e.shouldHaveDeliveredMl),
            "thresholdMl": .number(e.thresholdMl),
            "expectedResidualText": .string("\(Rounding.fixed(e.expectedResidualMl, decimals: 2)) mL"),
            "thresholdText": .string("\(Rounding.fixed(e.thresholdMl, decimals: 2)) mL"),
        ])
    }

    /// Runs a read of `patient` off the event loops; an unknown patient becomes a 404 page.
    static func known<T: Sendable>(_ patient: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result = try await Blocking.run { () throws -> T? in
            do {
                return try body()
            } catch let e as StoreError where e.message == LedgerStore.unknownPatientMessage(patient) {
                return nil
            }
        }
        guard let result else { throw PageError(.notFound, "Unknown patient", LedgerStore.unknownPatientMessage(patient)) }
        return result
    }
}
