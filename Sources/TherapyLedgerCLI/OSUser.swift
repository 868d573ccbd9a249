import Foundation

/// The operating-system user running the CLI: stamped as `recordedBy` on appends and as `by` on user changes.
enum OSUser {
    static var name: String {
        if let pw = getpwuid(geteuid()), let cName = pw.pointee.pw_name {
            let n = String(cString: cName)
            if !n.isEmpty { return n }
        }
        if let n = ProcessInfo.processInfo.environment["USER"], !n.isEmpty { return n }
        return "uid-\(geteuid())"
    }
}
