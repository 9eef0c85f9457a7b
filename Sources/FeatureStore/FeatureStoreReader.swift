import CHDF5
import Foundation

/// Random access to a finished (or partly written) feature cache, for training and inspection.
///
/// `read(row:teacher:into:)` fills a caller-owned buffer, so a loader can reuse one buffer per worker.
/// A reader may be shared by many threads: HDF5 calls are serialised by the process-wide lock, and the
/// float16 -> Float widening of a row runs outside it, in the calling thread. Rows and videos are indexed
/// from 0 in this file (a shard file's first row is 0; `videoOffset` gives its global position).
public final class FeatureStoreReader: @unchecked Sendable {
    public let url: URL
    /// `format_version`: 1, or 2 when the file holds an int8 teacher.
    public let formatVersion: Int
    public let attributes: CacheAttributes
    /// Videos (N) and rows (M = N * viewsPerVideo) in this file.
    public let videoCount: Int
    public let rowCount: Int
    /// The teachers this cache holds, in name order.
    public let teachers: [TeacherSpec]
    /// Whether `/pixels` is present.
    public let hasPixels: Bool
    /// `.whole` for a single-process or merged cache.
    public let shard: Shard
    /// Global index of this file's first video (0 unless a shard file).
    public let videoOffset: Int

    let cache: CacheFile

    /// Opens a cache read-only. With `expecting`, refuses (`fingerprintMismatch`, naming the field) a cache
    /// whose manifest hash or clip geometry differs from the caller's.
    public init(at url: URL, expecting: CacheAttributes? = nil) throws {
        cache = try CacheFile(at: url, writable: false)
        if let expecting = expecting { try Fingerprint.check(cache, attributes: expecting) }
        self.url = url
        formatVersion = cache.formatVersion
        attributes = cache.attributes
        videoCount = cache.videoCount
        rowCount = cache.rowCount
        teachers = cache.teachers.map(\.spec)
        hasPixels = cache.pixels != nil
        shard = cache.shard
        videoOffset = cache.videoOffset
    }

    /// Closes the file now (it is also closed when the reader is released). Reading afterwards throws.
    public func close() { cache.close() }

    /// The teacher named `name`; throws `unknownTeacher` listing the ones present.
    public func teacher(_ name: String) throws -> TeacherSpec { try cache.teacher(name).spec }

    /// Reads `teacher`'s features of `row` as Float into `buffer` (`L * D` values, row-major `[L, D]`).
    /// Float16 rows are widened exactly, in Swift, without a temporary buffer; int8 rows become `code * scale`
    /// of their token (see `Int8Quantization`), also in place.
    public func read(row: Int, teacher: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let t = try cache.teacher(teacher)
        try checkBuffer(row: row, t, count: buffer.count)
        try cache.readFeatures(row: row, t, into: buffer)
    }

    /// `read(row:teacher:into:)` for an array; `buffer.count` must be `L * D`.
    public func read(row: Int, teacher: String, into buffer: inout [Float]) throws {
        try buffer.withUnsafeMutableBufferPointer { try read(row: row, teacher: teacher, into: $0) }
    }

    /// Reads the stored float16 values of `row` unchanged (a float32 teacher's values are rounded in Swift).
    public func readFloat16(row: Int, teacher: String, into buffer: inout [Float16]) throws {
        let t = try cache.teacher(teacher)
        try checkBuffer(row: row, t, count: buffer.count)
        if t.spec.dtype == .float16 {
            try buffer.withUnsafeMutableBytes {
                try t.features.read(rows: row..<row + 1, memType: t.storedType, into: $0.baseAddress!)
            }
        } else {
            var wide = [Float](repeating: 0, count: buffer.count)
            try read(row: row, teacher: teacher, into: &wide)
            buffer = Float16Conversion.toFloat16(wide)
        }
    }

    /// The view (frames and crop) of `row`.
    public func view(row: Int) throws -> RowView {
        try checkRow(row)
        let frames = try cache.clipFrames.read(rows: row..<row + 1, as: Int32.self)
        let c = try cache.clipCrop.read(rows: row..<row + 1, as: Int32.self)
        // Whether a frame or box lies inside its video is only known once the video is opened; what can be
        // refused without it is refused here, before a decoder or a crop sees it. Rows of videos that are not
        // decoded (pending or failed) hold no view yet: their zeros are returned as they are.
        let video = row / attributes.viewsPerVideo
        let status = try cache.videoStatus.read(rows: video..<video + 1, as: UInt8.self)
        let view = RowView(frames: frames.map(Int.init), crop: (Int(c[0]), Int(c[1]), Int(c[2]), Int(c[3])))
        guard status[0] == VideoStatus.ok.rawValue else { return view }
        if let bad = frames.first(where: { $0 < 0 }) {
            throw FeatureStoreError(
                .notACache,
                "\(url.lastPathComponent) row \(row): /clips/frames holds frame "
                    + "index \(bad); frame indices are never negative. The file is damaged: delete "
                    + "it and run extract-features again.")
        }
        guard c[0] >= 0, c[1] >= 0, c[2] >= 1, c[3] >= 1 else {
            throw FeatureStoreError(
                .notACache,
                "\(url.lastPathComponent) row \(row): /clips/crop is x \(c[0]), y "
                    + "\(c[1]), width \(c[2]), height \(c[3]); a crop box has x, y >= 0 and a positive "
                    + "size. The file is damaged: delete it and run extract-features again.")
        }
        return view
    }

    /// `/clips/video` for every row: the (global) video index each row belongs to.
    public func rowVideos() throws -> [Int] {
        try cache.clipVideo.readAll(as: Int64.self).map(Int.init)
    }

