import ArgumentParser
import Foundation

/// The exit statuses of every command: one scheme, documented in the README and `therapy-ledger help`.
enum ExitStatus {
    /// The command did what was asked (alerts in an answer never change it).
    static let success: Int32 = 0
    /// The data was refused or the answer cannot be given: an invalid batch, an unknown patient, a
    /// refused bundle, a file that cannot be read or would be overwritten. Nothing was written.
    static let data: Int32 = 1
    /// The ledger's integrity is in doubt: `verify` found a problem, or a replay scenario differs.
    static let integrity: Int32 = 2
    /// The command line is wrong: an unknown command, option or value (EX_USAGE). The command's usage follows.
    static let usage: Int32 = 64

    /// The text of the scheme, for `help` and the README.
    static let summary = """
        Exit status: 0 done (alerts never change it); 1 data refused or no answer (invalid batch, unknown \
        patient, refused bundle, unreadable or existing file, any other failure; nothing written); 2 integrity problem (verify \
        found one, a replay scenario differs); 64 usage error (unknown command, option or value: the \
        command's usage is printed).
        """

    static var integrityFailure: ExitCode { ExitCode(integrity) }
    static var dataFailure: ExitCode { ExitCode(data) }
}
