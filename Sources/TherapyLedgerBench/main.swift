import Foundation
import TherapyLedgerCore

/// therapy-ledger-bench: measures append, verify, replay, status, bundle export/import and CSV export on
/// generated networks. The parent runs each phase in a child process (this executable with --phase) so
/// that each phase's peak memory is its own; results are printed as a table and optionally as JSON.
func main() -> Int32 {
    let options: BenchOptions
    do { options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst())) } catch {
        FileHandle.standardError.write(Data("therapy-ledger-bench: \(error)\n".utf8))
        return 2
    }
    do {
        if let phase = options.phase {
            guard let dir = options.workDir else { throw BenchError("--phase needs --dir") }
            let result = try BenchNetwork(options: options, size: options.events, dir: dir).run(phase: phase)
            print(CanonicalJSON.string(result.json))
            return 0
        }
        return try BenchRunner(options: options).run()
    } catch {
        FileHandle.standardError.write(Data("therapy-ledger-bench: \(error)\n".utf8))
        return 1
    }
}

exit(main())
