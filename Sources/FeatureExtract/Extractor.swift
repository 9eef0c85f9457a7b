import FeatureStore
import Foundation
import Models
import Tensor
import VideoIO

/// Live progress of an extraction.
public struct ExtractProgress: Sendable {
    public var rowsDone: Int, rowsTotal: Int, videosFailed: Int
    public var clipsPerSecond: Double, secondsRemaining: Double
}

/// What an extraction did, with its time split into decode, teacher forward and write.
public struct ExtractSummary: Sendable {
    public var rowsWritten = 0, rowsAlreadyDone = 0, videosFailed = 0
    public var failures: [(path: String, reason: String)] = []
    public var seconds = 0.0, decodeSeconds = 0.0, forwardSeconds = 0.0, writeSeconds = 0.0, waitSeconds = 0.0
    public var bytesWritten = 0
    public var skippedKeys: [String] = []
    /// Statistics stored at the end because the teacher became complete without them (`FeatureStatistics`).
    public var statisticsWritten: [String: FeatureStatistics] = [:]
    public var clipsPerSecond: Double { Double(rowsWritten) / max(seconds, 1e-9) }
}

/// Runs one frozen teacher over a manifest and writes its per-token targets into the feature cache.
/// Rerunning the same command resumes; a second teacher reuses the rows' stored views.
public final class Extractor {
    public let config: ExtractConfig
    let entries: [ManifestEntry]
    let writer: FeatureStoreWriter
    /// The teacher and its cache group; nil for a views-only run (`--teacher none`).
    let teacher: FrozenTeacher?
    let spec: TeacherSpec?
    public let skippedKeys: [String]

    /// `wait`: what to do when another process is writing `config.out` (see `WriterWait`).
    public init(config: ExtractConfig, wait: WriterWait = .refuse) throws {
        try config.validate()
        self.config = config
        let manifestURL = config.manifest
        do { entries = try Manifest.load(from: manifestURL, dataRoot: config.dataRoot?.path) } catch { throw ExtractError.invalidConfig("\(error)") }
        var checkpointURL: URL?
        if config.teacher == .none {
            (teacher, skippedKeys) = (nil, [])
        } else {
            guard let url = config.checkpoint else {
                throw ExtractError.invalidConfig("--teacher \(config.teacher.rawValue) needs --checkpoint FILE")
            }
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw ExtractError.teacherLoad("checkpoint \(url.path) does not exist")
            }
            checkpointURL = url
            (teacher, skippedKeys) = try FrozenTeacher.load(
                config.teacher, checkpoint: url, config: config.teacherModel,
                frameStride: config.frameStride)
        }
        let attributes = CacheAttributes(
            manifestSHA256: try SHA256.hexDigest(ofFileAt: manifestURL), numFrames: config.numFrames, samplingRate: config.samplingRate,
            tubeletSize: config.model.tubeletSize, inputSize: config.inputSize, patchSize: config.cachePatchSize,
            viewsPerVideo: config.viewsPerVideo, seed: Int(truncatingIfNeeded: config.seed), createdBy: "mvd extract-features 1.0")
        let m = config.teacherModel
        spec = try checkpointURL.map { url in
            TeacherSpec(
                name: config.name, kind: config.teacher == .image ? .image : .video, arch: config.architecture,
                embedDim: m.embedDim, depth: m.depth, numHeads: m.numHeads, patchSize: m.patchSize, inputSize: m.inputSize,
                frameStride: config.frameStride, checkpointSHA256: try SHA256.hexDigest(ofFileAt: url),
                checkpointName: url.lastPathComponent, tokenCount: config.tokensPerRow, dtype: config.dtype,
                precision: config.precision.rawValue)
        }
        let request = FeatureStoreWriter.Request(
            attributes: attributes, videos: entries.map { VideoEntry(path: $0.path, label: $0.label) }, teachers: spec.map { [$0] } ?? [],
            storePixels: config.storePixels, shard: try Shard(index: config.shardIndex, count: config.shardCount))
        writer = try FeatureStoreWriter(at: config.out, request: request, commitEvery: config.commitEvery, wait: wait)
    }

    /// The view of `row` of `video`: seeded by (seed, row) for random views, deterministic for centre views.
    func plannedView(row: Int, info: VideoInfo) -> VideoIO.ClipView {
        switch config.view {
        case .center:
            return ClipViews.centeredSquare(
                frameCount: info.frameCount, width: info.width, height: info.height,
                numFrames: config.numFrames, samplingRate: config.samplingRate, inputSize: config.inputSize)
        case .random:
            var rng = SplitMix64(seed: config.seed).fork(UInt64(row))
            return ClipViews.pretraining(
                frameCount: info.frameCount, width: info.width, height: info.height,
                numFrames: config.numFrames, samplingRate: config.samplingRate,
                crop: MultiScaleCrop(inputSize: config.inputSize), using: &rng)
        }
    }

    /// The teacher's input when it differs from the student's (`--teacher-input-size`): the row's crop resized to the
    /// teacher's size with the same antialiased bilinear filter, as the original resizes one crop twice (docs/method.md
    /// §6.4), not the student's clip resized again. Nil when the sizes agree.
    func teacherClip(_ frames: Clip, view: VideoIO.ClipView) -> Clip? {
        guard config.teacherSize != config.inputSize, case let .cropThenResize(box, _, _) = view.spatial else { return nil }
        return frames.applying(ClipViews.cached(frames: view.frames, crop: box, inputSize: config.teacherSize))
    }

    /// Decodes every row of `video` that this teacher still lacks (background thread).
    func decode(_ video: Int) -> DecodedVideo {
        let start = Date()
        let rows = writer.rows(ofVideo: video).filter { row in spec.map { !writer.isDone(row: row, teacher: $0.name) } ?? true }
        guard !rows.isEmpty else { return DecodedVideo(video: video, rows: [], failure: nil, decodeSeconds: 0) }
        do {
            let reader = try VideoReader(path: entries[video].resolvedPath, options: DecodeOptions(threads: config.decodeThreads))
            var out: [(Int, Clip, VideoIO.ClipView, Bool, Clip)] = []
            for row in rows {
                let view: VideoIO.ClipView
                let stored = try writer.storedView(row: row)
                if let stored {
                    let c = stored.crop
                    view = ClipViews.cached(
                        frames: stored.frames, crop: CropBox(x: c.x, y: c.y, width: c.width, height: c.height),
                        inputSize: config.inputSize)
                } else {
                    view = plannedView(row: row, info: reader.info)
                }
                let frames = try reader.frames(at: view.frames)
                let clip = frames.applying(view)
                out.append((row, clip, view, stored != nil, teacherClip(frames, view: view) ?? clip))
            }
            return DecodedVideo(video: video, rows: out, failure: nil, decodeSeconds: Date().timeIntervalSince(start))
        } catch {
            return DecodedVideo(video: video, rows: [], failure: "\(error)", decodeSeconds: Date().timeIntervalSince(start))
        }
    }
}
