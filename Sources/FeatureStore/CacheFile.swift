import CHDF5
import Foundation

/// The datasets of one teacher group, `/teachers/<name>`.
final class TeacherDatasets {
    let spec: TeacherSpec
    /// [M, L, D], float16, float32 or int8, one chunk per row.
    let features: H5Dataset
    /// [M, L] float32, one chunk per row: the per-token scales of an int8 teacher; nil for float teachers.
    let scale: H5Dataset?
    /// [M] uint8, 1 once the row holds real features.
    let done: H5Dataset

    init(spec: TeacherSpec, features: H5Dataset, scale: H5Dataset?, done: H5Dataset) {
        self.spec = spec
        self.features = features
        self.scale = scale
        self.done = done
    }

    /// The HDF5 type of one stored value, used as both file and memory type (no HDF5 conversion).
    var storedType: hid_t { spec.dtype.fileType }

    /// Every dataset of the group.
    var datasets: [H5Dataset] { [features, done] + (scale.map { [$0] } ?? []) }
}

extension FeatureDType {
    /// The HDF5 type of `features` in the file (little-endian, so also the memory type on the machines we run on).
    var fileType: hid_t {
        switch self {
        case .float16: return H5Types.float16.id
        case .float32: return swh5_T_IEEE_F32LE()
        case .int8: return swh5_T_STD_I8LE()
        }
    }
}

/// An open feature cache file: its root attributes and every dataset of docs/cache-format.md.
///
/// Shared by `FeatureStoreWriter` and `FeatureStoreReader`; it checks the format on open but holds no
/// policy. Row and video indices here are local to the file (a shard file starts at 0).
final class CacheFile {
    let url: URL
    let file: H5Object
    /// `format_version`: 1, or 2 when the file holds an int8 teacher.
    let formatVersion: Int
    let attributes: CacheAttributes
    /// Which shard this file is; `.whole` for a single-process or merged cache.
    let shard: Shard
    /// Global index of this file's first video (0 unless a shard).
    let videoOffset: Int
    /// Videos in the whole manifest (equal to `videoCount` unless a shard).
    let totalVideos: Int
    let videoCount: Int
    let rowCount: Int
    let videoPath: H5Dataset, videoLabel: H5Dataset, videoStatus: H5Dataset, videoError: H5Dataset
    let clipVideo: H5Dataset, clipFrames: H5Dataset, clipCrop: H5Dataset
    let pixels: H5Dataset?
    /// Teacher groups, in name order.
    let teachers: [TeacherDatasets]

    /// Opens and validates a cache. Read-only unless `writable`.
    init(at url: URL, writable: Bool) throws {
        self.url = url
        file = try H5Object.openFile(at: url, writable: writable)
        let format = file.hasAttribute("format") ? try file.stringAttribute("format") : ""
        let version = file.hasAttribute("format_version") ? try file.intAttribute("format_version") : 0
        guard format == CacheNames.format, CacheNames.knownVersions.contains(version) else {
            throw FeatureStoreError(
                .notACache,
                "\(url.path) is not an MVD feature cache of format 1 or 2 (format "
                    + "\"\(format)\", version \(version)); pass a file written by extract-features.")
        }
        formatVersion = version
        attributes = try CacheFile.readAttributes(file)
        let videos = try file.openGroup("videos"), clips = try file.openGroup("clips")
        videoPath = try videos.openDataset("path")
        videoLabel = try videos.openDataset("label")
        videoStatus = try videos.openDataset("status")
        videoError = try videos.openDataset("error")
        clipVideo = try clips.openDataset("video")
        clipFrames = try clips.openDataset("frames")
        clipCrop = try clips.openDataset("crop")
        pixels = file.exists("pixels") ? try file.openDataset("pixels") : nil
        videoCount = videoPath.rows
        rowCount = clipVideo.rows
        if file.hasAttribute(CacheNames.shardCount) {
            shard = try Shard(
                index: try file.intAttribute(CacheNames.shardIndex),
                count: try file.intAttribute(CacheNames.shardCount))
            videoOffset = try file.intAttribute(CacheNames.videoOffset)
            totalVideos = try file.intAttribute(CacheNames.totalVideos)
        } else {
            (shard, videoOffset, totalVideos) = (.whole, 0, videoCount)
        }
        let group = try file.openGroup("teachers")
        teachers = try group.childNames().map { try CacheFile.openTeacher($0, in: group) }
        try checkLayout()
        try checkRowVideos(clipVideo.readAll(as: Int64.self).map(Int.init))
    }

