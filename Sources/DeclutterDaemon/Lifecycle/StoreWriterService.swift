import DeclutterStore
import ServiceLifecycle

/// Owns the store's group commit: commits writes until the graceful stop reaches it. It is first in the
/// ServiceGroup, so it is stopped last, once the listeners and the poller have finished their writes; the store
/// is closed only after it returns.
struct StoreWriterService: Service {
    let database: any Store

    func run() async {
        await withGracefulShutdownHandler {
            await database.runWrites()
        } onGracefulShutdown: {
            database.finishWrites()
        }
        // Closed before the stop (a test can do that): writes now fail as the store's; the daemon stays up
        // until it is told to stop, as with any other store failure.
        try? await gracefulShutdown()
    }
}
