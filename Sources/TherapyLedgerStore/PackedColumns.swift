import Foundation
import GRDB
import GRDBSQLite
import TherapyLedgerCore

/// An event row's fact columns as verify reads them: every column packed into one byte buffer (a type tag, then
/// 8 bytes of integer or double, or a 4-byte length and the text), so that reading a row allocates once and the
/// columns an event's bytes imply are compared with one `memcmp`, instead of two arrays of ``DatabaseValue``.
///
/// Only when the packed columns differ are they unpacked into ``DatabaseValue``s and compared one by one, as
/// GRDB compares them (an integer equals the same whole double), to name the columns that differ.
struct PackedColumns: Sendable, Equatable, PackedColumns.ColumnSink {
    var bytes: [UInt8]

    static let null: UInt8 = 0, integer: UInt8 = 1, real: UInt8 = 2, text: UInt8 = 3, blob: UInt8 = 4

    init() { bytes = []; bytes.reserveCapacity(512) }

    /// The first `count` columns of the statement's current row.
    init(_ s: OpaquePointer, count: Int32) {
        self.init()
        for i in 0..<count {
            switch sqlite3_column_type(s, i) {
            case SQLITE_NULL: bytes.append(Self.null)
            case SQLITE_INTEGER: append(Self.integer, UInt64(bitPattern: sqlite3_column_int64(s, i)))
            case SQLITE_FLOAT: append(Self.real, sqlite3_column_double(s, i).bitPattern)
            case SQLITE_TEXT:
                let n = Int(sqlite3_column_bytes(s, i))
                appendLength(Self.text, n)
                if n > 0, let p = sqlite3_column_text(s, i) { bytes.append(contentsOf: UnsafeBufferPointer(start: p, count: n)) }
            default:
                let n = Int(sqlite3_column_bytes(s, i))
                appendLength(Self.blob, n)
                if n > 0, let p = sqlite3_column_blob(s, i) {
                    bytes.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n))
                }
            }
        }
    }

    /// The columns ``EventRow`` writes for `e`, in its order, packed as SQLite returns them.
    init(expected e: RecordedEvent) {
        self.init()
        Self.columns(of: e, into: &self)
    }

    /// Whether these are the columns ``EventRow`` writes for `e`: `self == PackedColumns(expected: e)`, compared as
    /// they are read instead of packed into a buffer first.
    func matches(expected e: RecordedEvent) -> Bool {
        bytes.withUnsafeBufferPointer { b in
            var c = Comparer(bytes: b)
            Self.columns(of: e, into: &c)
            return c.equal && c.offset == b.count
        }
    }

    /// What takes an event's columns in turn: the packing, or the comparison with packed columns.
    protocol ColumnSink {
        mutating func text(_ v: String?)
        mutating func int(_ v: Int64?)
        mutating func real(_ v: Double?)
    }

    /// An event's columns, in ``EventRow``'s order.
    static func columns(of e: RecordedEvent, into sink: inout some ColumnSink) {
        let f = e.facts
        sink.text(e.id); sink.text(e.site); sink.int(e.seq); sink.int(Int64(e.type.code)); sink.text(e.patient); sink.int(e.occurredAt.seconds)
        sink.int(e.recordedAt.seconds); sink.text(e.clock.description); sink.int(e.clock.sum); sink.text(e.prev); sink.text(e.hash)
        sink.text(e.contentDigest); sink.text(e.author)
        sink.real(f.dailyDoseMcg); sink.real(f.bolusMcg); sink.real(f.concentrationMcgPerMl); sink.real(f.volumeMl); sink.real(f.residualMl)
        sink.real(f.reservoirMl); sink.real(f.lowAlarmMl); sink.int(f.nextRefillDue?.seconds); sink.int(f.grade.map(Int64.init))
        sink.int(f.serious.map { $0 ? 1 : 0 }); sink.text(f.label); sink.text(f.label2); sink.text(f.ref); sink.text(f.action)
        sink.text(f.refs.isEmpty ? nil : f.refs.joined(separator: ","))
    }

    /// Compares columns given in turn with packed ones, byte for byte as packing them would write them.
    struct Comparer: ColumnSink {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0
        var equal = true

        private mutating func expect(_ tag: UInt8, _ payload: UnsafeRawBufferPointer) {
            guard equal, offset + 1 + payload.count <= bytes.count, bytes[offset] == tag,
                  payload.elementsEqual(bytes[(offset + 1)..<(offset + 1 + payload.count)]) else { equal = false; return }
            offset += 1 + payload.count
        }

        private mutating func expectNull() {
            guard equal, offset < bytes.count, bytes[offset] == PackedColumns.null else { equal = false; return }
            offset += 1
        }

        mutating func text(_ v: String?) {
            guard var v else { expectNull(); return }
            v.withUTF8 { u in
                withUnsafeBytes(of: UInt32(truncatingIfNeeded: u.count).littleEndian) { expect(PackedColumns.text, $0) }
                guard equal, offset + u.count <= bytes.count, u.elementsEqual(bytes[offset..<(offset + u.count)]) else { equal = false; return }
                offset += u.count
            }
        }

        mutating func int(_ v: Int64?) {
            guard let v else { expectNull(); return }
            withUnsafeBytes(of: UInt64(bitPattern: v).littleEndian) { expect(PackedColumns.integer, $0) }
        }

        mutating func real(_ v: Double?) {
            guard let v else { expectNull(); return }
            withUnsafeBytes(of: v.bitPattern.littleEndian) { expect(PackedColumns.real, $0) }
        }
    }

    private mutating func append(_ tag: UInt8, _ v: UInt64) {
        bytes.append(tag)
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func appendLength(_ tag: UInt8, _ n: Int) {
        bytes.append(tag)
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: n).littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func text(_ v: String?) {
        guard var v else { bytes.append(Self.null); return }
        v.withUTF8 { u in
            appendLength(Self.text, u.count)
            bytes.append(contentsOf: u)
        }
    }

    mutating func int(_ v: Int64?) {
        guard let v else { bytes.append(Self.null); return }
        append(Self.integer, UInt64(bitPattern: v))
    }

    mutating func real(_ v: Double?) {
        guard let v else { bytes.append(Self.null); return }
        append(Self.real, v.bitPattern)
    }

    /// Column `column` (0-based) as text, as GRDB converts its value (nil for NULL or another type).
    func text(_ column: Int) -> String? {
        if let (tag, start, end) = span(column), tag == Self.text {
            return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
        }
        return String.fromDatabaseValue(value(column))
    }

    /// Column `column` (0-based) as an integer, as GRDB converts its value.
    func integer(_ column: Int) -> Int64? {
        if let (tag, start, _) = span(column), tag == Self.integer { return Int64(bitPattern: word(at: start)) }
        return Int64.fromDatabaseValue(value(column))
    }

    /// Where column `column`'s value lies in ``bytes`` (after its tag and length), with its tag; nil past the last column.
    private func span(_ column: Int) -> (tag: UInt8, start: Int, end: Int)? {
        var i = 0
        var c = 0
        while i < bytes.count {
            let tag = bytes[i]
            i += 1
            var start = i, end = i
            switch tag {
            case Self.integer, Self.real: end = i + 8
            case Self.text, Self.blob:
                guard i + 4 <= bytes.count else { return nil }
                start = i + 4
                end = start + Int(word32(at: i))
            default: break
            }
            guard end <= bytes.count else { return nil }
            if c == column { return (tag, start, end) }
            i = end
            c += 1
        }
        return nil
    }

    private func word(at i: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
        return v
    }

    private func word32(at i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[i + k]) << (8 * UInt32(k)) }
        return v
    }

    /// One column's value.
    func value(_ column: Int) -> DatabaseValue {
        unpack(upTo: column).last ?? .null
    }

    /// The columns unpacked, as a ``DatabaseValue`` each.
    var values: [DatabaseValue] { unpack(upTo: Int.max) }

    /// The columns unpacked, up to and including `last` (only the last one built).
    private func unpack(upTo last: Int) -> [DatabaseValue] {
        var out: [DatabaseValue] = []
        var i = 0
        var column = 0
        func word() -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            i += 8
            return v
        }
        func length() -> Int {
            var v = 0
            for k in 0..<4 { v |= Int(bytes[i + k]) << (8 * k) }
            i += 4
            return v
        }
        while i < bytes.count, column <= last {
            let tag = bytes[i]
            i += 1
            column += 1
            if last != Int.max && column <= last {  // a column before the one asked for: skipped
                switch tag {
                case Self.integer, Self.real: i += 8
                case Self.text, Self.blob:
                    let n = length()
                    i += n
                default: break
                }
                continue
            }
            switch tag {
            case Self.integer: out.append(Int64(bitPattern: word()).databaseValue)
            case Self.real: out.append(Double(bitPattern: word()).databaseValue)
            case Self.text:
                let n = length()
                out.append(String(decoding: bytes[i..<(i + n)], as: UTF8.self).databaseValue)
                i += n
            case Self.blob:
                let n = length()
                out.append(Data(bytes[i..<(i + n)]).databaseValue)
                i += n
            default: out.append(.null)
            }
        }
        return out
    }
}