    /// Closes every dataset and the file, so that the file is really closed when this returns.
    func close() {
        var datasets = [videoPath, videoLabel, videoStatus, videoError, clipVideo, clipFrames, clipCrop]
        datasets += teachers.flatMap(\.datasets) + (pixels.map { [$0] } ?? [])
        datasets.forEach { $0.handle.close() }
        file.handle.close()
    }

    func teacher(_ name: String) throws -> TeacherDatasets {
        guard let found = teachers.first(where: { $0.spec.name == name }) else {
            throw FeatureStoreError(
                .unknownTeacher,
                "\(url.lastPathComponent) holds no teacher \"\(name)\" "
                    + "(it holds: \(teachers.map(\.spec.name).joined(separator: ", "))); "
                    + "pick one of those or run extract-features for \(name).")
        }
        return found
    }

    private static func readAttributes(_ file: H5Object) throws -> CacheAttributes {
        CacheAttributes(
            manifestSHA256: try file.stringAttribute("manifest_sha256"),
            numFrames: try file.intAttribute("num_frames"), samplingRate: try file.intAttribute("sampling_rate"),
            tubeletSize: try file.intAttribute("tubelet_size"), inputSize: try file.intAttribute("input_size"),
            patchSize: try file.intAttribute("patch_size"), viewsPerVideo: try file.intAttribute("views_per_video"),
            seed: try file.intAttribute("seed"), createdBy: try file.stringAttribute("created_by"))
    }

    private static func openTeacher(_ name: String, in teachers: H5Object) throws -> TeacherDatasets {
        let g = try teachers.openGroup(name)
        let features = try g.openDataset("features")
        let done = try g.openDataset("done")
        let s = { (key: String) in try g.stringAttribute(key) }
        let i = { (key: String) in try g.intAttribute(key) }
        guard let kind = TeacherKind(rawValue: try s("kind")), let dtype = FeatureDType(rawValue: try s("dtype")),
            features.dims.count == 3
        else {
            throw FeatureStoreError(
                .notACache,
                "/teachers/\(name) has an unknown kind or dtype, or features of "
                    + "shape \(features.dims) instead of [M, L, D]; the file was not written by this "
                    + "format. Recreate it with extract-features.")
        }
        let spec = TeacherSpec(
            name: name, kind: kind, arch: try s("arch"), embedDim: try i("embed_dim"), depth: try i("depth"),
            numHeads: try i("num_heads"), patchSize: try i("patch_size"), inputSize: try i("input_size"),
            frameStride: try i("frame_stride"), checkpointSHA256: try s("checkpoint_sha256"),
            checkpointName: try s("checkpoint_name"), tokenCount: features.dims[1], dtype: dtype,
            output: try s("output"), precision: g.hasAttribute("precision") ? try s("precision") : "fp32")
        if dtype == .int8 && !g.exists(CacheNames.featureScale) {
            throw FeatureStoreError(
                .notACache,
                "dataset /teachers/\(name)/\(CacheNames.featureScale) is missing: teacher \(name) stores int8 codes "
                    + "(format 2), whose values are code × that per-token scale, so none of its rows can be read. The "
                    + "other teachers are intact; extract this teacher again into a new --out (or under another --name), "
                    + "or recreate the file with extract-features.")
        }
        let scale = dtype == .int8 ? try g.openDataset(CacheNames.featureScale) : nil
        return TeacherDatasets(spec: spec, features: features, scale: scale, done: done)
    }
}
