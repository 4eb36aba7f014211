import Foundation

// The columns of listings and their photos: declared once for both engines (`Columns.swift`).

extension ListingState: TextColumn {}

extension ListingRecord: StoredRecord {
    public static let databaseTableName = "listings"
    static let blank = ListingRecord(reference: "", allowPartial: false, photosDigest: "", photoCount: 0, createdAt: .distantPast)

    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("reference", reference)
        row.set("allow_partial", allowPartial)
        row.set("photos_digest", photosDigest)
        row.set("photo_count", photoCount)
        row.set("outcome", outcome)
        row.set("created_at", createdAt)
        row.set("updated_at", updatedAt)
        row.set("completed_at", completedAt)
        row.set("key_name", keyName)
        return row
    }

    init(columns row: some ColumnReader) throws {
        self.init(reference: try row("reference"), allowPartial: try row("allow_partial"), photosDigest: try row("photos_digest"),
                  photoCount: try row("photo_count"), createdAt: try row("created_at"))
        id = try row("id")
        outcome = try row("outcome")
        updatedAt = try row("updated_at")
        completedAt = try row("completed_at")
        keyName = try row("key_name")
    }
}

extension ListingPhotoRecord: StoredRecord {
    public static let databaseTableName = "listing_photos"
    static let blank = ListingPhotoRecord(listing: 0, position: 0, photo: ListingPhotoRequest(name: "", imageURL: ""), createdAt: .distantPast)

    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("listing", listing)
        row.set("position", position)
        row.set("name", name)
        row.set("image_url", imageURL)
        row.set("mask_url", maskURL)
        row.set("auto", auto)
        row.setJSON("files", ListingFiles.encode(files))
        row.set("launch_pending", launchPending)
        row.set("generation", generation)
        row.set("created_at", createdAt)
        row.set("updated_at", updatedAt)
        return row
    }

    init(columns row: some ColumnReader) throws {
        let photo = ListingPhotoRequest(name: try row("name"), imageURL: try row("image_url"), maskURL: try row("mask_url"), auto: try row("auto"),
                                        files: try ListingFiles.decode(try row.json("files") ?? "[]"))
        self.init(listing: try row("listing"), position: try row("position"), photo: photo, createdAt: try row("created_at"))
        id = try row("id")
        launchPending = try row("launch_pending")
        generation = try row("generation")
        updatedAt = try row("updated_at")
    }
}

/// `listing_photos.files`: the files a photo's launch hands over, as a JSON array.
enum ListingFiles {
    static func encode(_ files: [ListingFile]) -> String {
        (try? JSONEncoder().encode(files)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }

    static func decode(_ text: String) throws -> [ListingFile] {
        try JSONDecoder().decode([ListingFile].self, from: Data(text.utf8))
    }
}
