import CHDF5
import Foundation

/// The checks run when a cache is opened: every attribute in range, and every dataset's real shape and type equal
/// to what the attributes promise. Readers size their buffers from the attributes and HDF5 fills them from the
/// stored shape, so a disagreement that got past here would overrun memory or misalign rows.
extension CacheFile {
    func checkLayout() throws {
        var problems = CacheFile.attributeProblems(
            attributes, shard: shard, videoOffset: videoOffset,
            totalVideos: totalVideos, videoCount: videoCount)
        // Shapes are compared only once the attributes they are built from are sane.
        if problems.isEmpty { problems += datasetProblems() }
        guard problems.isEmpty else {
            throw FeatureStoreError(
                .notACache,
                "\(url.path) is inconsistent: \(problems.joined(separator: "; ")). "
                    + "Delete it and run extract-features again.")
        }
    }

    private static func attributeProblems(
        _ a: CacheAttributes, shard: Shard, videoOffset: Int, totalVideos: Int,
        videoCount: Int
    ) -> [String] {
        var problems: [String] = []
        for (name, value) in [
            ("num_frames", a.numFrames), ("sampling_rate", a.samplingRate),
            ("tubelet_size", a.tubeletSize), ("input_size", a.inputSize),
            ("patch_size", a.patchSize), ("views_per_video", a.viewsPerVideo)
        ] where value < 1 {
            problems.append("attribute \(name) is \(value), must be at least 1")
        }
        guard problems.isEmpty else { return problems }
        if a.numFrames % a.tubeletSize != 0 {
            problems.append("num_frames \(a.numFrames) is not a multiple of tubelet_size \(a.tubeletSize)")
        }
        if a.inputSize % a.patchSize != 0 {
            problems.append("input_size \(a.inputSize) is not a multiple of patch_size \(a.patchSize)")
        }
        if !shard.isWhole && (videoOffset < 0 || totalVideos < videoCount || videoOffset > totalVideos - videoCount) {
            problems.append(
                "shard \(shard) holds videos \(videoOffset)..<\(videoOffset) + \(videoCount) of "
                    + "\(totalVideos) (\(CacheNames.videoOffset), \(CacheNames.totalVideos))")
        }
        return problems
    }

    private func datasetProblems() -> [String] {
        let a = attributes
        var problems: [String] = []
        func expect(_ d: H5Dataset, _ dims: [Int], _ kinds: [StoredType.Kind], _ promise: String) {
            if d.dims != dims { problems.append("\(d.name) has shape \(d.dims) but \(promise) make it \(dims)") }
            if !kinds.contains(d.storedType.kind) {
                problems.append("\(d.name) stores \(d.storedType) values, expected \(kinds.map(\.rawValue).joined(separator: " or "))")
            }
        }
        let (rows, overflow) = videoCount.multipliedReportingOverflow(by: a.viewsPerVideo)
        if overflow || rowCount != rows {
            problems.append(
                "/clips has \(rowCount) rows but \(videoCount) videos × views_per_video \(a.viewsPerVideo) "
                    + "make \(overflow ? "more than fit an Int" : "\(rows)")")
        }
        let n = "/videos/path's \(videoCount) rows", m = "/clips/video's \(rowCount) rows"
        expect(videoPath, [videoCount], [.variableString], n)
        expect(videoLabel, [videoCount], [.integer], n)
        expect(videoStatus, [videoCount], [.integer], n)
        expect(videoError, [videoCount], [.variableString], n)
        expect(clipVideo, [rowCount], [.integer], "its own rank 1")
        expect(clipFrames, [rowCount, a.numFrames], [.integer], "\(m) and num_frames")
        expect(clipCrop, [rowCount, 4], [.integer], "\(m) and a 4-value box")
        if let pixels {
            expect(
                pixels, [rowCount, a.numFrames, a.inputSize, a.inputSize, 3], [.integer],
                "\(m), num_frames and input_size")
            if pixels.storedType.size != 1 { problems.append("/pixels stores \(pixels.storedType), expected 8-bit") }
        }
        for t in teachers { problems += teacherProblems(t) }
        let version = CacheNames.formatVersion(for: teachers.map(\.spec))
        if formatVersion != version {
            problems.append(
                "format_version is \(formatVersion) but the file holds "
                    + (version == CacheNames.int8FormatVersion
                        ? "an int8 teacher (version 2)"
                        : "no int8 teacher (version 1)"))
        }
        return problems
    }

