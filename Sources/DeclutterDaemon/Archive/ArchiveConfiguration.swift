import Foundation

/// The result archive and uploads (the `archive.*` settings, docs/archive.md).
public struct ArchiveConfiguration: Sendable, Equatable {
    /// Where files are kept, named by their SHA-256; nil: an `images` folder beside the database.
    public var directory: String?
    /// The largest image kept, downloaded or uploaded: a body that grows past it is cut off while it streams.
    public var maxBytes = 50 * 1024 * 1024
    /// One download, redirects included, must finish within this.
    public var timeout: Duration = .seconds(300)
    /// When each download attempt is made, after the previous one; after the last the image is failed.
    public var retrySchedule: [Duration] = [.zero, .seconds(10), .seconds(60), .seconds(300), .seconds(1800), .seconds(7200)]
    /// Downloads running at once, whole daemon.
    public var maxInFlight = 4
    /// Fetch from loopback, private, link-local and unique-local addresses too (tests, the demo).
    public var allowPrivate = false
    /// Host names images may come from (`*.example.com` for subdomains); empty: any public host.
    public var allowHosts: [String] = []
    /// Address ranges allowed even though private (an internal image store).
    public var allowNetworks: [CIDR] = []
    /// An uploaded photo is served to the service until its generation ends plus this.
    public var inputGrace: Duration = .seconds(3600)

    public init() {}

    /// The folder for a store at `databasePath`.
    public func directory(besideDatabaseAt databasePath: String) -> String {
        directory ?? URL(fileURLWithPath: databasePath).deletingLastPathComponent().appendingPathComponent("images").path
    }
}
