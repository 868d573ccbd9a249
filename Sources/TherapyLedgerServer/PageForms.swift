import Hummingbird
import TherapyLedgerCore
import TherapyLedgerPages
import TherapyLedgerStore

/// The record forms: `GET` shows one, `POST` appends the one event it makes, as the API's `POST /events` does
/// (one atomic append, attributed to the signed-in user), or shows it again with the validator's errors.
extension PageResponder {
    /// `query` prefills a shown form (`?code=...&events=...` from an alert's acknowledge link).
    func record(_ patient: String, _ type: String, _ posted: Query?, _ query: Query, _ viewer: PageViewer, _ visit: inout PageVisit) async throws -> Response {
        guard let form = RecordForms.form(named: type) else {
            throw PageError(.notFound, "No such form", "There is no form for \(type): the forms are \(RecordForms.types.map(\.0.rawValue).joined(separator: ", ")).")
        }
        let store = self.store
        let now = store.environment.now()
        guard let posted else {
            var values = ["occurredAt": now.iso8601, "author": viewer.name]
            for f in form.fields { if let v = query[f.name], !v.isEmpty { values[f.name] = v } }
            var state = RecordFormState(values: values)
            try await expect(&state, form, patient, at: now)
            return Self.html(.ok, RecordFormPage.render(form, patient: patient, viewer: viewer, state: state))
        }
        // An unknown patient is a 404 here too, before anything is validated.
        _ = try await Self.known(patient) { try store.status(patient: patient, asOf: now, knownAt: nil) }
        var values: [String: String] = [:]
        for f in form.fields { values[f.name] = posted[f.name] ?? "" }
        let line = form.submission(patient: patient, values: values)
        let name = viewer.name
        do {
            let outcomes = try await Blocking.run { try store.append(jsonLines: line, source: "the \(type) form", recordedBy: name) }
            let id = outcomes.first?.id ?? ""
            visit.entry?.detail = "\(type) \(id)"
            return Self.redirect("\(SitePaths.patient(patient))?recorded=\(SitePaths.component(type))&event=\(SitePaths.component(id))")
        } catch let rejected as BatchRejected {
            var state = RecordFormState(values: values)
            for e in rejected.errors {
                if let input = form.input(for: e.field) {
                    state.fieldErrors[input, default: []].append(e.field == input || e.field == "data.\(input)" ? e.message : "\(e.field): \(e.message)")
                } else {
                    state.formErrors.append(e.field.isEmpty ? e.message : "\(e.field): \(e.message)")
                }
            }
            if let at = values["occurredAt"].flatMap(Timestamp.parseTimeOrDate) { try await expect(&state, form, patient, at: at) }
            visit.entry?.detail = "\(type) refused"
            return Self.html(.unprocessableContent, RecordFormPage.render(form, patient: patient, viewer: viewer, state: state))
        }
    }

    /// For the refill form: the expected residual and threshold at `at` (a 404 for an unknown patient).
    private func expect(_ state: inout RecordFormState, _ form: RecordForm, _ patient: String, at: Timestamp) async throws {
        let store = self.store
        if form.type == .reservoirRefilled {
            state.expectation = try await Self.known(patient) { .some(try store.refillExpectation(patient: patient, at: at)) } ?? nil
            if state.expectation == nil { state.expectationNote = "none: no pump with therapy running then" }
        } else {
            _ = try await Self.known(patient) { try store.status(patient: patient, asOf: at, knownAt: nil) }
        }
    }
}
