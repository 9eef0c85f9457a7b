import CHDF5
import Foundation

/// Writes a feature cache (docs/cache-format.md): creates it, or reopens it and resumes where a previous run stopped.
///
/// Typical use by `extract-features`:
/// ```swift
/// let writer = try FeatureStoreWriter(at: out, request: request)
/// for video in writer.remainingVideos() {
///     guard let clip = decode(video) else { try writer.failVideo(video, reason: why); continue }
///     for row in writer.rows(ofVideo: video) {
///         let view = try writer.storedView(row: row) ?? sampleView(row)
///         try writer.writeView(row: row, view, pixels: pixels)
///         for teacher in request.teachers where !writer.isDone(row: row, teacher: teacher.name) {
///             try writer.writeFeatures(row: row, teacher: teacher.name, run(teacher, view))
///         }
///     }
///     try writer.finishVideo(video)
/// }
/// try writer.close()
/// ```
///
/// **Crash safety.** The file layout is created once, atomically (temporary name, fsync, rename), with all
/// storage allocated up front and without timestamps, in the oldest HDF5 file format (no "open for write"
/// flag). After that, writing a row changes raw bytes inside already allocated chunks and never the file's
/// metadata, so a `kill -9` at any moment leaves HDF5's structures exactly as created. A commit is two
/// flushes: (1) the batch's features, views and pixels (plus error strings of failed videos) are flushed
/// and fsynced; (2) only then the batch's `done` flags and video statuses are written, flushed and fsynced.
/// A flag therefore never reaches the disk before the data it vouches for; rows whose flag is not set are
/// simply redone on resume, overwriting whatever partial bytes they hold. Committed rows are never written
/// again (the writer refuses), so committed data cannot be damaged by a later crash. Adding a teacher to an
/// existing cache copies the file and renames the copy over it, so that change is atomic too.
///
/// **One writer at a time.** The writer holds an exclusive lock on `<cache>.lock` from its first read of the file
/// until `close()`, so two processes adding teachers to one cache cannot both copy the same original and lose
/// one teacher in the second rename; the later one waits or is refused (`WriterWait`).
///
/// All row and video indices in this API are global (manifest order), also for a shard.
/// Methods may be called from any thread; calls are serialised.
public final class FeatureStoreWriter: @unchecked Sendable {
    /// What the run wants the cache to hold; compared with an existing file's fingerprints.
    public struct Request: Sendable {
        public var attributes: CacheAttributes
        /// The whole manifest, in order (also for a shard).
        public var videos: [VideoEntry]
        /// The teachers this run computes (others already in the file are kept untouched).
        public var teachers: [TeacherSpec]
        /// Whether `/pixels` holds each row's exact uint8 student input.
        public var storePixels: Bool
        public var shard: Shard

        public init(
            attributes: CacheAttributes, videos: [VideoEntry], teachers: [TeacherSpec],
            storePixels: Bool = false, shard: Shard = .whole
        ) {
            self.attributes = attributes
            self.videos = videos
            self.teachers = teachers
            self.storePixels = storePixels
            self.shard = shard
        }
    }

    /// Points inside `commit()` where a test can stop the process.
    @_spi(FaultInjection) public enum FaultPoint: Sendable { case afterDataFlush, afterCommit }
    /// Called at each `FaultPoint`; for crash tests only.
    @_spi(FaultInjection) public var faultHook: ((FaultPoint) -> Void)?

    public let url: URL
    public let shard: Shard
    /// Global indices of the videos this writer owns.
    public let videoRange: Range<Int>
    /// Rows per video (`viewsPerVideo`).
    public let rowsPerVideo: Int
    /// Rows between automatic commits.
    public let commitEvery: Int

    let cache: CacheFile
    let runTeachers: [String]
    let lock = NSLock()
    /// Held from the first read of the file to the end of `close()`: every change of the cache (a new teacher,
    /// rows, the statistics' copy and rename) happens under it, so no other writer works from a file about to be
    /// replaced.
    let fileLock: CacheLock
    /// Done flags of every teacher in the file (local rows), as committed plus this process's commits.
    var done: [String: [UInt8]] = [:]
    /// `/videos/status` (local videos), as committed.
    var status: [UInt8]
    /// Work written but not yet committed: (teacher, local row) pairs, local rows with a view, videos.
    var stagedDone: [String: Set<Int>] = [:]
    var stagedViews: Set<Int> = []
    var stagedStatus: [Int: (VideoStatus, String)] = [:]
    /// Statistics stored by `close()`.
    var writtenStatistics: [String: FeatureStatistics] = [:]

