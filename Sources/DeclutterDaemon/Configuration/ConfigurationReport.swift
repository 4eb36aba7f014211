import DeclutterAPI
import Foundation
import Logging

extension ConfigurationLoader {
    // MARK: - The report

    func settings(of configuration: DaemonConfiguration) -> [ConfigurationReport.Setting] {
        Setting.all.map { setting in
            var source = source(of: setting.key)
            var value = setting.show(configuration)
            if setting.key == "upstream.api_key_file", value == nil, let (path, _) = apiKeyFile() {
                value = path
                source = "default ($CREDENTIALS_DIRECTORY/api_key)"
            }
            return ConfigurationReport.Setting(key: setting.key, value: value, source: source)
        }
    }

    /// What is valid but worth a second look.
    func notes(about configuration: DaemonConfiguration) -> [String] {
        var notes: [String] = []
        if configuration.publicBaseURL == nil {
            notes.append("callbacks.public_base_url is not set: submissions are refused until it is (the service needs a URL to call back)")
        }
        if environment["DECLUTTERD_API_KEY"].map({ !$0.isEmpty }) ?? false, let file = raw("upstream.api_key_file") {
            notes.append("upstream.api_key_file (from \(file.source)) is not used: DECLUTTERD_API_KEY takes precedence")
        }
        if configuration.localListen == nil, configuration.localSocket == nil {
            notes.append("the local API is off (local.listen = none and no local.socket): client commands cannot reach the daemon")
        }
        let known = Set(Setting.all.map(\.environmentName) + Setting.otherEnvironmentNames)
        for name in environment.keys.sorted() where name.hasPrefix("DECLUTTERD_") && !known.contains(name) {
            notes.append("\(name) is not a setting this version knows; it is ignored")
        }
        return notes
    }
}

public struct ConfigurationReport: Sendable {
    public struct Setting: Sendable, Equatable {
        public let key: String
        /// The effective value, normalised (`600s` shows as `10m`); nil when unset.
        public let value: String?
        /// `flag`, `env NAME`, `file PATH:LINE`, or `default`.
        public let source: String

        public init(key: String, value: String?, source: String) {
            self.key = key
            self.value = value
            self.source = source
        }
    }

    /// Where a secret came from and how long it is, never what it is.
    public struct SecretOrigin: Sendable, Equatable {
        /// API key: `DECLUTTERD_API_KEY`, `upstream.api_key_file PATH (from SOURCE)`, or `$CREDENTIALS_DIRECTORY/api_key (PATH)`;
        /// database password: `database.password_file PATH (from SOURCE)` or `$CREDENTIALS_DIRECTORY/database_password (PATH)`.
        public let source: String
        /// In characters.
        public let length: Int

        public init(source: String, length: Int) {
            self.source = source
            self.length = length
        }
    }

    public let configuration: DaemonConfiguration
    /// The configuration file read, if any.
    public let file: String?
    /// One per `Setting.all`, in that order.
    public let settings: [Setting]
    public let apiKey: SecretOrigin
    /// The PostgreSQL password's, when `database.url` is set and a password file was read.
    public var databasePassword: SecretOrigin?
    /// Valid but worth a look (no public base URL, an ignored variable, ...).
    public let notes: [String]

    public func setting(_ key: String) -> Setting? { settings.first { $0.key == key } }
}

/// Whether the store can be opened at `database.path` (the file, or its directory, writable or creatable),
/// found without creating anything.
public struct DatabaseLocationCheck: Sendable, Equatable {
    public let path: String
    public let directory: String
    public let usable: Bool
    public let detail: String

    public init(path: String, currentDirectory: String = FileManager.default.currentDirectoryPath) {
        let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: currentDirectory, isDirectory: true)).standardizedFileURL
        let directory = absolute.deletingLastPathComponent().path
        self.path = absolute.path
        self.directory = directory
        let files = FileManager.default
        func isDirectory(_ path: String) -> Bool? {
            var flag: ObjCBool = false
            return files.fileExists(atPath: path, isDirectory: &flag) ? flag.boolValue : nil
        }
        switch isDirectory(absolute.path) {
        case true?:
            (usable, detail) = (false, "\(absolute.path) is a directory")
        case false?:
            if !files.isWritableFile(atPath: absolute.path) {
                (usable, detail) = (false, "\(absolute.path) exists but is not writable")
            } else if !files.isWritableFile(atPath: directory) {
                (usable, detail) = (false, "\(directory) is not writable (SQLite creates its -wal and -shm files next to the database)")
            } else {
                (usable, detail) = (true, "\(absolute.path) exists and is writable")
            }
        case nil:
            var ancestor = directory
            while isDirectory(ancestor) == nil, ancestor != "/" {
                ancestor = URL(fileURLWithPath: ancestor).deletingLastPathComponent().path
            }
            if isDirectory(ancestor) != true {
                (usable, detail) = (false, "\(ancestor) is not a directory")
            } else if !files.isWritableFile(atPath: ancestor) {
                (usable, detail) = (false, ancestor == directory
                    ? "\(directory) is not writable"
                    : "\(directory) does not exist and cannot be created: \(ancestor) is not writable")
            } else {
                (usable, detail) = (true, ancestor == directory
                    ? "\(directory) is writable; the database will be created on first start"
                    : "\(directory) does not exist yet; it and the database will be created on first start (\(ancestor) is writable)")
            }
        }
    }
}
