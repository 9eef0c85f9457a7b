import CHDF5
import Foundation

/// Joins the shard files of a sharded extraction into one cache that reads exactly like a single-process one.
///
/// The merge **copies** every shard into a fresh file (built under a temporary name and renamed into place)
/// instead of joining them with HDF5 virtual datasets. A virtual dataset whose source file is missing or moved
/// reads as zeros without any error, which would silently turn into all-zero training targets; a copy has no
/// such failure mode, stays valid when the shards are deleted, and costs one sequential pass over the data
/// (GB/s on a local disk). Rows are copied as stored (float16 bytes, or int8 codes and their scales, unchanged),
/// including `done` flags, so merging shards that are still incomplete gives a cache that a whole-manifest run
/// can resume.
public enum FeatureStoreMerge {
    /// What a merge produced.
    public struct Report: Sendable {
        public let videoCount: Int
        public let rowCount: Int
        /// Rows done per teacher after the merge.
        public let rowsDone: [String: Int]
        /// The statistics stored for each teacher that is complete in the merged cache (see `FeatureStatistics`).
        public let statistics: [String: FeatureStatistics]
    }

    /// Merges shard files (any order; together they must be shards 0..<N of one request) into `destination`,
    /// which must not exist yet.
    ///
    /// The merge holds `<destination>.lock` and each shard's lock from the existence check to the rename, so two
    /// merges cannot both find the destination absent, and no writer can still be changing a shard being copied;
    /// when one is held, the merge waits as `wait` says and then throws `.locked`.
    @discardableResult
    public static func merge(shards urls: [URL], into destination: URL, wait: WriterWait = .refuse) throws -> Report {
        let purpose = "merging \(urls.count) shards into \(destination.lastPathComponent)"
        // Each path once: a second flock on the same file from this process would wait for the first.
        var paths: [URL] = []
        for url in [destination] + urls where !paths.contains(where: { $0.standardizedFileURL == url.standardizedFileURL }) {
            paths.append(url)
        }
        let locks = try paths.map { try CacheLock(of: $0, purpose: purpose, wait: wait) }
        defer { locks.forEach { $0.release() } }
        guard !FileManager.default.fileExists(atPath: destination.path) else {
            throw FeatureStoreError(
                .invalidArgument,
                "\(destination.path) exists; merge into a new path, or "
                    + "delete the old file first.")
        }
        let shards = try urls.map { try CacheFile(at: $0, writable: false) }.sorted { $0.shard.index < $1.shard.index }
        defer { shards.forEach { $0.close() } }
        try checkCompatible(shards)
        let first = shards[0]
        var videos: [VideoEntry] = []
        for shard in shards {
            let paths = try shard.videoPath.readStrings(0..<shard.videoCount)
            let labels = try shard.videoLabel.readAll(as: Int64.self)
            videos += zip(paths, labels).map { VideoEntry(path: $0, label: Int($1)) }
        }
        let blueprint = CacheBlueprint(
            attributes: first.attributes, videos: videos, shard: .whole, videoOffset: 0,
            totalVideos: videos.count, teachers: first.teachers.map(\.spec),
            storePixels: first.pixels != nil)
        var rowsDone: [String: Int] = [:], statistics: [String: FeatureStatistics] = [:]
        try AtomicFile.replace(destination, keepingOriginal: false) { temporary in
            try CacheFile.build(at: temporary, blueprint)
            let out = try CacheFile(at: temporary, writable: true)
            defer { out.close() }
            for shard in shards { try copy(shard, into: out) }
            try out.file.flush()
            for t in out.teachers {
                rowsDone[t.spec.name] = try t.done.readAll(as: UInt8.self)
                    .filter { $0 == 1 }.count
                // Computed over the merged rows, as a single process computes them when its teacher completes; the
                // file is still under its temporary name, so its metadata may change.
                if try out.isComplete(t), let s = try out.computeStatistics(t) {
                    try out.writeStatistics(s, teacher: t.spec.name)
                    statistics[t.spec.name] = s
                }
            }
            try out.file.flush()
        }
        return Report(videoCount: videos.count, rowCount: blueprint.rowCount, rowsDone: rowsDone, statistics: statistics)
    }