    /// Opens `url` for writing `request`: creates the cache when the file is absent; otherwise checks every
    /// fingerprint (throws `fingerprintMismatch` naming the field), adds requested teachers the file lacks,
    /// and loads the `done` flags and video statuses so the run continues where the last one stopped.
    ///
    /// The writer holds `<url>.lock` from before its first read of the file until `close()` (or until it is released):
    /// a second writer of the same cache waits as `wait` says, then throws `.locked` without touching the file.
    public init(at url: URL, request: Request, commitEvery: Int = 16, wait: WriterWait = .refuse) throws {
        try FeatureStoreWriter.validate(request)
        let names = request.teachers.map(\.name).joined(separator: ", ")
        let fileLock = try CacheLock(
            of: url, purpose: "writing \(names.isEmpty ? "views" : "teachers \(names)") into \(url.lastPathComponent)",
            wait: wait)
        let total = request.videos.count
        let range = request.shard.videoRange(totalVideos: total)
        if !FileManager.default.fileExists(atPath: url.path) {
            try CacheFile.create(
                at: url,
                CacheBlueprint(
                    attributes: request.attributes, videos: Array(request.videos[range]), shard: request.shard,
                    videoOffset: range.lowerBound, totalVideos: total, teachers: request.teachers,
                    storePixels: request.storePixels))
        } else {
            let missing = try FeatureStoreWriter.checkExisting(url, request)  // closes the file again
            try CacheFile.addTeachers(missing, to: url)
        }
        self.url = url
        self.fileLock = fileLock
        self.shard = request.shard
        self.videoRange = range
        self.rowsPerVideo = request.attributes.viewsPerVideo
        self.commitEvery = max(1, commitEvery)
        cache = try CacheFile(at: url, writable: true)
        runTeachers = request.teachers.map(\.name)
        status = try cache.videoStatus.readAll(as: UInt8.self)
        for teacher in cache.teachers {
            done[teacher.spec.name] = try teacher.done.readAll(as: UInt8.self)
        }
    }

    /// Checks an existing file's fingerprints and returns the requested teachers it does not hold yet.
    private static func checkExisting(_ url: URL, _ request: Request) throws -> [TeacherSpec] {
        let existing = try CacheFile(at: url, writable: false)
        defer { existing.close() }
        try Fingerprint.check(existing, against: request)
        return request.teachers.filter { spec in !existing.teachers.contains { $0.spec.name == spec.name } }
    }

    private static func validate(_ request: Request) throws {
        let a = request.attributes
        var problems: [String] = []
        if request.videos.isEmpty { problems.append("the manifest has no videos") }
        if request.shard.count > request.videos.count { problems.append("more shards than videos") }
        if a.viewsPerVideo < 1 || a.numFrames < 1 || a.inputSize < 1 { problems.append("views, frames and input size must be positive") }
        // No teacher at all is allowed: a views-only cache (frames, crops and optional pixels) for pixel-target training.
        if Set(request.teachers.map(\.name)).count != request.teachers.count { problems.append("two teachers share a name") }
        for t in request.teachers where t.tokenCount < 1 || t.embedDim < 1 || t.name.isEmpty || t.name.contains("/") {
            problems.append("teacher \"\(t.name)\" needs a plain name and positive tokens and width")
        }
        guard problems.isEmpty else {
            throw FeatureStoreError(
                .invalidArgument,
                "cannot write a cache: \(problems.joined(separator: "; ")). "
                    + "Fix the request and rerun.")
        }
    }

    // MARK: Queries (global indices)

    /// The global rows of video `video`.
    public func rows(ofVideo video: Int) -> Range<Int> {
        (video * rowsPerVideo)..<((video + 1) * rowsPerVideo)
    }

    /// Videos of this shard that still need work for a teacher of this run, in order: pending videos, and
    /// decoded videos with a row not yet done. Failed videos are final and not listed.
    public func remainingVideos() -> [Int] {
        lock.withLock {
            videoRange.filter { video in
                switch VideoStatus(rawValue: status[video - videoRange.lowerBound]) ?? .pending {
                case .failed: return false
                case .pending: return true
                case .ok: return rows(ofVideo: video).contains { row in runTeachers.contains { !isDoneLocked(row, $0) } }
                }
            }
        }
    }

    /// The committed status of `video`.
    public func status(ofVideo video: Int) throws -> VideoStatus {
        try lock.withLock { VideoStatus(rawValue: status[try localVideo(video)]) ?? .pending }
    }

    /// Whether `row` holds committed features of `teacher`.
    public func isDone(row: Int, teacher: String) -> Bool { lock.withLock { isDoneLocked(row, teacher) } }

    func isDoneLocked(_ row: Int, _ teacher: String) -> Bool {
        let local = row - videoRange.lowerBound * rowsPerVideo
        guard let flags = done[teacher], local >= 0, local < flags.count else { return false }
        return flags[local] == 1
    }

    /// The committed view (frames and crop) of `row`, or nil when no teacher has finished the row yet.
    /// A teacher added later must see exactly this view.
    public func storedView(row: Int) throws -> RowView? {
        try lock.withLock {
            let local = try localRow(row)
            guard done.values.contains(where: { $0[local] == 1 }) else { return nil }
            return try storedViewLocked(local)
        }
    }

    func localRow(_ row: Int) throws -> Int {
        let local = row - videoRange.lowerBound * rowsPerVideo
        guard local >= 0, local < cache.rowCount else {
            throw FeatureStoreError(
                .invalidArgument,
                "row \(row) is not in shard \(shard) (rows "
                    + "\(videoRange.lowerBound * rowsPerVideo)..<\(videoRange.upperBound * rowsPerVideo)); "
                    + "iterate over remainingVideos() and rows(ofVideo:).")
        }
        return local
    }

    func localVideo(_ video: Int) throws -> Int {
        guard videoRange.contains(video) else {
            throw FeatureStoreError(
                .invalidArgument,
                "video \(video) is not in shard \(shard) (videos "
                    + "\(videoRange)); iterate over remainingVideos().")
        }
        return video - videoRange.lowerBound
    }
}
