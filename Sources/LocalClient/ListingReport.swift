import DeclutterWire

extension ClientReport {
    /// One row per listing: reference, state, photos, done, failed, pending, created.
    public static func listings(_ listings: [ListingView]) -> String {
        TableRenderer.render(
            header: ["REFERENCE", "STATE", "PHOTOS", "DONE", "FAILED", "PENDING", "CREATED"],
            rows: listings.map { listing in
                let tally = ListingTally(listing)
                return [listing.reference, listing.state, String(listing.photoCount), String(tally.done), String(tally.failed),
                        String(tally.pending), time(listing.createdAt)]
            },
            alignments: [.left, .left, .right, .right, .right, .right, .left])
    }

    /// A listing's state and counts, then one row per photo: name, generation, status, result images.
    public static func listing(_ listing: ListingView) -> String {
        let tally = ListingTally(listing)
        let head = TableRenderer.keyValue([
            ("reference", listing.reference),
            ("state", listing.state),
            ("photos", "\(listing.photoCount): \(tally.done) done, \(tally.failed) failed, \(tally.pending) pending"),
            ("photos spent", String(tally.spent)),
            ("created", time(listing.createdAt)),
            ("completed", listing.completedAt.map(time) ?? "-"),
        ])
        let photos = TableRenderer.render(
            header: ["PHOTO", "GENERATION", "STATUS", "IMAGES", "EARLIER"],
            rows: (listing.photos ?? []).map { photo in
                [photo.name, photo.generation.map(String.init) ?? "-", photo.status + (photo.statusReason.map { " (\($0))" } ?? ""),
                 "\(photo.images.filter { $0.state == ImageState.archived.rawValue }.count)/\(photo.images.count) archived",
                 photo.earlierGenerations.isEmpty ? "-" : photo.earlierGenerations.map(String.init).joined(separator: ", ")]
            },
            alignments: [.left, .right, .left, .left, .left])
        return head + "\n\n" + photos
    }
}

extension ProgressLine {
    /// `L-42 [########------------] 16/40 done, 1 failed, 23 pending · 17 photos spent · 1m05s`
    public mutating func update(_ listing: ListingView, elapsed: Double) -> String? {
        let tally = ListingTally(listing)
        let width = 20
        let filled = listing.photoCount == 0 ? width : (tally.done + tally.failed) * width / listing.photoCount
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let text = "\(listing.reference) [\(bar)] \(tally.done)/\(listing.photoCount) done, \(tally.failed) failed, \(tally.pending) pending"
            + " · \(tally.spent) photos spent · \(DurationText.approximate(seconds: elapsed))"
        return show(text, state: "\(tally.done) \(tally.failed) \(tally.pending)")
    }
}
