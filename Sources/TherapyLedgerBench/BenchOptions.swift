import Foundation

/// The benchmark's command line, parsed by hand (the target depends on nothing but the ledger's libraries).
struct BenchOptions {
    var sizes: [Int] = [100_000, 1_000_000]
    var patients = 10_000
    var sites = 3
    var seed: UInt64 = 42
    var json: String?
    var workDir: String?
    var keep = false
    /// Run the Python peer (`scripts/peer-bench/run.sh`) on the same workload; nil: when python3 is present.
    var peer: Bool?
    var peerScript = "scripts/peer-bench/run.sh"
    var workloadPatients = 5000
    var workloadPerPatient = 20
    /// Internal: run one phase in this (child) process.
    var phase: String?
    var events = 0

    static let usage = """
        usage: therapy-ledger-bench [--events 100000,1000000] [--patients 10000] [--sites 3] [--seed 42]
                                    [--json FILE] [--dir DIR] [--keep] [--smoke] [--peer | --no-peer]
          --events N,N   ledger sizes to measure (default 100000,1000000)
          --patients N   patients per generated network (default 10000)
          --smoke        a quick run: 10000 events over 1000 patients
          --json FILE    also write the results as JSON
          --dir DIR      work folder (default: a new folder under the temporary directory)
          --keep         keep the generated ledgers
          --peer         also append the peer's workload (scripts/bulk_events.py 5000 x 20) here and with the
                         Python peer (scripts/peer-bench/run.sh, from the package root), and print the ratio
                         (default: on when python3 is present); --no-peer skips it
          --peer-script F  the peer's script (default scripts/peer-bench/run.sh)
          --workload P,K   the peer workload's patients and events per patient (default 5000,20)
        """

    static func parse(_ args: [String]) throws -> BenchOptions {
        var o = BenchOptions()
        var i = 0
        func value(_ name: String) throws -> String {
            i += 1
            guard i < args.count else { throw BenchError("\(name) needs a value\n\(usage)") }
            return args[i]
        }
        func integer(_ name: String) throws -> Int {
            let v = try value(name)
            guard let n = Int(v.replacingOccurrences(of: "_", with: "")), n > 0 else { throw BenchError("\(name) \(v): expected a positive integer") }
            return n
        }
        while i < args.count {
            switch args[i] {
            case "--events":
                let v = try value("--events")
                let sizes = v.split(separator: ",").map { Int($0.replacingOccurrences(of: "_", with: "")) }
                guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { throw BenchError("--events \(v): expected sizes like 100000,1000000") }
                o.sizes = sizes.compactMap { $0 }
            case "--patients": o.patients = try integer("--patients")
            case "--sites": o.sites = try integer("--sites")
            case "--seed": o.seed = UInt64(try integer("--seed"))
            case "--json": o.json = try value("--json")
            case "--dir": o.workDir = try value("--dir")
            case "--keep": o.keep = true
            case "--peer": o.peer = true
            case "--no-peer": o.peer = false
            case "--peer-script": o.peerScript = try value("--peer-script")
            case "--workload":
                let v = try value("--workload").split(separator: ",").compactMap { Int($0) }
                guard v.count == 2, v.allSatisfy({ $0 > 0 }) else { throw BenchError("--workload: expected PATIENTS,PER_PATIENT like 5000,20") }
                (o.workloadPatients, o.workloadPerPatient) = (v[0], v[1])
            case "--smoke":
                o.sizes = [10_000]
                o.patients = 1_000
            case "--phase": o.phase = try value("--phase")
            case "--size": o.events = try integer("--size")
            case "-h", "--help":
                print(usage)
                exit(0)
            default:
                throw BenchError("unknown argument \(args[i])\n\(usage)")
            }
            i += 1
        }
        guard (1...26).contains(o.sites) else { throw BenchError("--sites must be 1-26") }
        return o
    }

    /// The arguments that make a child process run `phase` on the same network.
    func childArguments(phase: String, size: Int, dir: String) -> [String] {
        ["--phase", phase, "--size", String(size), "--patients", String(patients), "--sites", String(sites), "--seed", String(seed), "--dir", dir]
    }
}

/// A benchmark failure: what went wrong, and where.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
