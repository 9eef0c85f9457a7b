import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whole-file replacement that a crash cannot leave half done: build under a temporary name in the same
/// folder, `fsync`, `rename(2)` over the target, `fsync` the folder.
enum AtomicFile {
    /// Runs `body` on a temporary path next to `url`, then moves the result onto `url`.
    ///
    /// With `keepingOriginal`, the temporary file starts as a copy of `url`, so `body` edits a copy and the
    /// original stays intact until the rename. Every HDF5 object opened in `body` must be released when it
    /// returns (the file is then closed). A temporary left by a killed process is removed on the next call.
    static func replace(_ url: URL, keepingOriginal: Bool, _ body: (URL) throws -> Void) throws {
        removeStaleTemporaries(of: url)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        try? FileManager.default.removeItem(at: temporary)
        do {
            if keepingOriginal { try copy(url, to: temporary) }
            try body(temporary)
            try sync(temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw FeatureStoreError(
                    .io,
                    "cannot rename \(temporary.path) to \(url.path): "
                        + "\(String(cString: strerror(errno))); check the folder's permissions.")
            }
            try sync(url.deletingLastPathComponent())
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Flushes a file's (or folder's) data from the OS cache to the disk.
    static func sync(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw FeatureStoreError(.io, "cannot open \(url.path) to sync it: \(String(cString: strerror(errno))).")
        }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw FeatureStoreError(
                .io,
                "fsync of \(url.path) failed: \(String(cString: strerror(errno))); "
                    + "the disk may be full or failing.")
        }
    }

    /// Copies `source` to a new file `destination` in 16 MiB blocks.
    static func copy(_ source: URL, to destination: URL) throws {
        let input = open(source.path, O_RDONLY)
        guard input >= 0 else {
            throw FeatureStoreError(.io, "cannot read \(source.path): \(String(cString: strerror(errno))).")
        }
        defer { close(input) }
        let output = open(destination.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard output >= 0 else {
            throw FeatureStoreError(.io, "cannot create \(destination.path): \(String(cString: strerror(errno))).")
        }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 16 << 20)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if got == 0 { break }
            guard got > 0 else { throw FeatureStoreError(.io, "reading \(source.path) failed: errno \(errno).") }
            var written = 0
            while written < got {
                let n = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, got - written) }
                guard n > 0 else {
                    throw FeatureStoreError(
                        .io,
                        "writing \(destination.path) failed: "
                            + "\(String(cString: strerror(errno))); check free disk space.")
                }
                written += n
            }
        }
    }

    /// Deletes `.<name>.tmp-<pid>` files next to `url` whose process is gone.
    private static func removeStaleTemporaries(of url: URL) {
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).tmp-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }
}
