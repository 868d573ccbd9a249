import Foundation

/// Runs a replay scenario folder (filled in with the sync bundle format).
enum ScenarioRunner {
    static func run(directory: String) throws {
        throw CLIError("replay scenarios need the bundle importer")
    }
}
