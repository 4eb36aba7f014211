/// The entity-tags of an `If-None-Match` or `If-Range` value (RFC 9110 §8.8.3): `"x"`, `W/"x"`, comma-separated,
/// or `*`. Read by hand rather than split on commas, since a tag may itself hold a comma.
struct EntityTagList: Sendable, Equatable {
    struct Tag: Sendable, Equatable {
        /// The quoted text, quotes included: `"9f86…"`.
        let opaque: String
        let isWeak: Bool
    }

    /// `*`: any current representation.
    let isAny: Bool
    let tags: [Tag]

    /// Nil for a value that is neither `*` nor a list of well-formed tags.
    init?(_ value: String) {
        var rest = Substring(value)
        rest.trimLeadingSpaceAndCommas()
        if rest.trimmingTrailingSpace() == "*" {
            isAny = true
            tags = []
            return
        }
        var tags: [Tag] = []
        while !rest.isEmpty {
            let isWeak = rest.hasPrefix("W/")
            if isWeak { rest = rest.dropFirst(2) }
            guard rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") else { return nil }
            tags.append(Tag(opaque: String(rest[...close]), isWeak: isWeak))
            rest = rest[rest.index(after: close)...]
            rest.trimLeadingSpace()
            // Tags are separated by commas, not just run together.
            guard rest.isEmpty || rest.first == "," else { return nil }
            rest.trimLeadingSpaceAndCommas()
        }
        guard !tags.isEmpty else { return nil }
        isAny = false
        self.tags = tags
    }

    /// `If-None-Match`: the weak comparison, `W/"x"` matching `"x"`; `*` matches whatever exists.
    func matchesWeakly(_ etag: String) -> Bool {
        isAny || tags.contains { $0.opaque == etag }
    }

    /// `If-Range`: the strong comparison, one tag only, and not a weak one.
    func isStrongly(_ etag: String) -> Bool {
        !isAny && tags.count == 1 && !tags[0].isWeak && tags[0].opaque == etag
    }
}

private extension Substring {
    mutating func trimLeadingSpace() {
        while let first, first == " " || first == "\t" { removeFirst() }
    }

    mutating func trimLeadingSpaceAndCommas() {
        while let first, first == " " || first == "\t" || first == "," { removeFirst() }
    }

    func trimmingTrailingSpace() -> Substring {
        var text = self
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
