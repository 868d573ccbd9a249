import Foundation
import TherapyLedgerCore
import TherapyLedgerStore

/// What an export wrote.
public struct ExportSummary: Sendable {
    public var kind: ExportKind
    public var patients: Int
    /// Data rows (the header not counted).
    public var rows: Int
    public var bytes: Int
    public var seconds: Double
    public var rowsPerSecond: Double { Double(rows) / max(seconds, 1e-9) }
}

/// Streams one kind of projection for a whole ledger to CSV (see ``ExportKind``, ``CSVEncoder``).
///
/// Patients are folded one at a time and their rows written at once: memory stays flat whatever the
/// ledger's size. Rows are sorted by patient (id, or pseudonym when pseudonymizing), then by time in
/// clinical order, so that two ledgers holding the same events export the same bytes.
public struct Exporter {
    public let store: LedgerStore

    public init(store: LedgerStore) { self.store = store }

    /// Exports to `path` by the rule of ``OutputFile``: through a temporary file in the same folder, renamed
    /// over `path` only on success (no partial file is ever left); an existing file only with `force`; a device
    /// or FIFO is written into. `-` writes to standard output.
    /// `progress` (default: when standard error is a terminal) shows a running count on standard error.
    @discardableResult
    public func export(_ options: ExportOptions, to path: String, force: Bool = false, progress: Bool = isatty(2) != 0) throws -> ExportSummary {
        let order = try prepare(options)
        if path == "-" {
            let writer = FileWriter(standardOutput: 1 << 16)
            let summary = try stream(options, order: order, progress: progress) { try writer.write($0) }
            try writer.close()
            return summary
        }
        return try OutputFile.write(path, force: force, what: "export") { writer in
            try stream(options, order: order, progress: progress) { try writer.write($0) }
        }
    }

    /// Checks the options against the ledger and returns the patients to read in order (nil: all, by id).
    public func prepare(_ options: ExportOptions) throws -> [String]? {
        try options.validate()
        var requested: [String] = []
        for patient in options.patients where !requested.contains(patient) {
            guard try store.knowsPatient(patient) else {
                throw ExportError("unknown patient \(patient): no event in this ledger names it (check the id; `therapy-ledger log` lists what is recorded)")
            }
            requested.append(patient)
        }
        let pseudonymizer = options.pseudonymKey.map(Pseudonymizer.init(key:))
        if let pseudonymizer {
            let ids = requested.isEmpty ? try store.patientIDs() : requested
            return ids.map { (pseudonymizer.pseudonym($0), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return requested.isEmpty ? nil : requested.sorted()
    }

    /// Writes the header and every row through `sink`, one patient at a time, in `order` (from ``prepare(_:)``).
    public func stream(_ options: ExportOptions, order: [String]?, progress: Bool = false, _ sink: ([UInt8]) throws -> Void) throws -> ExportSummary {
        let start = Date()
        let instant = options.asOf ?? store.environment.now()
        let pseudonymizer = options.pseudonymKey.map(Pseudonymizer.init(key:))
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        CSVEncoder.appendRow(options.kind.columns, to: &buffer)
        var summary = ExportSummary(kind: options.kind, patients: 0, rows: 0, bytes: 0, seconds: 0)
        var lastReport = start
        // Patients are read and turned into CSV on all cores (see LedgerStore.scanPatients); their bytes
        // arrive here in order, so the output is the same as one patient at a time.
        try store.scanPatients(order, withText: options.kind.needsText, transform: { patient, events in
            let label = pseudonymizer?.pseudonym(patient) ?? patient
            var bytes: [UInt8] = []
            var rows = 0
            // Pseudonymized: only allow-listed fields reach the projections (free text is emptied first).
            let visible = pseudonymizer == nil ? events : PseudonymizedFields.sanitize(events)
            try PatientRows(patient: patient, events: visible, options: options, instant: instant, label: label).write { fields in
                CSVEncoder.appendRow(fields, to: &bytes)
                rows += 1
            }
            return (bytes, rows)
        }, weight: { $0.0.count + 64 }, consume: { bytes, rows in
            buffer += bytes
            summary.rows += rows
            summary.patients += 1
            if buffer.count >= 1 << 16 {
                summary.bytes += buffer.count
                try sink(buffer)
                buffer.removeAll(keepingCapacity: true)
                if progress, Date().timeIntervalSince(lastReport) >= 0.2 {
                    lastReport = Date()
                    Self.progressLine("export \(options.kind.rawValue): \(summary.patients) patient\(summary.patients == 1 ? "" : "s"), \(summary.rows) row\(summary.rows == 1 ? "" : "s")")
                }
            }
        })
        summary.bytes += buffer.count
        try sink(buffer)
        summary.seconds = Date().timeIntervalSince(start)
        if progress {
            Self.progressLine("export \(options.kind.rawValue): \(summary.patients) patient\(summary.patients == 1 ? "" : "s"), \(summary.rows) row\(summary.rows == 1 ? "" : "s"), done\n")
        }
        return summary
    }

    static func progressLine(_ text: String) {
        let bytes = Array(("\r\u{1B}[K" + text).utf8)
        bytes.withUnsafeBufferPointer { p in _ = Foundation.write(2, p.baseAddress, p.count) }
    }
}
