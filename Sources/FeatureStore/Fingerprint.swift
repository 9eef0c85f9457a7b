import Foundation

/// Checks that an existing cache was made for the same request before anything is written into it.
///
/// Compared: every root fingerprint attribute (manifest hash and clip geometry; not `created_by`), the
/// number of videos, the shard, whether pixels are stored, and, for every requested teacher that the file
/// already holds, all of its attributes, its token count and its dtype. Teachers the file does not hold yet
/// are not a mismatch: they are added.
enum Fingerprint {
    static func check(_ cache: CacheFile, against request: FeatureStoreWriter.Request) throws {
        if let teacher = request.teachers.first, cache.attributes.patchSize != request.attributes.patchSize,
            cache.attributes.inputSize == request.attributes.inputSize
        {
            throw gridMismatch(cache, teacher: teacher, requestPatch: request.attributes.patchSize)
        }
        try check(cache, attributes: request.attributes)
        if cache.totalVideos != request.videos.count {
            throw mismatch(
                cache, field: "number of videos", file: "\(cache.totalVideos)",
                request: "\(request.videos.count)")
        }
        if cache.shard != request.shard {
            throw mismatch(cache, field: "shard", file: cache.shard.description, request: request.shard.description)
        }
        if (cache.pixels != nil) != request.storePixels {
            throw mismatch(
                cache, field: "/pixels (--store-pixels)", file: cache.pixels != nil ? "stored" : "absent",
                request: request.storePixels ? "stored" : "absent")
        }
        for spec in request.teachers {
            if let existing = cache.teachers.first(where: { $0.spec.name == spec.name }) {
                try check(teacher: spec, against: existing.spec, in: cache)
            }
        }
    }

    /// Compares the root fingerprint attributes (all but `created_by`).
    static func check(_ cache: CacheFile, attributes wanted: CacheAttributes) throws {
        let found = cache.attributes
        for ((name, mine), (_, theirs)) in zip(wanted.stringFingerprints, found.stringFingerprints) where mine != theirs {
            throw mismatch(cache, field: name, file: theirs, request: mine)
        }
        for ((name, mine), (_, theirs)) in zip(wanted.intFingerprints, found.intFingerprints) where mine != theirs {
            throw mismatch(cache, field: name, file: "\(theirs)", request: "\(mine)")
        }
    }

    static func check(teacher wanted: TeacherSpec, against found: TeacherSpec, in cache: CacheFile) throws {
        let prefix = "teachers/\(wanted.name)."
        for ((name, mine), (_, theirs)) in zip(wanted.stringAttributes, found.stringAttributes) where mine != theirs {
            throw mismatch(cache, field: prefix + name, file: theirs, request: mine)
        }
        for ((name, mine), (_, theirs)) in zip(wanted.intAttributes, found.intAttributes) where mine != theirs {
            throw mismatch(cache, field: prefix + name, file: "\(theirs)", request: "\(mine)")
        }
        if wanted.tokenCount != found.tokenCount {
            throw mismatch(
                cache, field: prefix + "tokens (L)", file: "\(found.tokenCount)",
                request: "\(wanted.tokenCount)")
        }
    }

    /// The extract-features flag that sets each root attribute, for messages that say what to change.
    static let rootFlags: [String: String] = [
        "manifest_sha256": "--manifest (the same file, byte for byte)", "num_frames": "--num-frames",
        "sampling_rate": "--sampling-rate", "tubelet_size": "--arch or --model-config", "input_size": "--input-size",
        "patch_size": "--arch, --model-config or --teacher-input-size", "views_per_video": "--views-per-video",
        "seed": "--seed"
    ]

    /// The extract-features flag that sets each teacher attribute.
    static let teacherFlags: [String: String] = [
        "kind": "--teacher", "arch": "--arch", "checkpoint_sha256": "--checkpoint", "checkpoint_name": "--checkpoint",
        "dtype": "--dtype", "precision": "--precision", "embed_dim": "--arch or --model-config",
        "depth": "--arch or --model-config", "num_heads": "--arch or --model-config",
        "patch_size": "--arch or --model-config", "input_size": "--teacher-input-size", "frame_stride": "--teacher"
    ]

    /// The root `patch_size` is derived (clip size over the token grid), never given: a teacher that does not fit
    /// the cache's grid is told the grid and the `--teacher-input-size` that gives it, not two patch sizes.
    static func gridMismatch(_ cache: CacheFile, teacher: TeacherSpec, requestPatch: Int) -> FeatureStoreError {
        let size = cache.attributes.inputSize, grid = size / max(cache.attributes.patchSize, 1)
        let mine = teacher.inputSize / max(teacher.patchSize, 1), fit = teacher.patchSize * grid
        return FeatureStoreError(
            .fingerprintMismatch,
            "\(cache.url.path) holds a \(grid)×\(grid) token grid per frame (\(cache.attributes.patchSize) px of its \(size) px "
                + "clips per token), but teacher \(teacher.name) (patch \(teacher.patchSize)) seeing the clips at "
                + "\(teacher.inputSize) px gives \(mine)×\(mine); every teacher of a cache has the same grid, so that its "
                + "target n lies over student token n. Give --teacher-input-size \(fit) (the teacher then sees each crop at "
                + "\(fit) px, a \(grid)×\(grid) grid), or extract this teacher into another --out.")
    }

    static func mismatch(_ cache: CacheFile, field: String, file: String, request: String) -> FeatureStoreError {
        FeatureStoreError(
            .fingerprintMismatch,
            "\(cache.url.path) was made for a different request: \(field) is \"\(file)\" in the "
                + "file but \"\(request)\" in this request. Use another --out for the new request, or "
                + "delete the file to start over.")
    }
}
