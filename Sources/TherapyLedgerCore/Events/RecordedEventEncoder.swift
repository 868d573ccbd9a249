import Crypto

/// Writes the canonical bytes of a recorded event member by member, in their one fixed order, with no
/// dictionary and no sort of the envelope, and computes the content digest while writing.
///
/// The members of a recorded event (without `hash`), sorted by their keys' UTF-8 bytes as ``CanonicalJSON``
/// sorts them: `author`, `clock`, `data`, `format`, `id`, `occurredAt`, `patient`, `prev`, `reason`,
/// `recordedAt`, `recordedBy`, `rules`, `seq`, `site`, `type`. The submission's members (`author`, `data`,
/// `id`, `occurredAt`, `patient`, `reason`, `type`) are five runs of those bytes; the content digest is the
/// SHA-256 of those runs joined, which is the canonical submission (see ``Submission/contentDigest(id:)``).
///
/// The bytes are exactly those of ``RecordedEvent/referenceSeal(_:id:site:seq:recordedAt:clock:prev:recordedBy:rules:)``,
/// the encoder over the JSON value model that it replaces (a test compares them on the replay scenarios and a
/// large generated set). Only `data` and `clock`, the two nested objects, go through ``CanonicalJSON``.
public enum RecordedEventEncoder {
    /// The canonical bytes, where `prev`'s 64 hex digits start in them, and the content digest.
    public struct Output: Sendable {
        public var canonical: [UInt8]
        public var prevOffset: Int
        public var contentDigest: String
    }

    /// Encodes the event that sealing `s` with these recording fields records.
    public static func encode(_ s: Submission, id: String, site: String, seq: Int64, recordedAt: Timestamp, clock: VectorClock,
                              prev: String, recordedBy: String?, rules: Int) -> Output {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        // Run 1: {"author":A
        member("{\"author\":", into: &out)
        CanonicalJSON.writeString(s.author, into: &out)
        let run1 = out.count
        member(",\"clock\":", into: &out)
        writeClock(clock, into: &out)
        // Run 2: ,"data":D
        let run2Start = out.count
        member(",\"data\":", into: &out)
        CanonicalJSON.write(s.data, into: &out)
        let run2End = out.count
        if recordedBy != nil {
            member(",\"format\":", into: &out)
            writeInteger(Int64(RecordedEvent.attributedFormat), into: &out)
        }
        // Run 3: ,"id":I,"occurredAt":O,"patient":P
        let run3Start = out.count
        member(",\"id\":", into: &out)
        CanonicalJSON.writeString(id, into: &out)
        member(",\"occurredAt\":\"", into: &out)
        writeTime(s.occurredAt, into: &out)
        member(",\"patient\":", into: &out)
        CanonicalJSON.writeString(s.patient, into: &out)
        let run3End = out.count
        member(",\"prev\":", into: &out)
        let prevOffset = out.count + 1
        CanonicalJSON.writeString(prev, into: &out)
        // Run 4: ,"reason":R (when there is one)
        let run4Start = out.count
        if let reason = s.reason {
            member(",\"reason\":", into: &out)
            CanonicalJSON.writeString(reason, into: &out)
        }
        let run4End = out.count
        member(",\"recordedAt\":\"", into: &out)
        writeTime(recordedAt, into: &out)
        if let recordedBy {
            member(",\"recordedBy\":", into: &out)
            CanonicalJSON.writeString(recordedBy, into: &out)
        }
        if rules >= 2 {  // rule set 1 events have no member
            member(",\"rules\":", into: &out)
            writeInteger(Int64(rules), into: &out)
        }
        member(",\"seq\":", into: &out)
        writeInteger(seq, into: &out)
        member(",\"site\":", into: &out)
        CanonicalJSON.writeString(site, into: &out)
        // Run 5: ,"type":T}
        let run5Start = out.count
        member(",\"type\":", into: &out)
        CanonicalJSON.writeString(s.type.rawValue, into: &out)
        out.append(UInt8(ascii: "}"))

        var h = SHA256()
        out.withUnsafeBytes { b in
            h.update(bufferPointer: UnsafeRawBufferPointer(rebasing: b[0..<run1]))
            h.update(bufferPointer: UnsafeRawBufferPointer(rebasing: b[run2Start..<run2End]))
            h.update(bufferPointer: UnsafeRawBufferPointer(rebasing: b[run3Start..<run3End]))
            h.update(bufferPointer: UnsafeRawBufferPointer(rebasing: b[run4Start..<run4End]))
            h.update(bufferPointer: UnsafeRawBufferPointer(rebasing: b[run5Start..<b.count]))
        }
        return Output(canonical: out, prevOffset: prevOffset, contentDigest: ChainHash.hex(Array(h.finalize())))
    }

    @inline(__always)
    static func member(_ text: StaticString, into out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// An integer as ``CanonicalJSON/writeNumber(_:into:)`` writes an integral double (within ±2^53).
    static func writeInteger(_ n: Int64, into out: inout [UInt8]) {
        guard n >= 0, n <= 9_007_199_254_740_992 else {
            CanonicalJSON.writeNumber(Double(n), into: &out)
            return
        }
        if n < 10 { out.append(UInt8(48 + n)); return }
        var digits: (UInt64, UInt64) = (0, 0)  // up to 16 digits, written from the end
        var count = 0
        var v = n
        withUnsafeMutableBytes(of: &digits) { buffer in
            while v > 0 {
                count += 1
                buffer[16 - count] = UInt8(48 + v % 10)
                v /= 10
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(16 - count)...]))
        }
    }

    /// A time's canonical text and its closing quote (the opening one is written with the key).
    static func writeTime(_ t: Timestamp, into out: inout [UInt8]) {
        var text = t.iso8601
        text.withUTF8 { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
    }

    /// A clock as ``VectorClock/json`` encodes: its entries sorted by site.
    static func writeClock(_ clock: VectorClock, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        let entries = clock.entries
        if entries.count == 1, let only = entries.first {
            CanonicalJSON.writeString(only.key, into: &out)
            out.append(UInt8(ascii: ":"))
            writeInteger(only.value, into: &out)
        } else {
            for (i, e) in entries.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                CanonicalJSON.writeString(e.key, into: &out)
                out.append(UInt8(ascii: ":"))
                writeInteger(e.value, into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }
}
