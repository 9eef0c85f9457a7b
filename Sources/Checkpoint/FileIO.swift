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
    static func writeAtomically(to url: URL, _ body: (FileHandle) throws -> Void) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
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
