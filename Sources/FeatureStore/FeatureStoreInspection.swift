import Foundation

/// Progress of one teacher in a cache.
public struct TeacherProgress: Sendable {
    public let spec: TeacherSpec
    /// Rows whose `done` flag is set.
    public let rowsDone: Int
    /// Rows that must be done for the teacher to be complete: all rows of videos that did not fail.
    public let rowsExpected: Int
    /// No pending video and every row of every decoded video done.
    public let isComplete: Bool
}

/// A readable account of a cache: the future `mvd inspect FILE.h5`.
public struct CacheSummary: Sendable, CustomStringConvertible {
    public let path: String
    /// `format_version`: 1, or 2 when the file holds an int8 teacher.
    public let formatVersion: Int
    public let attributes: CacheAttributes
    public let shard: Shard
    public let videoCount: Int
    public let rowCount: Int
    public let videosOK: Int
    public let videosFailed: Int
    public let videosPending: Int
    /// The first few failures: (video path, reason).
    public let failures: [(path: String, reason: String)]
    public let teachers: [TeacherProgress]
    public let hasPixels: Bool
    /// Bytes the file occupies on disk (allocated blocks) and its apparent size.
    public let bytesOnDisk: Int
    public let apparentBytes: Int
    /// Rows (of this file) of each int8 teacher whose `features_scale` holds a value a reader refuses (not finite,
    /// negative, or so large that codes overflow); only teachers with such rows appear.
    public let damagedScales: [String: [Int]]
    /// The videos of this file, to name the damaged rows' videos.
    let videoPaths: [String]

    /// Every video decoded or failed, every teacher complete, and no damaged row.
    public var isComplete: Bool { videosPending == 0 && teachers.allSatisfy(\.isComplete) && damagedScales.isEmpty }

    public var description: String {
        let mb = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1e6) }
        var lines = [
            "\(path): MVD feature cache, format \(formatVersion)" + (shard.isWhole ? "" : ", shard \(shard)"),
            "  created by \(attributes.createdBy); manifest sha256 \(attributes.manifestSHA256)",
            "  clips: \(attributes.numFrames) frames every \(attributes.samplingRate), \(attributes.inputSize)px, "
                + "patch \(attributes.patchSize), tubelet \(attributes.tubeletSize), \(attributes.viewsPerVideo) "
                + "view(s)/video, seed \(attributes.seed)" + (hasPixels ? ", pixels stored" : ""),
            "  videos: \(videoCount) (ok \(videosOK), failed \(videosFailed), pending \(videosPending)); rows \(rowCount)"
        ]
        lines += failures.map { "    failed: \($0.path): \($0.reason)" }
        for t in teachers {
            let s = t.spec
            let storage =
                s.dtype == .int8
                ? "int8 with per-token scales in \(CacheNames.featureScale) [\(rowCount), "
                    + "\(s.tokenCount)] float32" : s.dtype.rawValue
            lines.append(
                "  teacher \(s.name): \(s.kind.rawValue) \(s.arch), L \(s.tokenCount) x D \(s.embedDim), "
                    + "\(storage), computed in \(s.precision), checkpoint \(s.checkpointName) sha256 \(s.checkpointSHA256); "
                    + "rows done \(t.rowsDone)/\(t.rowsExpected)\(t.isComplete ? " (complete)" : "")")
            if let rows = damagedScales[s.name] {
                let views = attributes.viewsPerVideo
                let named = rows.prefix(5).map { "row \($0) (\(videoPaths.indices.contains($0 / views) ? videoPaths[$0 / views] : "?"))" }
                lines.append(
                    "    DAMAGED: \(rows.count) done row(s) hold unusable scales in \(CacheNames.featureScale) (not finite, "
                        + "negative or too large): \(named.joined(separator: ", "))\(rows.count > 5 ? ", …" : ""); training "
                        + "stops at the first. The other rows are intact: `mvd inspect --reset-damaged \(path)` makes these "
                        + "rows pending again, and rerunning teacher \(s.name)'s extract-features command extracts only them")
            }
        }
        lines.append("  size on disk \(mb(bytesOnDisk)) (apparent \(mb(apparentBytes)))")
        lines.append(
            "  status: "
                + (isComplete
                    ? "complete"
                    : damagedScales.isEmpty
                        ? "INCOMPLETE: rerun the same extract-features command to resume"
                        : "DAMAGED: reset the rows above, then rerun the extract-features command of their teacher"))
        return lines.joined(separator: "\n")
    }
}

