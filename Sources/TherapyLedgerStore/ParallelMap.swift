import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Maps a pure function over an array on all cores, keeping the order (for CPU-bound, pure work).
public enum ParallelMap {
    /// The number of online processors.
    public static let cores: Int = {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 2
        #endif
    }()

    /// Each worker writes only its own slice of the output, so the shared buffer is safe to use unchecked.
    private struct Output<R>: @unchecked Sendable {
        let base: UnsafeMutableBufferPointer<R?>
    }

    /// `minimum`: below this many items the work is not worth a thread hop (items are small by default).
    public static func map<T: Sendable, R: Sendable>(_ input: [T], minimum: Int = 64, _ transform: @escaping @Sendable (T) -> R) -> [R] {
        let workers = min(8, cores)
        if input.count < max(2, minimum) || workers == 1 { return input.map(transform) }
        var results = [R?](repeating: nil, count: input.count)
        let stride = (input.count + workers - 1) / workers
        results.withUnsafeMutableBufferPointer { out in
            let output = Output(base: out)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = w * stride
                let hi = min(input.count, lo + stride)
                if lo < hi { for i in lo..<hi { output.base[i] = transform(input[i]) } }
            }
        }
        return results.compactMap { $0 }
    }

    /// Work running on a thread of its own while the caller does ordered work meanwhile; its result (or what it
    /// threw) is handed over once, by ``wait()``.
    public final class Background<R: Sendable>: @unchecked Sendable {
        // `result` is written by the background block before it leaves `group`, and read only after `group.wait()`.
        private let group = DispatchGroup()
        private var result: Result<R, any Error>?

        public init(_ work: @escaping @Sendable () throws -> R) {
            DispatchQueue.global().async(group: group) { [self] in result = Result { try work() } }
        }

        /// The result once the work is done, or what it threw; nil after the first call (the result is handed
        /// over, so the caller holds it alone and can change it in place).
        public func wait() throws -> R? {
            group.wait()
            defer { result = nil }
            return try result?.get()
        }
    }

    /// A ``map(_:minimum:_:)`` running in the background, so the caller can do ordered work meanwhile.
    public final class Pending<R: Sendable>: Sendable {
        private let mapping: Background<[R]>

        fileprivate init<T: Sendable>(_ input: [T], _ transform: @escaping @Sendable (T) -> R) {
            mapping = Background { ParallelMap.map(input, transform) }
        }

        /// The results, in input order, once every item is done. Call it once: the results are handed over (so the
        /// caller holds them alone and can change them in place).
        public func wait() -> [R] {
            // The mapping cannot throw.
            ((try? mapping.wait()) ?? nil) ?? []
        }
    }

    /// Drops `values` on another thread: freeing many values is work an ordered loop can hand off.
    public static func release<T: Sendable>(_ values: consuming [T]) {
        let values = values
        DispatchQueue.global().async { withExtendedLifetime(values) {} }
    }

    /// Starts mapping `input` on all cores in the background (see ``Pending``).
    public static func start<T: Sendable, R: Sendable>(_ input: [T], _ transform: @escaping @Sendable (T) -> R) -> Pending<R> {
        Pending(input, transform)
    }
}
