import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A socket error as an operator reads it: the system's message for its errno (`Address
/// already in use`) rather than SwiftNIO's description of the call that failed; any other
/// error as it describes itself. Shared by the layers' "cannot listen" errors.
package func socketErrorText(_ error: Error) -> String {
    guard let ioError = error as? IOError else { return "\(error)" }
    return String(cString: strerror(ioError.errnoCode))
}
