import CLibCrypto
import Foundation

/// SHA-256 (FIPS 180-4), streaming, for `manifest_sha256` and `checkpoint_sha256`, computed by OpenSSL's libcrypto
/// (Foundation on Linux has no CryptoKit; libcrypto costs no build time and hashes with the CPU's SHA instructions).
///
/// ```swift
/// let hex = try SHA256.hexDigest(ofFileAt: url)    // whole file, read in 4 MiB blocks
/// var h = SHA256(); h.update(bytes); h.finalize()  // incremental
/// ```
///
/// A value type like any other: a copy made mid-stream hashes on independently of the original.
public struct SHA256: @unchecked Sendable {  // the context is copied before any write to a shared one
    private var context = Context()

    public init() {}

    /// Feeds more bytes.
    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let contiguous: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if contiguous == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    /// Feeds more bytes from a raw buffer.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        if !isKnownUniquelyReferenced(&context) { context = Context(copying: context) }
        Context.check(EVP_DigestUpdate(context.pointer, bytes.baseAddress, bytes.count), "EVP_DigestUpdate")
    }

    /// Pads, processes the last block and returns the 32-byte digest; the hasher then starts over, empty.
    public mutating func finalize() -> [UInt8] {
        if !isKnownUniquelyReferenced(&context) { context = Context(copying: context) }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        Context.check(EVP_DigestFinal_ex(context.pointer, &digest, &length), "EVP_DigestFinal_ex")
        context = Context()
        return Array(digest[0..<Int(length)])
    }

    /// Lower-case hex digest of `bytes`.
    public static func hexDigest<Bytes: Sequence>(of bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hex(hasher.finalize())
    }

    /// Lower-case hex digest of a file, read in 4 MiB blocks (constant memory for any file size).
    public static func hexDigest(ofFileAt url: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw FeatureStoreError(.io, "cannot read \(url.path) to hash it; check the path and permissions.")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let block = try handle.read(upToCount: 4 << 20), !block.isEmpty {
            block.withUnsafeBytes { hasher.update($0) }
        }
        return hex(hasher.finalize())
    }

    private static func hex(_ digest: [UInt8]) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// One EVP digest context, freed with its owner.
    private final class Context {
        let pointer: OpaquePointer

        init() {
            pointer = Context.newContext()
            Context.check(EVP_DigestInit_ex(pointer, EVP_sha256(), nil), "EVP_DigestInit_ex(sha256)")
        }

        init(copying other: Context) {
            pointer = Context.newContext()
            Context.check(EVP_MD_CTX_copy_ex(pointer, other.pointer), "EVP_MD_CTX_copy_ex")
        }

        deinit { EVP_MD_CTX_free(pointer) }

        private static func newContext() -> OpaquePointer {
            guard let context = EVP_MD_CTX_new() else { preconditionFailure("libcrypto could not allocate a digest context") }
            return context
        }

        /// libcrypto's digest calls fail only when memory runs out or its SHA-256 provider is missing (a broken
        /// OpenSSL installation), neither of which a caller could handle, so they stop the process like an
        /// allocation failure does.
        static func check(_ status: Int32, _ call: String) {
            precondition(status == 1, "libcrypto \(call) failed; check the OpenSSL installation (libssl-dev)")
        }
    }
}
