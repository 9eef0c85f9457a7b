import FeatureStore
import Foundation
import Tensor
import VideoIO

/// Training rows from a feature cache: each row's exact pixels (from `/pixels`, or re-decoded from the row's frames
/// and crop) and the requested teachers' full feature maps.
///
/// Only rows that every requested teacher has finished are used; a teacher that is not complete, or whose token grid
/// does not fit the student, is refused before training starts.
public final class CacheTrainingData: TrainingData {
    public let reader: FeatureStoreReader
    public let teachers: [TeacherSpec]
    /// Cache rows used for training, in cache order.
    public let rows: [Int]
    /// Indices into `rows` of each video's usable views, in cache order. A video that failed, or whose views no
    /// requested teacher has finished, has no entry.
    public let videoRows: [[Int]]
    /// Per requested teacher, the standardisation applied to its features as they are loaded (`--standardize-targets`),
    /// or nil to train on them as stored.
    public let standardizations: [TargetStandardization?]
    let paths: [String]
    let rowVideos: [Int]
    let inputSize: Int
    private var openReaders: [Int: VideoReader] = [:]
    private var readerOrder: [Int] = []

    public var rowCount: Int { rows.count }

    /// - Parameters:
    ///   - teacherNames: teachers to load (empty for pixel-target training: only pixels are loaded).
    ///   - tokens: the student's tokens per clip, which every teacher's L must equal.
    ///   - numFrames, inputSize: the student's clip geometry, which the cache's must equal.
    ///   - patchSize, tubeletSize: the student's token grid, which the cache's must equal when teachers are loaded
    ///     (equal token counts alone can hide another space-time layout of the targets); the teachers' patch sizes
    ///     may differ when they saw the clips at another size.
    ///   - standardizedTeachers: teachers whose features are standardised by their statistics in the cache
    ///     (`TargetStandardization`); a teacher here whose group has no statistics is refused.
    public init(
        url: URL, teacherNames: [String], tokens: Int, numFrames: Int, inputSize: Int, patchSize: Int,
        tubeletSize: Int, dataRoot: String?, standardizedTeachers: Set<String> = []
    ) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DistillError.storeMismatch("cache \(url.path) does not exist; create it with extract-features")
        }
        let reader = try FeatureStoreReader(at: url)
        self.reader = reader
        let a = reader.attributes
        guard a.numFrames == numFrames, a.inputSize == inputSize else {
            throw DistillError.storeMismatch(
                "the cache holds \(a.numFrames)-frame clips of \(a.inputSize)px but the student takes \(numFrames) frames of \(inputSize)px; use a matching --student/--model-config or another cache"
            )
        }
        if !teacherNames.isEmpty {
            try Self.checkGrid(a, url: url, patchSize: patchSize, tubeletSize: tubeletSize)
        }
        let verification = try FeatureStoreInspection.verify(url)
        teachers = try teacherNames.map { name in
            let spec = try reader.teacher(name)
            // The teacher's own grid must be the cache's: same patches per side, and an image teacher sees the first
            // frame of each tubelet. Otherwise equal token counts would pair targets with the wrong patches.
            let side = a.inputSize / a.patchSize, teacherSide = spec.inputSize / spec.patchSize
            guard teacherSide == side, spec.kind == .video || spec.frameStride == a.tubeletSize else {
                throw DistillError.storeMismatch(
                    "teacher \(name) in \(url.lastPathComponent) has \(teacherSide)×\(teacherSide) patches per frame (input \(spec.inputSize), patch \(spec.patchSize)) and frame stride \(spec.frameStride), but the cache's grid is \(side)×\(side) patches with tubelet \(a.tubeletSize); the cache is inconsistent: extract this teacher again"
                )
            }
            do { try verification.requireTeacher(name, tokens: tokens, width: spec.embedDim) } catch { throw DistillError.storeMismatch("\(error)") }
            return spec
        }
        standardizations = try teachers.map { spec in
            guard standardizedTeachers.contains(spec.name) else { return nil }
            return try Self.standardization(of: spec, reader: reader, url: url)
        }
        let statuses = try reader.videoStatuses()
        let rowVideos = try reader.rowVideos()
        self.rowVideos = rowVideos
        var usable = (0..<reader.rowCount).filter { statuses[rowVideos[$0] - reader.videoOffset] == .ok }
        for t in teacherNames {
            let done = try reader.doneFlags(teacher: t)
            usable = usable.filter { done[$0] }
        }
        rows = usable
        videoRows = Self.groupByVideo(usable.map { rowVideos[$0] })
        paths = try reader.videos().map { Manifest.resolve($0.path, dataRoot: dataRoot) }
        self.inputSize = a.inputSize
    }

    /// The standardisation of a teacher from its statistics in the cache; refuses a teacher without them, naming the
    /// command that adds them.
    private static func standardization(of spec: TeacherSpec, reader: FeatureStoreReader, url: URL) throws -> TargetStandardization {
        let stored: FeatureStatistics?
        do { stored = try reader.statistics(teacher: spec.name) } catch { throw DistillError.storeMismatch("--standardize-targets: \(error)") }
        guard let statistics = stored else {
            let remedy =
                reader.shard.isWhole
                ? "rerun the extract-features command that wrote it (extract-features --teacher \(spec.kind.rawValue) --name "
                    + "\(spec.name) --checkpoint …/\(spec.checkpointName) --out \(url.path), with its other flags as before): on a "
                    + "complete teacher it extracts nothing and adds the statistics"
                : "it is shard \(reader.shard) of an extraction: merge the shards with `mvd merge`, which adds them, and train from the merged cache"
            throw DistillError.storeMismatch(
                "--standardize-targets: teacher '\(spec.name)' in \(url.lastPathComponent) has no feature statistics "
                    + "(feature_mean, feature_std; the cache was written before they existed); \(remedy). Or drop --standardize-targets.")
        }
        return TargetStandardization(mean: statistics.mean, std: statistics.std)
    }

    /// Groups consecutive positions with the same owning video. A video's rows are contiguous in the cache
    /// (row r belongs to video `videoOffset + r / views_per_video`, checked when the file is opened).
    static func groupByVideo(_ owners: [Int]) -> [[Int]] {
        var groups: [[Int]] = []
        for (i, owner) in owners.enumerated() {
            if i > 0 && owners[i - 1] == owner { groups[groups.count - 1].append(i) } else { groups.append([i]) }
        }
        return groups
    }

    /// Refuses a student whose token grid differs from the one the cache's targets are laid out on. The grid, not the
    /// patch size, is what must agree: a teacher may see the clips at another size with another patch (MAE's ViT-H/14 at
    /// 196 px for a patch-16 student at 224), and the cache's `patch_size` is then the side one token covers in the
    /// stored clips.
    private static func checkGrid(_ a: CacheAttributes, url: URL, patchSize: Int, tubeletSize: Int) throws {
        let cache = (a.numFrames / max(a.tubeletSize, 1), a.inputSize / max(a.patchSize, 1))
        let student = (a.numFrames / max(tubeletSize, 1), a.inputSize / max(patchSize, 1))
        guard cache != student || a.tubeletSize != tubeletSize || a.inputSize % max(patchSize, 1) != 0 else { return }
        throw DistillError.storeMismatch(
            "the cache \(url.lastPathComponent) holds targets on a grid of \(cache.0)×\(cache.1)×\(cache.1) "
                + "tokens (patch \(a.patchSize), tubelet \(a.tubeletSize)) over its \(a.inputSize) px clips, but the "
                + "student's grid is \(student.0)×\(student.1)×\(student.1) tokens (patch \(patchSize), tubelet \(tubeletSize)); "
                + "pick a --student/--model-config with patch size \(a.patchSize) and tubelet size \(a.tubeletSize), "
                + "or extract a cache whose teacher grid is the student's (--teacher-input-size)")
    }

    public func load(rows batchRows: [Int]) throws -> TrainingBatch {
        var clips: [Float] = [], features = teachers.map { _ in [Float]() }
        var frameCount = 0
        for index in batchRows {
            let row = rows[index]
            let clip = try pixels(row: row)
            frameCount = clip.frameCount
            clips += clip.normalizedChannelsFirst()
            for (k, t) in teachers.enumerated() {
                var buffer = [Float](repeating: 0, count: t.rowElements)
                try reader.read(row: row, teacher: t.name, into: &buffer)
                if let standardization = standardizations[k] { buffer.withUnsafeMutableBufferPointer { standardization.apply(to: $0) } }
                features[k] += buffer
            }
        }
        let b = batchRows.count
        return TrainingBatch(
            clips: Tensor(shape: [b, 3, frameCount, inputSize, inputSize], clips),
            teacherFeatures: zip(teachers, features).map { Tensor(shape: [b, $0.tokenCount, $0.embedDim], $1) })
    }

    /// The row's uint8 clip [T, S, S, 3]: stored pixels, or the row's view decoded again.
    func pixels(row: Int) throws -> Clip {
        let view = try reader.view(row: row)
        let (t, s) = (view.frames.count, inputSize)
        if reader.hasPixels {
            var buffer = [UInt8](repeating: 0, count: t * s * s * 3)
            try reader.readPixels(row: row, into: &buffer)
            return Clip(frameCount: t, height: s, width: s, pixels: buffer)
        }
        return try decoded(row: row)
    }

    private func decoded(row: Int) throws -> Clip {
        let view = try reader.view(row: row)
        let s = inputSize
        let video = rowVideos[row] - reader.videoOffset
        let box = CropBox(x: view.crop.x, y: view.crop.y, width: view.crop.width, height: view.crop.height)
        do {
            let reader = try videoReader(video)
            let info = reader.info
            try Self.checkView(
                view, row: row, frameCount: info.frameCount, width: info.width, height: info.height,
                path: paths[video])
            return try reader.clip(for: ClipViews.cached(frames: view.frames, crop: box, inputSize: s))
        } catch let error as DistillError {
            throw error
        } catch {
            throw DistillError.storeMismatch(
                "cannot re-decode row \(row) from \(paths[video]): \(error). Point --data-root at the videos the cache was built from, or extract with --store-pixels."
            )
        }
    }

    /// Refuses a stored view that reaches past the video it names: a frame index past its last frame, or a crop
    /// box outside its frames. Only known here, once the video is open.
    static func checkView(_ view: RowView, row: Int, frameCount: Int, width: Int, height: Int, path: String) throws {
        if let frame = view.frames.first(where: { $0 < 0 || $0 >= frameCount }) {
            throw DistillError.storeMismatch(
                "cache row \(row) uses frame \(frame) of \(path), which has \(frameCount) frames (0..<\(frameCount)); the cache was built from another version of this video, or is damaged. Point --data-root at the videos the cache was built from, or extract the cache again."
            )
        }
        let c = view.crop
        guard c.x >= 0, c.y >= 0, c.width >= 1, c.height >= 1, c.x <= width - c.width, c.y <= height - c.height else {
            throw DistillError.storeMismatch(
                "cache row \(row) crops x \(c.x), y \(c.y), \(c.width)×\(c.height) from \(path), whose frames are \(width)×\(height); the box lies outside them. Point --data-root at the videos the cache was built from, or extract the cache again."
            )
        }
    }

    /// The row's clip decoded again from its frames and crop (ignoring stored pixels).
    public func redecodedClip(row index: Int) throws -> Clip { try decoded(row: rows[index]) }

    /// The row's stored `/pixels` clip; nil when the cache has none.
    public func storedClip(row index: Int) throws -> Clip? {
        guard reader.hasPixels else { return nil }
        return try pixels(row: rows[index])
    }

    /// A few open readers are kept (rows of one video are often close together after shuffling within epochs).
    private func videoReader(_ video: Int) throws -> VideoReader {
        if let r = openReaders[video] { return r }
        let r = try VideoReader(path: paths[video])
        openReaders[video] = r
        readerOrder.append(video)
        if readerOrder.count > 8 { openReaders[readerOrder.removeFirst()] = nil }
        return r
    }
}