    /// Refuses shard sets that are incomplete, duplicated, or made for different requests.
    private static func checkCompatible(_ shards: [CacheFile]) throws {
        guard let first = shards.first else {
            throw FeatureStoreError(.shardMismatch, "no shard files given; pass every shard file of the extraction.")
        }
        let count = first.shard.count
        let indices = shards.map(\.shard.index)
        let sameCount = shards.allSatisfy { $0.shard.count == count }
        // Listed only when few: a damaged shard_count (up to 2^63) must not build a list of that many.
        let missing = sameCount && count <= shards.count + 64 ? (0..<count).filter { !indices.contains($0) } : []
        guard sameCount, Set(indices).count == indices.count, indices.count == count else {
            throw FeatureStoreError(
                .shardMismatch,
                "the files are not shards 0..<\(count) exactly once (got "
                    + "\(shards.map { "\($0.url.lastPathComponent)=\($0.shard)" }.joined(separator: ", "))"
                    + (missing.isEmpty ? "" : "; missing \(missing.map { "\($0)/\(count)" })")
                    + "); run or locate the missing shards and pass each exactly once.")
        }
        try checkSameRequest(shards)
        for shard in shards.dropFirst() {
            guard shard.teachers.map(\.spec.name) == first.teachers.map(\.spec.name),
                (shard.pixels != nil) == (first.pixels != nil), shard.totalVideos == first.totalVideos
            else {
                throw FeatureStoreError(
                    .shardMismatch,
                    "\(shard.url.lastPathComponent) holds other teachers, "
                        + "pixels or manifest size than \(first.url.lastPathComponent); all shards "
                        + "must come from the same extract-features request.")
            }
        }
    }

    /// Refuses shards whose fingerprints differ, naming which shard holds which value and the flag that sets it.
    ///
    /// No shard is "the file" and none "the request" here: each was written by its own extract-features command, so
    /// the message lists the shards per value and advises re-extracting the odd ones (those in the minority) with
    /// the others' flag.
    private static func checkSameRequest(_ shards: [CacheFile]) throws {
        var fields: [(name: String, flag: String?, value: (CacheFile) -> String)] = []
        for (i, (name, _)) in shards[0].attributes.stringFingerprints.enumerated() {
            fields.append((name, Fingerprint.rootFlags[name], { $0.attributes.stringFingerprints[i].1 }))
        }
        for (i, (name, _)) in shards[0].attributes.intFingerprints.enumerated() {
            fields.append((name, Fingerprint.rootFlags[name], { "\($0.attributes.intFingerprints[i].1)" }))
        }
        // Teachers are compared by position once their names agree (checked after this).
        let teacherCount = shards.map(\.teachers.count).min() ?? 0
        for t in 0..<teacherCount {
            let group = "teachers/\(shards[0].teachers[t].spec.name)."
            for (i, (name, _)) in shards[0].teachers[t].spec.stringAttributes.enumerated() {
                fields.append((group + name, Fingerprint.teacherFlags[name], { $0.teachers[t].spec.stringAttributes[i].1 }))
            }
            for (i, (name, _)) in shards[0].teachers[t].spec.intAttributes.enumerated() {
                fields.append((group + name, Fingerprint.teacherFlags[name], { "\($0.teachers[t].spec.intAttributes[i].1)" }))
            }
            fields.append((group + "tokens (L)", nil, { "\($0.teachers[t].spec.tokenCount)" }))
        }
        for field in fields {
            let values = shards.map(field.value)
            var groups: [(value: String, shards: [CacheFile])] = []
            for (shard, value) in zip(shards, values) {
                if let g = groups.firstIndex(where: { $0.value == value }) {
                    groups[g].shards.append(shard)
                } else {
                    groups.append((value, [shard]))
                }
            }
            guard groups.count > 1 else { continue }
            let name = { (files: [CacheFile]) in
                files.map { "\($0.url.lastPathComponent) (shard \($0.shard))" }.joined(separator: ", ")
            }
            let found = groups.map { "\"\($0.value)\" in \(name($0.shards))" }.joined(separator: " but ")
            let sorted = groups.sorted { $0.shards.count > $1.shards.count }
            let how = field.flag.map { "with \($0) " } ?? "with the same flags "
            let advice: String
            if sorted[0].shards.count > sorted[1].shards.count {
                let odd = sorted.dropFirst().flatMap(\.shards)
                advice =
                    "re-extract \(odd.map { "shard \($0.shard)" }.joined(separator: ", ")) \(how)"
                    + (field.flag == nil ? "" : "\(sorted[0].value) ") + "like the other shards "
            } else {
                advice =
                    "decide which value you want and re-extract the shards that hold the other one \(how)"
                    + (field.flag == nil ? "" : "set to it ")
            }
            throw FeatureStoreError(
                .shardMismatch,
                "the shards come from different extract-features requests: \(field.name) is \(found). To merge them, "
                    + advice + "with its --shard I/N (delete its old file first, or give a new --out), then run mvd "
                    + "merge again.")
        }
    }

