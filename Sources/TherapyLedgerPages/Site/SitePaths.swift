/// The URLs of the served pages, built in one place.
public enum SitePaths {
    /// `/patients/ID`.
    public static func patient(_ id: String) -> String { "/patients/\(component(id))" }

    /// `/patients/ID/record/TYPE`.
    public static func record(_ id: String, _ type: String) -> String { "\(patient(id))/record/\(component(type))" }

    /// `/patients/ID/expected-residual`.
    public static func expectedResidual(_ id: String) -> String { "\(patient(id))/expected-residual" }

    /// `text` percent-encoded as one path segment or query value (RFC 3986 unreserved characters kept).
    public static func component(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])"
            }
        }
        return out
    }
}
