import Foundation
import TherapyLedgerCore

/// A small, fast, seeded pseudo-random generator (SplitMix64): the same seed always gives the same
/// sequence on every platform, which is what makes a generated history reproducible byte for byte.
///
/// Never seeded from the system: pass the seed explicitly.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An independent generator derived from this one's seed and a label (for per-patient streams, so
    /// that one patient's history does not shift when another's changes).
    public static func derived(seed: UInt64, stream: UInt64) -> SeededRandom {
        var g = SeededRandom(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        _ = g.next()
        return SeededRandom(seed: g.next())
    }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A uniform double in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + unit() * (range.upperBound - range.lowerBound)
    }

    /// A uniform integer in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound + 1)
        return range.lowerBound + Int(next() % span)
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A standard normal variate (Box-Muller).
    public mutating func normal() -> Double {
        let u1 = max(unit(), 1e-12), u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// An exponential variate with the given mean.
    public mutating func exponential(mean: Double) -> Double { -mean * log(max(1 - unit(), 1e-12)) }

    /// One element of a non-empty list, chosen by weight.
    public mutating func weighted<T>(_ choices: [(T, Double)]) -> T {
        let total = choices.reduce(0) { $0 + $1.1 }
        var x = unit() * total
        for (value, w) in choices {
            if x < w { return value }
            x -= w
        }
        return choices[choices.count - 1].0
    }

    /// A time-ordered UUID (v7) for an event occurring at `at`, its random part from this generator.
    public mutating func eventID(at: Timestamp) -> String {
        let r = next(), s = next()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(10)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: r >> (8 * i))) }
        bytes.append(UInt8(truncatingIfNeeded: s))
        bytes.append(UInt8(truncatingIfNeeded: s >> 8))
        return Identifiers.uuidV7(milliseconds: UInt64(max(0, at.seconds)) * 1000 + (s >> 16) % 1000, random: bytes)
    }
}