/// What training checks before it uses a cache.
public struct CacheVerification: Sendable {
    /// Per teacher: token grid and completeness.
    public let teachers: [TeacherProgress]
    public let videosPending: Int

    /// Names of the complete teachers.
    public var completeTeachers: [String] { teachers.filter(\.isComplete).map(\.spec.name) }

    /// Throws unless `teacher` is complete and its rows are `[tokens, width]`.
    public func requireTeacher(_ name: String, tokens: Int, width: Int) throws {
        guard let t = teachers.first(where: { $0.spec.name == name }) else {
            throw FeatureStoreError(
                .unknownTeacher,
                "the cache has no teacher \"\(name)\" (it has "
                    + "\(teachers.map(\.spec.name))); run extract-features for it.")
        }
        guard t.spec.tokenCount == tokens, t.spec.embedDim == width else {
            throw FeatureStoreError(
                .fingerprintMismatch,
                "teacher \(name) stores [L \(t.spec.tokenCount), D "
                    + "\(t.spec.embedDim)] per row but the student expects [\(tokens), \(width)]; "
                    + "match the student's frames, patch size and decoder width to the cache.")
        }
        guard t.isComplete else {
            throw FeatureStoreError(
                .invalidArgument,
                "teacher \(name) has \(t.rowsDone) of \(t.rowsExpected) rows "
                    + "done (\(videosPending) videos pending); rerun extract-features to finish it.")
        }
    }
}

/// Summaries and checks of a cache file.
public enum FeatureStoreInspection {
    /// A readable summary of the cache at `url`, with up to `maxFailures` failure reasons.
    public static func summary(of url: URL, maxFailures: Int = 5) throws -> CacheSummary {
        let reader = try FeatureStoreReader(at: url)
        let statuses = try reader.videoStatuses()
        let videos = try reader.videos(), errors = try reader.videoErrors()
        let failed = statuses.indices.filter { statuses[$0] == .failed }
        var info = stat()
        let allocated = stat(url.path, &info) == 0 ? Int(info.st_blocks) * 512 : 0
        return CacheSummary(
            path: url.path, formatVersion: reader.formatVersion, attributes: reader.attributes, shard: reader.shard, videoCount: reader.videoCount,
            rowCount: reader.rowCount, videosOK: statuses.filter { $0 == .ok }.count, videosFailed: failed.count,
            videosPending: statuses.filter { $0 == .pending }.count,
            failures: failed.prefix(maxFailures).map { (videos[$0].path, errors[$0]) },
            teachers: try progress(reader, statuses), hasPixels: reader.hasPixels,
            bytesOnDisk: allocated, apparentBytes: Int(info.st_size),
            damagedScales: try reader.cache.teachers.reduce(into: [:]) { found, t in
                let rows = try ScaleCheck.damagedRows(t)
                if !rows.isEmpty { found[t.spec.name] = rows }
            }, videoPaths: videos.map(\.path))
    }

    /// Completeness and token grid of every teacher, for `distill` to check before training.
    public static func verify(_ url: URL) throws -> CacheVerification {
        let reader = try FeatureStoreReader(at: url)
        let statuses = try reader.videoStatuses()
        return CacheVerification(
            teachers: try progress(reader, statuses),
            videosPending: statuses.filter { $0 == .pending }.count)
    }

    private static func progress(_ reader: FeatureStoreReader, _ statuses: [VideoStatus]) throws -> [TeacherProgress] {
        let views = reader.attributes.viewsPerVideo
        let pending = statuses.contains(.pending)
        let usable = statuses.filter { $0 != .failed }.count * views
        return try reader.teachers.map { spec in
            let flags = try reader.doneFlags(teacher: spec.name)
            let done = flags.filter { $0 }.count
            // Count only rows of videos that did not fail, so a stray flag cannot fake completeness.
            let usableDone = flags.indices.filter { flags[$0] && statuses[$0 / views] != .failed }.count
            return TeacherProgress(
                spec: spec, rowsDone: done, rowsExpected: usable,
                isComplete: !pending && usableDone == usable)
        }
    }
}