    /// The uint8 pixels `[T, S, S, 3]` of `row`; throws when the cache was written without pixels.
    public func readPixels(row: Int, into buffer: inout [UInt8]) throws {
        guard let pixels = cache.pixels else {
            throw FeatureStoreError(
                .invalidArgument,
                "\(url.lastPathComponent) stores no pixels; re-decode the "
                    + "row's frames and crop from view(row:), or extract with --store-pixels.")
        }
        try checkRow(row)
        guard buffer.count == pixels.rowElements else {
            throw FeatureStoreError(
                .invalidArgument,
                "pixel buffer holds \(buffer.count) bytes; a row needs "
                    + "\(pixels.rowElements) ([T, S, S, 3]).")
        }
        try buffer.withUnsafeMutableBytes {
            try pixels.read(rows: row..<row + 1, memType: UInt8.h5MemoryType, into: $0.baseAddress!)
        }
    }

    /// The per-channel statistics of `teacher` stored in the cache (`feature_mean`, `feature_std`,
    /// `feature_stats_rows`), or nil when it has none: a teacher that is not complete, a shard file, or a cache written
    /// before statistics existed (rerunning the teacher's extract-features command adds them). Throws when they are
    /// present but unusable (another length than D, not finite, a negative deviation).
    public func statistics(teacher: String) throws -> FeatureStatistics? {
        try cache.storedStatistics(try cache.teacher(teacher))
    }

    /// `/teachers/<teacher>/done` as Booleans, one per row.
    public func doneFlags(teacher: String) throws -> [Bool] {
        try cache.teacher(teacher).done.readAll(as: UInt8.self).map { $0 == 1 }
    }

    /// `/videos/path` and `/videos/label`.
    public func videos() throws -> [VideoEntry] {
        let paths = try cache.videoPath.readStrings(0..<videoCount)
        let labels = try cache.videoLabel.readAll(as: Int64.self)
        return zip(paths, labels).map { VideoEntry(path: $0, label: Int($1)) }
    }

    /// `/videos/status`.
    public func videoStatuses() throws -> [VideoStatus] {
        try cache.videoStatus.readAll(as: UInt8.self).map {
            VideoStatus(rawValue: $0) ?? .pending
        }
    }

    /// `/videos/error` ("" for videos that did not fail).
    public func videoErrors() throws -> [String] { try cache.videoError.readStrings(0..<videoCount) }

    private func checkRow(_ row: Int) throws {
        guard row >= 0, row < rowCount else {
            throw FeatureStoreError(.invalidArgument, "row \(row) is outside the cache (rows 0..<\(rowCount)).")
        }
    }

    private func checkBuffer(row: Int, _ t: TeacherDatasets, count: Int) throws {
        try checkRow(row)
        guard count == t.spec.rowElements else {
            throw FeatureStoreError(
                .invalidArgument,
                "buffer for \(t.spec.name) holds \(count) values; a row needs "
                    + "L*D = \(t.spec.tokenCount)*\(t.spec.embedDim) = \(t.spec.rowElements).")
        }
    }
}

extension CacheFile {
    /// Reads teacher `t`'s features of local row `row` as Float into `buffer` (`L * D` values, checked by the caller).
    func readFeatures(row: Int, _ t: TeacherDatasets, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
        if t.spec.dtype == .int8 { return try readInt8(row: row, t, into: buffer) }
        guard t.spec.dtype == .float16 else {
            try t.features.read(rows: row..<row + 1, memType: t.storedType, into: raw)
            return
        }
        // Read the n halves into the upper half of the buffer's bytes, then widen front to back: float i
        // (bytes 4i..<4i+4) never overwrites a half j > i (bytes 2n+2j) that is still to be read.
        let n = buffer.count
        try t.features.read(rows: row..<row + 1, memType: t.storedType, into: raw + 2 * n)
        // Raw loads and stores (not typed pointers), because the two views overlap in memory.
        Float16Conversion.widenTable.withUnsafeBufferPointer { table in
            for i in 0..<n {
                let bits = raw.loadUnaligned(fromByteOffset: 2 * n + 2 * i, as: UInt16.self)
                raw.storeBytes(of: table[Int(bits)], toByteOffset: 4 * i, as: Float.self)
            }
        }
    }

    /// The codes go into the last quarter of the buffer's bytes and are widened front to back; the scales are
    /// checked before use, since a crafted scale would turn every target of the token into NaN or infinity.
    private func readInt8(row: Int, _ t: TeacherDatasets, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard let scaleDataset = t.scale else { preconditionFailure("an int8 teacher is opened with its scales") }
        let (tokens, width) = (t.spec.tokenCount, t.spec.embedDim)
        let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
        try t.features.read(rows: row..<row + 1, memType: t.storedType, into: raw + 3 * buffer.count)
        try withUnsafeTemporaryAllocation(of: Float.self, capacity: tokens) { scales in
            try scaleDataset.read(
                rows: row..<row + 1, memType: swh5_T_IEEE_F32LE(),
                into: UnsafeMutableRawPointer(scales.baseAddress!))
            if let bad = scales.firstIndex(where: { !ScaleCheck.isUsable($0) }) {
                throw FeatureStoreError(
                    .notACache,
                    "\(url.lastPathComponent) row \(row): /teachers/\(t.spec.name)/"
                        + "\(CacheNames.featureScale) holds \(scales[bad]) for token \(bad); a scale is "
                        + "finite, at least 0 and at most \(ScaleCheck.largestScale). The row is damaged, not the whole "
                        + "file: `mvd inspect \(url.path)` lists every such row, `mvd inspect --reset-damaged` makes them "
                        + "pending, and rerunning teacher \(t.spec.name)'s extract-features command extracts only those.")
            }
            Int8Quantization.dequantizeInPlace(buffer, scales: scales.baseAddress!, tokens: tokens, width: width)
        }
    }
}
