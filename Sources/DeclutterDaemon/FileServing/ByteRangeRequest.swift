/// A `Range` header (RFC 9110 §14.2) read against a file of `size` bytes. Only one range of the `bytes` unit is
/// honoured: anything else (several ranges, another unit, a malformed value) is ignored and the whole file is
/// sent, which the RFC allows; a client that asked for several ranges gets them all that way.
public enum ByteRangeRequest: Sendable, Equatable {
    /// No range to honour: send the whole file (200).
    case whole
    /// These bytes, both ends included (206).
    case partial(ClosedRange<Int64>)
    /// A range that starts at or past the end of the file, or `-0` (416).
    case unsatisfiable

    /// What `header` (the `Range` value, nil when absent) asks of a file of `size` bytes.
    public static func read(_ header: String?, size: Int64) -> ByteRangeRequest {
        guard let header, let spec = singleSpec(header) else { return .whole }
        guard let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash]
        let last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            // `-n`: the last n bytes.
            guard let suffix = number(last) else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .partial(max(0, size - suffix)...(size - 1))
        }
        guard let start = number(first) else { return .whole }
        if last.isEmpty {
            return start < size ? .partial(start...(size - 1)) : .unsatisfiable
        }
        guard let end = number(last), end >= start else { return .whole }  // `5-3` is invalid: ignored
        return start < size ? .partial(start...min(end, size - 1)) : .unsatisfiable
    }

    /// The one range-spec of a `bytes=` header, spaces trimmed; nil for another unit, or for none or several.
    private static func singleSpec(_ header: String) -> Substring? {
        let value = trimmed(Substring(header))
        guard let equals = value.firstIndex(of: "="), value[..<equals].lowercased() == "bytes" else { return nil }
        // Empty list elements are allowed (`bytes=0-1,`) and count for nothing.
        let specs = value[value.index(after: equals)...].split(separator: ",").map(trimmed).filter { !$0.isEmpty }
        guard specs.count == 1 else { return nil }
        return specs[0]
    }

    /// Without the optional white space (spaces, tabs) around it.
    private static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }

    /// Decimal digits only; a number too large for Int64 stands for "larger than any file" (saturated).
    private static func number(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int64(text) ?? Int64.max
    }
}
