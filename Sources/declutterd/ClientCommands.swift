import ArgumentParser

extension Declutterd {
    /// Commands that talk to a running daemon's local API.
    static let clientCommands: [any ParsableCommand.Type] = []
}
