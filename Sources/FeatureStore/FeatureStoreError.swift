/// An error from the feature cache: what went wrong, what to do about it, and where.
///
/// Shaped like SwiftNIO's error structs: a stable `code` to switch on, a human `message` that ends with what
/// to do next, the HDF5 error stack when the C library reported one (innermost call first), and the Swift
/// source location that raised it.
public struct FeatureStoreError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The kind of failure, stable across releases.
    public enum Code: String, Sendable {
        /// The file could not be opened or created (missing, locked, not HDF5, no permission).
        case cannotOpen
        /// The file is HDF5 but not a feature cache of a format this code reads.
        case notACache
        /// The cache was made for another request: a fingerprint (manifest, geometry, teacher) differs.
        case fingerprintMismatch
        /// A caller argument is out of range or the wrong size.
        case invalidArgument
        /// A teacher name that the cache does not hold.
        case unknownTeacher
        /// An HDF5 call failed while reading or writing.
        case hdf5
        /// A plain file-system operation (copy, rename, fsync, stat) failed.
        case io
        /// Shards cannot be merged (missing, overlapping, or made for different requests).
        case shardMismatch
        /// Another process is changing the cache (it holds `<cache>.lock`); nothing was read or written.
        case locked
    }

    public let code: Code
    /// What happened and what to do next.
    public let message: String
    /// The HDF5 error stack, one line per frame, innermost first; empty when HDF5 reported nothing.
    public let hdf5Stack: [String]
    /// `file:line` of the Swift code that raised the error.
    public let location: String

    public init(
        _ code: Code, _ message: String, hdf5Stack: [String] = [],
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.hdf5Stack = hdf5Stack
        self.location = "\(file):\(line)"
    }

    public var description: String {
        var text = "FeatureStoreError.\(code.rawValue): \(message) (at \(location))"
        if !hdf5Stack.isEmpty { text += "\nHDF5 stack:\n  " + hdf5Stack.joined(separator: "\n  ") }
        return text
    }
}