    /// Copies one shard's videos, clips, teachers and pixels into their global place in `out`.
    private static func copy(_ shard: CacheFile, into out: CacheFile) throws {
        let v0 = shard.videoOffset, r0 = shard.videoOffset * shard.attributes.viewsPerVideo
        let videos = v0..<(v0 + shard.videoCount), rows = r0..<(r0 + shard.rowCount)
        try copyAll(shard.videoStatus, out.videoStatus, at: videos, as: UInt8.self)
        try out.videoError.writeStrings(try shard.videoError.readStrings(0..<shard.videoCount), at: v0)
        try copyAll(shard.clipFrames, out.clipFrames, at: rows, as: Int32.self)
        try copyAll(shard.clipCrop, out.clipCrop, at: rows, as: Int32.self)
        for (source, target) in zip(shard.teachers, out.teachers) {
            let done = try source.done.readAll(as: UInt8.self)
            let committed = done.indices.filter { done[$0] == 1 }
            try copyRows(
                source.features, target.features, rows: committed,
                offset: r0, memType: source.storedType, bytes: source.spec.dtype.byteCount)
            if let scale = source.scale, let targetScale = target.scale {
                try copyRows(scale, targetScale, rows: committed, offset: r0, memType: swh5_T_IEEE_F32LE(), bytes: 4)
            }
            try target.done.write(rows: rows, done)
        }
        if let pixels = shard.pixels, let target = out.pixels {
            let stored = try rowsWithView(shard)
            try copyRows(pixels, target, rows: stored, offset: r0, memType: UInt8.h5MemoryType, bytes: 1)
        }
    }

    private static func copyAll<T: H5Scalar>(
        _ source: H5Dataset, _ target: H5Dataset, at range: Range<Int>,
        as: T.Type
    ) throws {
        try target.write(rows: range, try source.readAll(as: T.self))
    }

    /// Copies whole rows one at a time through one reused buffer, bytes unchanged.
    private static func copyRows(
        _ source: H5Dataset, _ target: H5Dataset, rows: [Int], offset: Int,
        memType: hid_t, bytes: Int
    ) throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: source.rowElements * bytes, alignment: 64)
        defer { buffer.deallocate() }
        for row in rows {
            try source.read(rows: row..<row + 1, memType: memType, into: buffer)
            try target.write(rows: offset + row..<offset + row + 1, memType: memType, from: buffer)
        }
    }

    /// Local rows that some teacher has committed (their view and pixels are real).
    private static func rowsWithView(_ shard: CacheFile) throws -> [Int] {
        var any = [Bool](repeating: false, count: shard.rowCount)
        for t in shard.teachers {
            for (i, flag) in try t.done.readAll(as: UInt8.self).enumerated() where flag == 1 {
                any[i] = true
            }
        }
        return any.indices.filter { any[$0] }
    }
}
