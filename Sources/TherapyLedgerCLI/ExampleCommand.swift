import ArgumentParser
import TherapyLedgerCore

struct ExampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example",
        abstract: "Print one ready-to-append JSON line of an event type (pipe it into `append`), or list the types.",
        discussion: """
            TYPE is one of: \(EventType.allCases.map(\.rawValue).joined(separator: ", ")). The examples are about patient \
            \(EventExample.patient): the types the README's "Record your first patient" records are its very lines (appending one \
            again reports `duplicate`), the others follow it and refer to its events, so every example appends to a ledger \
            holding that walkthrough. Each carries its own id: change it, or remove it for the ledger to assign one, when you \
            adapt an example. --explain adds what each field means (from schemas/submission.schema.json and \
            schemas/data/TYPE.schema.json).
            """)

    @Argument(help: ArgumentHelp("The event type; omit it to list the types.", valueName: "TYPE")) var type: String?
    @Flag(help: "After the line, say what each field means, its unit and its allowed values.") var explain = false

    func validate() throws {
        guard let type, EventType(rawValue: type) == nil else { return }
        let close = FieldSuggestion.closest(to: type, among: EventType.allCases.map(\.rawValue))
        throw ValidationError("unknown event type \"\(type)\": \(close.map { "did you mean \($0)? " } ?? "")expected one of \(EventType.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    func run() throws {
        guard let type, let eventType = EventType(rawValue: type) else {
            var lines = ["Event types (`therapy-ledger example TYPE` prints a line to append, `--explain` what its fields mean):"]
            let width = EventType.allCases.map(\.rawValue.count).max() ?? 0
            for t in EventType.allCases {
                let about = EventExample.of(t)?.about ?? "see \(FieldSuggestion.schemaFile(for: t))"
                lines.append("  " + t.rawValue.padding(toLength: width + 2, withPad: " ", startingAt: 0) + about)
            }
            Output.line(lines.joined(separator: "\n"))
            return
        }
        guard let example = EventExample.of(eventType) else {
            throw CLIError("there is no example of \(type) yet: its data is described in \(FieldSuggestion.schemaFile(for: eventType))")
        }
        Output.line(example.line)
        if explain { Output.write(Array(Self.explanation(example).utf8)) }
    }

    /// What each field of the example means: the envelope, then the type's data.
    static func explanation(_ e: EventExample) -> String {
        var envelope = EventExample.envelope
        if let i = envelope.firstIndex(where: { $0.name == "type" }) { envelope[i].allowed = EventType.allCases.map(\.rawValue) }
        if e.type.requiresReason, let i = envelope.firstIndex(where: { $0.name == "reason" }) { envelope[i].required = true }
        if e.type != .pumpExplanted, let i = envelope.firstIndex(where: { $0.name == "data" }) { envelope[i].required = true }
        var out = "\n\(e.type.rawValue): \(e.about)\n"
        out += "envelope (\(FieldSuggestion.submissionSchemaFile)):\n" + table(envelope)
        out += "data (\(FieldSuggestion.schemaFile(for: e.type))):\n" + (e.fields.isEmpty ? "  (no fields: data is {} or absent)\n" : table(e.fields))
        return out
    }

    static func table(_ fields: [EventExample.Field]) -> String {
        let width = fields.map(\.name.count).max() ?? 0
        return fields.map { f in
            let meaning = f.meaning.hasSuffix("; optional.") ? String(f.meaning.dropLast("; optional.".count)) + "." : f.meaning
            var s = "  " + f.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + (f.required ? "required  " : "optional  ") + meaning
            if !f.allowed.isEmpty { s += " One of: " + f.allowed.joined(separator: ", ") + "." }
            return s + "\n"
        }.joined()
    }
}
