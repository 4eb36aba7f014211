@testable import DeclutterStore
import Foundation
import GRDB
import TestSupport
import Testing

/// A store that cannot write (the disk full) refuses a submission before anything is sent upstream.
@Suite("A full disk")
struct FullDiskTests {
    @Test("a submission the store cannot record is 503 store_unavailable; once even its row does not fit, nothing goes upstream")
    func submissionOnAFullDisk() async throws {
        try await Harness.with { harness in
            // Given a database that can grow no more: SQLite answers "database or disk is full", as on a full disk
            try await harness.sqlite.writer.writeWithoutTransaction { db in
                try db.execute(sql: "CREATE TABLE filler (bytes BLOB)")
                let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 1
                try db.execute(sql: "PRAGMA max_page_count = \(pages + 8)")
                // The pages left filled up too, until SQLite says the disk is full
                while (try? db.execute(sql: "INSERT INTO filler VALUES (randomblob(512))")) != nil {}
            }
            // When submissions come until one cannot be recorded (a row or two may still fit in pages with room)
            var accepted = 0
            var refusal: Harness.Reply?
            for index in 0..<50 {
                let reply = try await harness.local("POST", "/v1/generations", json: #"{"image_url": "https://images.example/room-\#(index).jpg", "auto": true}"#)
                guard reply.status == 202 else { refusal = reply; break }
                accepted += 1
            }
            // Then that one is 503 store_unavailable, saying whether it reached the service (the row of a submission may
            // still fit where the service's answer no longer does), and nothing after it is sent
            let reply = try #require(refusal, "50 submissions recorded on a full database")
            #expect(reply.status == 503 && E2E.errorCode(reply) == "store_unavailable", "\(reply.status) \(reply.text)")
            let sent = E2E.errorMessage(reply)?.contains("the service accepted") == true
            #expect(await harness.sandbox.sandbox.counters().generateCalls == accepted + (sent ? 1 : 0))
            let again = try await harness.local("POST", "/v1/generations", json: #"{"image_url": "https://images.example/again.jpg", "auto": true}"#)
            #expect(again.status == 503 && E2E.errorMessage(again)?.contains("nothing was sent") == true, "\(again.text)")
            #expect(await harness.sandbox.sandbox.counters().generateCalls == accepted + (sent ? 1 : 0))
        }
    }
}