    /// Bounds of one teacher row, far above any ViT (ViT-H on 16×224²: 1568 tokens of 1280) and far below what
    /// cannot be allocated.
    static let maxRowTokens = 1 << 16, maxRowValues = 1 << 26

    private func teacherProblems(_ t: TeacherDatasets) -> [String] {
        let s = t.spec, group = "/teachers/\(s.name)"
        var problems: [String] = []
        for (name, value) in s.intAttributes where value < 1 {
            problems.append("\(group) attribute \(name) is \(value), must be at least 1")
        }
        if !TeacherSpec.precisions.contains(s.precision) {
            problems.append("\(group) attribute precision is \"\(s.precision)\", expected one of \(TeacherSpec.precisions)")
        }
        if problems.isEmpty && s.inputSize % s.patchSize != 0 {
            problems.append("\(group) input_size \(s.inputSize) is not a multiple of its patch_size \(s.patchSize)")
        }
        // tokenCount is read from the shape itself; embed_dim and dtype are what readers size buffers from.
        // Readers size a row's buffer from L × D: a crafted shape must not ask them for terabytes.
        if s.tokenCount > Self.maxRowTokens || s.embedDim > Self.maxRowTokens || s.rowElements > Self.maxRowValues {
            problems.append(
                "\(group)/features rows hold \(s.tokenCount) tokens of \(s.embedDim) values; a row holds at "
                    + "most \(Self.maxRowTokens) tokens or values per token and \(Self.maxRowValues) values in all")
        }
        let promised = [rowCount, s.tokenCount, s.embedDim]
        if t.features.dims != promised || s.tokenCount < 1 {
            problems.append(
                "\(group)/features has shape \(t.features.dims) but /clips/video's \(rowCount) rows and "
                    + "embed_dim \(s.embedDim) make it [\(rowCount), L ≥ 1, \(s.embedDim)]")
        }
        let stored = t.features.storedType
        let expected =
            s.dtype == .int8
            ? StoredType(kind: .integer, size: 1, signed: true)
            : StoredType(kind: .float, size: s.dtype.byteCount)
        if stored != expected {
            let sign = stored.kind == .integer ? (stored.signed ? "signed " : "unsigned ") : ""
            problems.append("\(group)/features stores \(sign)\(stored) values but its dtype attribute says \(s.dtype.rawValue)")
        }
        if let scale = t.scale {
            let name = "\(group)/\(CacheNames.featureScale)"
            if scale.dims != [rowCount, s.tokenCount] || scale.storedType != StoredType(kind: .float, size: 4) {
                problems.append(
                    "\(name) has shape \(scale.dims) of \(scale.storedType) values, but an int8 teacher "
                        + "with \(rowCount) rows of \(s.tokenCount) tokens needs [\(rowCount), \(s.tokenCount)] "
                        + "32-bit floats")
            }
        }
        if t.done.dims != [rowCount] || t.done.storedType.kind != .integer {
            problems.append(
                "\(group)/done has shape \(t.done.dims) of \(t.done.storedType) values, expected "
                    + "[\(rowCount)] integers")
        }
        return problems
    }

    /// Refuses rows of /clips/video that do not name the video the row was made for: row r belongs to video
    /// `videoOffset + r / views_per_video` by construction, and readers index /videos with this value.
    func checkRowVideos(_ videos: [Int]) throws {
        let views = attributes.viewsPerVideo
        for (row, video) in videos.enumerated() where video != videoOffset + row / views {
            throw FeatureStoreError(
                .notACache,
                "\(url.path) row \(row): /clips/video is \(video) but the row belongs "
                    + "to video \(videoOffset + row / views) (videos \(videoOffset)..<"
                    + "\(videoOffset + videoCount) of this file, \(views) rows each); the file is "
                    + "damaged. Delete it and run extract-features again.")
        }
    }
}
