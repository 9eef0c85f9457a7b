import CHDF5
import Foundation

/// Everything needed to lay out a new cache file.
struct CacheBlueprint {
    var attributes: CacheAttributes
    /// The videos this file holds (a shard's slice of the manifest, or all of it).
    var videos: [VideoEntry]
    var shard: Shard
    var videoOffset: Int
    var totalVideos: Int
    var teachers: [TeacherSpec]
    var storePixels: Bool

    var rowCount: Int { videos.count * attributes.viewsPerVideo }
}

extension CacheFile {
    /// Creates the complete file layout of docs/cache-format.md at `url` atomically.
    ///
    /// The file is built under a temporary name in the same folder, closed, synced to disk and renamed
    /// into place, so a kill at any moment leaves either no cache or a complete, empty one (every row
    /// pending). All storage is allocated now; later writes change raw bytes only.
    static func create(at url: URL, _ blueprint: CacheBlueprint) throws {
        try AtomicFile.replace(url, keepingOriginal: false) { try build(at: $0, blueprint) }
    }

    /// Writes the layout into a new file at `url` (not atomic by itself; callers build under a temporary name).
    static func build(at url: URL, _ blueprint: CacheBlueprint) throws {
        let file = try H5Object.createFile(at: url)
        try writeRootAttributes(file, blueprint)
        try writeVideosAndClips(file, blueprint)
        let teachers = try file.createGroup("teachers")
        for spec in blueprint.teachers { try addTeacher(spec, to: teachers, rows: blueprint.rowCount) }
        try file.flush()
    }

    /// Adds teacher groups to an existing cache atomically: the file is copied, the groups are added to the
    /// copy, and the copy replaces the original. Costs one copy of the file; the committed rows of the
    /// teachers already present can never be damaged by a crash in the middle.
    static func addTeachers(_ specs: [TeacherSpec], to url: URL) throws {
        guard !specs.isEmpty else { return }
        try AtomicFile.replace(url, keepingOriginal: true) { temporary in
            let cache = try CacheFile(at: temporary, writable: true)
            let teachers = try cache.file.openGroup("teachers")
            for spec in specs { try addTeacher(spec, to: teachers, rows: cache.rowCount) }
            let version = CacheNames.formatVersion(for: cache.teachers.map(\.spec) + specs)
            if version != cache.formatVersion {
                try cache.file.removeAttribute("format_version")
                try cache.file.setAttribute("format_version", version)
            }
            try cache.file.flush()
            cache.close()
        }
    }

    private static func writeRootAttributes(_ file: H5Object, _ b: CacheBlueprint) throws {
        try file.setAttribute("format", CacheNames.format)
        try file.setAttribute("format_version", CacheNames.formatVersion(for: b.teachers))
        for (name, value) in b.attributes.stringFingerprints { try file.setAttribute(name, value) }
        for (name, value) in b.attributes.intFingerprints { try file.setAttribute(name, value) }
        try file.setAttribute("created_by", b.attributes.createdBy)
        if !b.shard.isWhole {
            try file.setAttribute(CacheNames.shardIndex, b.shard.index)
            try file.setAttribute(CacheNames.shardCount, b.shard.count)
            try file.setAttribute(CacheNames.videoOffset, b.videoOffset)
            try file.setAttribute(CacheNames.totalVideos, b.totalVideos)
        }
    }

    private static func writeVideosAndClips(_ file: H5Object, _ b: CacheBlueprint) throws {
        let n = b.videos.count, m = b.rowCount, t = b.attributes.numFrames, s = b.attributes.inputSize
        let videos = try file.createGroup("videos")
        let path = try videos.createDataset("path", type: H5Types.utf8String.id, dims: [n])
        try path.writeStrings(b.videos.map(\.path), at: 0)
        let label = try videos.createDataset("label", type: swh5_T_STD_I64LE(), dims: [n])
        try label.write(rows: 0..<n, b.videos.map { Int64($0.label) })
        _ = try videos.createDataset("status", type: swh5_T_STD_U8LE(), dims: [n])
        let error = try videos.createDataset("error", type: H5Types.utf8String.id, dims: [n])
        try error.writeStrings([String](repeating: "", count: n), at: 0)

        let clips = try file.createGroup("clips")
        let video = try clips.createDataset("video", type: swh5_T_STD_I64LE(), dims: [m])
        let owners = (0..<m).map { Int64(b.videoOffset + $0 / b.attributes.viewsPerVideo) }
        try video.write(rows: 0..<m, owners)
        _ = try clips.createDataset("frames", type: swh5_T_STD_I32LE(), dims: [m, t])
        _ = try clips.createDataset("crop", type: swh5_T_STD_I32LE(), dims: [m, 4])
        if b.storePixels {
            _ = try file.createDataset(
                "pixels", type: swh5_T_STD_U8LE(), dims: [m, t, s, s, 3],
                chunk: [1, t, s, s, 3], fillNever: true)
        }
    }

    private static func addTeacher(_ spec: TeacherSpec, to teachers: H5Object, rows: Int) throws {
        guard !teachers.exists(spec.name) else { return }
        let group = try teachers.createGroup(spec.name)
        for (name, value) in spec.stringAttributes { try group.setAttribute(name, value) }
        for (name, value) in spec.intAttributes { try group.setAttribute(name, value) }
        _ = try group.createDataset(
            "features", type: spec.dtype.fileType, dims: [rows, spec.tokenCount, spec.embedDim],
            chunk: [1, spec.tokenCount, spec.embedDim], fillNever: true)
        if spec.dtype == .int8 {
            // Written with its row's codes and vouched for by the same done flag, so it is stored like them.
            _ = try group.createDataset(
                CacheNames.featureScale, type: swh5_T_IEEE_F32LE(),
                dims: [rows, spec.tokenCount], chunk: [1, spec.tokenCount], fillNever: true)
        }
        _ = try group.createDataset("done", type: swh5_T_STD_U8LE(), dims: [rows])
    }
}
