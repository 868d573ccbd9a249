import ArgumentParser
import TherapyLedgerCore
import TherapyLedgerStore

struct AppendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append a batch of events (JSON Lines) atomically.",
        discussion: """
            One event per line: {"id"?, "type", "patient", "occurredAt", "author", "reason"?, "data"} \
            (schemas/submission.schema.json, data in schemas/data/TYPE.schema.json). TYPE is one of: \
            \(EventType.allCases.map(\.rawValue).joined(separator: ", ")). \
            `therapy-ledger example TYPE` prints a ready-to-append line of a type, `example TYPE --explain` what each field means \
            (for instance `therapy-ledger example dose.programmed | therapy-ledger append`). \
            Every line is validated first, against the ledger too; any invalid line rejects the whole batch, nothing is \
            written, and every error of every line is listed (line, field, what was expected) with exit status 1.
            """)

    @OptionGroup var options: LedgerOptions

    @Argument(help: "A JSON Lines file, or - for standard input.")
    var file: String = "-"

    @Flag(help: "Write one JSON object per event instead of text.")
    var json = false

    func run() throws {
        let store = try options.open()
        // Streamed: the file (or standard input, spooled to a temporary file) is read twice, a chunk at a time.
        let input = file == "-" ? try JSONLinesInput.standardInput() : try JSONLinesInput(path: file)
        let outcomes: AppendOutcomes
        do {
            outcomes = try store.append(from: input, source: file == "-" ? "standard input" : file, recordedBy: OSUser.name)
        } catch let rejected as BatchRejected {
            Output.error(rejected.description)
            throw ExitStatus.dataFailure
        }
        // One line per outcome, written 64 KiB at a time.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        for o in outcomes {
            if json {
                var obj: [String: JSONValue] = ["line": .number(Double(o.line)), "id": .string(o.id), "status": .string(o.isDuplicate ? "duplicate" : "appended")]
                if let site = o.site, let seq = o.seq { obj["site"] = .string(site); obj["seq"] = .number(Double(seq)) }
                buffer += CanonicalJSON.string(.object(obj)).utf8
            } else if o.isDuplicate {
                buffer += "duplicate \(o.id)".utf8
            } else {
                buffer += "appended \(o.id) \(o.site ?? ""):\(o.seq ?? 0)".utf8
            }
            buffer.append(0x0A)
            if buffer.count >= 1 << 16 {
                Output.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        Output.write(buffer)
    }
}
