import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a process that wants to change a cache does when another process is changing it.
public struct WriterWait: Sendable {
    /// How long to wait for the other writer; 0 refuses at once.
    public var seconds: Double
    /// Called once, with a sentence saying whom this process waits for and how long at most, when it starts waiting.
    public var notice: @Sendable (String) -> Void

    public init(seconds: Double, notice: @escaping @Sendable (String) -> Void = { _ in }) {
        self.seconds = seconds
        self.notice = notice
    }

    /// Refuse at once when another writer holds the cache.
    public static let refuse = WriterWait(seconds: 0)
}

/// An exclusive lock on a cache for one process's whole change of it, from its first read to its last write.
///
/// Every change of a cache ends in a rename over it (a new teacher, statistics, a merge), so the lock cannot live on
/// the cache's own descriptor: the renamed file is a new inode, and a process that opens the path afterwards would
/// find it unlocked while the first one still works from what it read. The lock is a `flock` on a sidecar file,
/// `<cache>.lock`, that is never renamed and never deleted (deleting it would let a waiter lock an unlinked inode
/// while a newcomer locks a fresh one). The kernel drops the lock when the process dies, so a killed writer leaves
/// no stale lock; the file's text (pid and purpose of the holder) only serves the message of a process that waits.
/// Readers take no lock: they see either the file before a rename or the one after, both complete.
final class CacheLock {
    let url: URL
    private var descriptor: Int32

    /// The lock file of `cache`.
    static func lockURL(of cache: URL) -> URL {
        cache.deletingLastPathComponent().appendingPathComponent(cache.lastPathComponent + ".lock")
    }

    /// Takes the lock of `cache` for `purpose` (e.g. "extract-features writing teachers image"), waiting as `wait`
    /// says; throws `.locked` when another process still holds it after that.
    init(of cache: URL, purpose: String, wait: WriterWait) throws {
        url = CacheLock.lockURL(of: cache)
        // Close-on-exec at once: a child inheriting the descriptor would hold the lock for as long as it runs.
        descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FeatureStoreError(
                .cannotOpen,
                "cannot create the lock file \(url.path) that guards \(cache.lastPathComponent) against two writers: "
                    + "\(String(cString: strerror(errno))); check that the folder is writable.")
        }
        let start = Date()
        var noticed = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let failure = errno
            if failure == EINTR { continue }
            guard failure == EWOULDBLOCK else {
                Glibc.close(descriptor)
                throw FeatureStoreError(
                    .io, "cannot lock \(url.path): \(String(cString: strerror(failure))); the file system may not support locks.")
            }
            let holder = CacheLock.holder(descriptor)
            let waited = Date().timeIntervalSince(start)
            if waited >= wait.seconds {
                Glibc.close(descriptor)
                let after = wait.seconds > 0 ? " after waiting \(Int(wait.seconds.rounded())) s" : ""
                throw FeatureStoreError(
                    .locked,
                    "another writer (\(holder)) is changing \(cache.path)\(after), so this process did not touch it; "
                        + "rerun when that one has finished (extract-features --wait-for-writer SECONDS waits for it), "
                        + "or stop it first.")
            }
            if !noticed {
                noticed = true
                wait.notice(
                    "waiting up to \(Int(wait.seconds.rounded())) s for another writer (\(holder)) to finish with "
                        + "\(cache.path)")
            }
            usleep(50_000)
        }
        let text = Array("pid \(getpid()), \(purpose)\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// Releases the lock (closing the descriptor drops it); also done when the lock is released from memory.
    func release() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    /// The holder's line ("pid 123, extract-features …"), or a fallback when it has not written it yet.
    private static func holder(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        let text = got > 0 ? String(decoding: buffer[0..<got], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return text.isEmpty ? "a process that has just started" : text
    }
}
