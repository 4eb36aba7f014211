import DeclutterStore
import ServiceLifecycle

/// Hears of changes other instances make to a store they share (PostgreSQL): wakes the loops that read the outbox
/// (through the store's commit signal) and the `?wait=` requests of each generation changed elsewhere.
struct StoreChangesService: Service {
    let database: any Store
    let watch: GenerationWatch

    func run() async throws {
        await cancelWhenGracefulShutdown { [database, watch] in
            await database.followChanges { row in watch.changed(row: row) }
        }
        // SQLite has nothing to follow: the service stays until the stop, as every service of the group must.
        try? await gracefulShutdown()
    }
}
