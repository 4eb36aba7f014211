#if canImport(Glibc)
import Glibc
#endif

/// errno as words, for reasons shown to operators.
package enum SystemError {
    /// `strerror`'s text ("No space left on device"), with the symbolic name where operators search for it.
    package static func text(_ code: Int32) -> String {
        let message = String(cString: strerror(code))
        switch code {
        case ENOSPC: return "\(message) (ENOSPC)"
        case EDQUOT: return "\(message) (EDQUOT)"
        case EROFS: return "\(message) (EROFS)"
        default: return message
        }
    }
}
