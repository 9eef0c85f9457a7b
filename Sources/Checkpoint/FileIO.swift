import Foundation

/// Whole-file reads (memory-mapped) and atomic writes shared by every format.
enum FileIO {
    /// Maps the file at `url` into memory; slices of the result share the mapping instead of copying.
    static func map(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw WeightLoadError.unreadable(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Writes a file through `body` into a temporary sibling, flushes it to disk and renames it over `url`,
    /// so a crash or error never leaves a half-written file at `url`.
    ///
    /// The temporary is named by `WriteTemporaries`, so that one left by a killed writer is recognised as dead and
    /// removed by the next write of `url` (or by `WriteTemporaries.removeDead(of:)`).
    static func writeAtomically(to url: URL, _ body: (FileHandle) throws -> Void) throws {
        let directory = url.deletingLastPathComponent()
        WriteTemporaries.removeDead(of: url)
        let temporary = WriteTemporaries.new(for: url)
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw WeightLoadError.writeFailed(path: url.path, reason: "cannot create a temporary file in \(directory.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                try body(handle)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(temporary.path, url.path) == 0 else {
                throw WeightLoadError.writeFailed(path: url.path, reason: "rename from the temporary file failed (errno \(errno))")
            }
        } catch let error as WeightLoadError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw WeightLoadError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }
}

/// The temporaries of atomic writes, named so that a later process can tell those of a dead writer from those of a
/// live one: `.<name>.tmp-<pid>@<host>-<UUID>`.
///
/// A writer killed between creating its temporary and the rename (SIGKILL, or mpirun stopping rank 0 during a save)
/// leaves a file as large as a checkpoint, and nothing else would ever remove it. The pid says whether its writer
/// still runs, the host keeps a process on another machine that shares the folder from being judged by this
/// machine's pids, and the UUID keeps two writes of one process apart.
public enum WriteTemporaries {
    /// Temporaries in the earlier naming (`.<name>.tmp-<UUID>`, no pid) are removed once this old: a live write
    /// touches its file far more often.
    static let unnamedMaximumAge: TimeInterval = 3600

    /// A fresh temporary name beside `url`.
    static func new(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())@\(host)-\(UUID().uuidString)")
    }

    /// Deletes the temporaries of `url` whose writer is gone: a pid of this host that no longer runs, or the earlier
    /// naming not modified for an hour. Returns the files removed. Those of live writers and of other hosts stay.
    @discardableResult
    public static func removeDead(of url: URL) -> [URL] {
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).tmp-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var removed: [URL] = []
        for name in names where name.hasPrefix(prefix) {
            let file = folder.appendingPathComponent(name)
            guard isDead(String(name.dropFirst(prefix.count)), file) else { continue }
            if (try? FileManager.default.removeItem(at: file)) != nil { removed.append(file) }
        }
        return removed
    }

    /// Whether the temporary whose name ends in `tail` (after `.tmp-`) belongs to a writer that is gone.
    private static func isDead(_ tail: String, _ file: URL) -> Bool {
        if UUID(uuidString: tail) != nil {
            let modified = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.modificationDate] as? Date
            return modified.map { Date().timeIntervalSince($0) > unnamedMaximumAge } ?? false
        }
        guard let at = tail.firstIndex(of: "@"), let pid = Int32(tail[..<at]), pid > 0, tail.count > 37 else { return false }
        let rest = tail[tail.index(after: at)...]
        let uuid = rest.suffix(36), writerHost = rest.dropLast(37)
        guard UUID(uuidString: String(uuid)) != nil, rest.dropLast(36).hasSuffix("-"), writerHost == host else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// This machine's name as it appears in temporaries (characters that could confuse the name replaced).
    static let host: String = {
        // gethostname, not ProcessInfo.hostName, which may ask the resolver.
        var buffer = [CChar](repeating: 0, count: 256)
        let name = gethostname(&buffer, buffer.count - 1) == 0 ? String(cString: buffer) : "localhost"
        return String(name.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
    }()
}
