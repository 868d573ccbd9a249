import Foundation

/// Runs async work (the server, network sync) from the synchronous command line and waits for it.
enum AsyncBridge {
    private final class Box<T>: @unchecked Sendable {
        // Written by the task before it signals, read only after the wait.
        var result: Result<T, any Error>?
    }

    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        guard let result = box.result else { throw CLIError("the asynchronous task ended without a result") }
        return try result.get()
    }
}
