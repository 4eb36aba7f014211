import DeclutterStore
import Foundation

// MARK: - database.url and its password

extension ConfigurationLoader {
    /// `database.url` as given, checked before the settings are applied so that no message ever quotes it (it may
    /// hold a password, which is refused: a URL is printed and logged, a password never is).
    func checkDatabaseURL() throws(ConfigurationError) {
        guard let (text, source) = raw("database.url") else { return }
        let location: PostgresLocation
        do {
            location = try PostgresLocation(url: text)
        } catch let invalid as PostgresLocation.Invalid {
            throw ConfigurationError("database.url", "\(invalid.rule) (from \(source))")
        } catch {
            throw ConfigurationError("database.url", "is not a URL (from \(source))")
        }
        guard location.password == nil else {
            throw ConfigurationError("database.url", "holds a password (from \(source)): put it in database.password_file, or in a "
                + "systemd credential database_password (LoadCredential=database_password:PATH); the URL is shown and logged, the password never is")
        }
    }

    /// The PostgreSQL password, when `database.url` is set and a password file is found: `database.password_file`
    /// (which must be readable), else `$CREDENTIALS_DIRECTORY/database_password` when it exists. Nil without
    /// one (the server may trust this user, or read a client certificate). The origin never holds the password.
    func databasePassword() throws(ConfigurationError) -> (password: String, origin: ConfigurationReport.SecretOrigin)? {
        guard let (path, origin) = databasePasswordFile() else { return nil }
        let data: Data
        switch ConfigurationFile.contents(of: path, limit: 64 * 1024) {
        case .success(let contents): data = contents
        case .failure(let problem): throw ConfigurationError("database.password_file", "cannot read the password from \(origin): \(problem)")
        }
        let password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        guard !password.isEmpty else { throw ConfigurationError("database.password_file", "the password file \(origin) is empty") }
        return (password, .init(source: origin, length: password.count))
    }

    /// Where the password file is, with words saying so for messages; nil when there is none to read.
    func databasePasswordFile() -> (path: String, origin: String)? {
        if let (file, source) = raw("database.password_file") {
            return (file, "database.password_file \(file) (from \(source))")
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = directory + "/database_password"
            if FileManager.default.fileExists(atPath: path) { return (path, "$CREDENTIALS_DIRECTORY/database_password (\(path))") }
        }
        return nil
    }
}
