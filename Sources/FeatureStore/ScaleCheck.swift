import Foundation

/// Finding and resetting the rows of int8 teachers whose stored scales a reader refuses.
///
/// A reader checks a row's scales only when it reads the row, so a damaged scale would otherwise surface hours into
/// training. The scan reads `features_scale` a block of rows at a time (a few MB whatever the cache's size) and only
/// the rows whose `done` flag is set: the others hold whatever the disk held and are never read.
public enum ScaleCheck {
    /// The largest scale whose codes (up to ±127) stay finite when multiplied by it.
    static let largestScale = Float.greatestFiniteMagnitude / 127

    /// Whether a reader accepts `scale`: finite, at least 0, and at most `largestScale`.
    static func isUsable(_ scale: Float) -> Bool { scale >= 0 && scale <= largestScale }

    /// Rows read per block of the scan: 64 rows of ViT-B's 1568 tokens are 400 kB.
    static let blockBytes = 1 << 22

    /// The file's rows (local indices, ascending) whose `done` flag is set but some scale of `t` is unusable.
    static func damagedRows(_ t: TeacherDatasets) throws -> [Int] {
        guard let scale = t.scale, scale.rows > 0, scale.rowElements > 0 else { return [] }
        let done = try t.done.readAll(as: UInt8.self)
        let block = max(1, blockBytes / (4 * scale.rowElements))
        var damaged: [Int] = []
        var start = 0
        while start < scale.rows {
            let end = min(start + block, scale.rows)
            if done[start..<end].contains(1) {
                let values = try scale.read(rows: start..<end, as: Float.self)
                for row in start..<end where done[row] == 1 {
                    let offset = (row - start) * scale.rowElements
                    if values[offset..<offset + scale.rowElements].contains(where: { !isUsable($0) }) { damaged.append(row) }
                }
            }
            start = end
        }
        return damaged
    }

    /// The rows of each int8 teacher of the cache at `url` that hold an unusable scale (file rows, ascending).
    /// Teachers without damaged rows are left out.
    public static func damagedRows(in url: URL) throws -> [String: [Int]] {
        let cache = try CacheFile(at: url, writable: false)
        defer { cache.close() }
        var found: [String: [Int]] = [:]
        for t in cache.teachers where t.scale != nil {
            let rows = try damagedRows(t)
            if !rows.isEmpty { found[t.spec.name] = rows }
        }
        return found
    }

    /// Makes every damaged row of every int8 teacher of `url` pending again, so that rerunning that teacher's
    /// extract-features command extracts exactly those rows (the rows' views are kept, or drawn again identically).
    /// Returns the rows reset per teacher.
    ///
    /// Holds the writer's lock. The rows' videos are set pending (flushed to disk) before the rows' flags are
    /// cleared: a crash in between leaves pending videos whose rows are all done, which the next extraction marks
    /// ok again, never a video marked ok with a row that nothing would redo.
    public static func resetDamagedRows(in url: URL, wait: WriterWait = .refuse) throws -> [String: [Int]] {
        let lock = try CacheLock(of: url, purpose: "resetting damaged int8 rows of \(url.lastPathComponent)", wait: wait)
        defer { lock.release() }
        let cache = try CacheFile(at: url, writable: true)
        defer { cache.close() }
        var found: [String: [Int]] = [:]
        for t in cache.teachers where t.scale != nil {
            let rows = try damagedRows(t)
            if !rows.isEmpty { found[t.spec.name] = rows }
        }
        guard !found.isEmpty else { return [:] }
        let views = cache.attributes.viewsPerVideo
        for video in Set(found.values.joined().map { $0 / views }).sorted() {
            try cache.videoStatus.write(rows: video..<video + 1, [VideoStatus.pending.rawValue])
        }
        try cache.file.flush()
        try AtomicFile.sync(url)
        for t in cache.teachers {
            for row in found[t.spec.name] ?? [] { try t.done.write(rows: row..<row + 1, [UInt8(0)]) }
        }
        try cache.file.flush()
        try AtomicFile.sync(url)
        return found
    }
}
