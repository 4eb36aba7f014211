import ArgumentParser

/// The one executable: thin commands that call into the modules.
@main
struct Declutterd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "declutterd",
        abstract: "Makes the asynchronous Decluttering API safe to depend on.",
        subcommands: daemonCommands + clientCommands + deliveryCommands + [SandboxCommand.self])

    /// Commands that run the daemon itself.
    static let daemonCommands: [any ParsableCommand.Type] = [ServeCommand.self, CheckConfigCommand.self, DemoCommand.self, StoreCommand.self,
                                                            KeysCommand.self]
}
