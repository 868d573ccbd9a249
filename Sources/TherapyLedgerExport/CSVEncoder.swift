/// RFC 4180 rows: fields separated by commas, rows ended by LF, a field quoted (with `"` doubled)
/// only when it holds a comma, a quote, CR or LF. UTF-8, no byte-order mark.
public enum CSVEncoder {
    /// Appends one row to `out`.
    public static func appendRow(_ fields: [String], to out: inout [UInt8]) {
        for (i, field) in fields.enumerated() {
            if i > 0 { out.append(0x2C) }
            appendField(field, to: &out)
        }
        out.append(0x0A)
    }

    /// Appends one field, quoted only when needed.
    public static func appendField(_ field: String, to out: inout [UInt8]) {
        var field = field
        field.withUTF8 { bytes in
            var needsQuotes = false
            for b in bytes where b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D {
                needsQuotes = true
                break
            }
            guard needsQuotes else {
                out.append(contentsOf: bytes)
                return
            }
            out.append(0x22)
            for b in bytes {
                if b == 0x22 { out.append(0x22) }
                out.append(b)
            }
            out.append(0x22)
        }
    }
}
