import ArgumentParser
import TherapyLedgerCore
import TherapyLedgerStore

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List the recorded events in per-site order (site, then seq).")

    @OptionGroup var options: LedgerOptions

    @Option(help: "Only this patient's events.")
    var patient: String?

    @Option(help: "Only this site's events.")
    var site: String?

    @Flag(help: "JSON Lines: one recorded event per line, exactly as recorded, with its hash.")
    var json = false

    func run() throws {
        let store = try options.openReadOnly()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        try store.forEachRecordedLine(patient: patient, site: site) { line in
            if json {
                buffer += line
                buffer.append(0x0A)
            } else if let value = try? JSONParser.parse(line) {
                let s = value["site"]?.stringValue ?? "?"
                let seq = value["seq"]?.integer(in: IntegerLimits.seq).map { String($0) } ?? "?"
                let fields = [
                    "\(s):\(seq)", value["occurredAt"]?.stringValue ?? "", value["patient"]?.stringValue ?? "",
                    value["type"]?.stringValue ?? "", value["id"]?.stringValue ?? "", "by " + (value["author"]?.stringValue ?? ""),
                ]
                buffer += Array((fields.joined(separator: "  ") + "\n").utf8)
            }
            if buffer.count > 1 << 16 { Output.write(buffer); buffer.removeAll(keepingCapacity: true) }
        }
        Output.write(buffer)
    }
}
