import CHDF5
import Foundation
import TestSupport
import Testing

@testable import FeatureStore

/// int8 teachers: per-token symmetric codes, their scales beside them, format version 2.
@Suite("int8 storage")
struct Int8StorageTests {
    static let teacher = TestCache.teacher("video", dtype: .int8)

    /// Row `row`'s values: TestCache's, with token 1 all zeros and token 2 a thousand times larger, so that
    /// tokens of very different ranges share a row.
    static func features(_ row: Int) -> [Float] {
        var values = TestCache.features(row, teacher)
        let d = teacher.embedDim
        for c in 0..<d { values[d + c] = 0 }
        for c in 0..<d { values[2 * d + c] *= 1000 }
        return values
    }

    /// A finished int8 cache of TestCache's videos (video 2 failed), optionally one shard of it.
    static func cache(_ tag: String, shard: Shard = .whole, teachers: [TeacherSpec] = [teacher]) throws -> URL {
        let url = try TestCache.temporaryFile(tag)
        var request = TestCache.request(teachers)
        request.shard = shard
        let writer = try FeatureStoreWriter(at: url, request: request)
        for video in writer.remainingVideos() {
            if video == 2 {
                try writer.failVideo(video, reason: "no such file")
                continue
            }
            for row in writer.rows(ofVideo: video) {
                try writer.writeView(row: row, TestCache.view(row))
                for t in teachers {
                    try writer.writeFeatures(row: row, teacher: t.name, t.dtype == .int8 ? features(row) : TestCache.features(row, t))
                }
            }
            try writer.finishVideo(video)
        }
        try writer.close()
        return url
    }

    /// The stored codes and scales of `row`, read as plain datasets (what h5py gives).
    static func stored(_ url: URL, row: Int, teacher: String = "video") throws -> (codes: [Int8], scales: [Float]) {
        let cache = try CacheFile(at: url, writable: false)
        defer { cache.close() }
        let t = try cache.teacher(teacher)
        let scale = try #require(t.scale)
        return (
            try t.features.read(rows: row..<row + 1, as: Int8.self),
            try scale.read(rows: row..<row + 1, as: Float.self)
        )
    }

    @Test("quantisation: scale = max|x| / 127, |x - q s| <= s / 2 exactly, zero and tiny tokens are zeros, NaN refused")
    func quantizeBound() {
        let width = 5
        var random = TestRandom(seed: 7)
        var values = random.array(6 * width, scale: 3)
        for c in 0..<width { values[width + c] = 0 }  // token 1: all zeros
        for c in 0..<width { values[2 * width + c] = 1e-37 * Float(c) }  // token 2: below the smallest scale
        values[3 * width + 1] = 1e30  // token 3: one huge value
        values[4 * width + 2] = -4.5  // token 4: the largest value is negative
        var codes = [Int8](repeating: 99, count: values.count), scales = [Float](repeating: 99, count: 6)
        let bad = values.withUnsafeBufferPointer { v in
            codes.withUnsafeMutableBufferPointer { c in
                scales.withUnsafeMutableBufferPointer { Int8Quantization.quantize(v, width: width, codes: c, scales: $0) }
            }
        }
        #expect(bad == nil)
        for token in 0..<6 {
            let slice = values[token * width..<(token + 1) * width]
            let largest = slice.map(abs).max()!
            let s = scales[token]
            #expect(s == (largest < Int8Quantization.smallestQuantizedMagnitude ? 0 : largest / 127), "token \(token)")
            for i in slice.indices {
                let q = codes[i]
                #expect(q >= -127, "token \(token) value \(i)")
                // A token stored as zeros is off by its own values, all below the smallest scaled magnitude.
                let bound = s == 0 ? Double(Int8Quantization.smallestQuantizedMagnitude) : Double(s) / 2
                #expect(abs(Double(values[i]) - Double(q) * Double(s)) <= bound, "token \(token) value \(i)")
            }
        }
        #expect(scales[1] == 0 && codes[width..<2 * width].allSatisfy { $0 == 0 })
        #expect(scales[2] == 0 && codes[2 * width..<3 * width].allSatisfy { $0 == 0 })
        #expect(codes[3 * width + 1] == 127 && codes[4 * width + 2] == -127)

        values[3 * width + 4] = .nan
        let nan = values.withUnsafeBufferPointer { v in
            codes.withUnsafeMutableBufferPointer { c in
                scales.withUnsafeMutableBufferPointer { Int8Quantization.quantize(v, width: width, codes: c, scales: $0) }
            }
        }
        #expect(nan == 3 * width + 4)
    }

    @Test("round trip: the reader returns Float(code) * scale of the token, within scale / 2 of what was written")
    func roundTrip() throws {
        let url = try Self.cache("int8-round-trip")
        let reader = try FeatureStoreReader(at: url)
        #expect(reader.formatVersion == 2 && reader.teachers == [Self.teacher])
        let (l, d) = (Self.teacher.tokenCount, Self.teacher.embedDim)
        var got = [Float](repeating: .nan, count: l * d)
        for row in 0..<reader.rowCount where row / 2 != 2 {
            try reader.read(row: row, teacher: "video", into: &got)
            let (codes, scales) = try Self.stored(url, row: row)
            let written = Self.features(row)
            for i in 0..<l * d {
                let s = scales[i / d]
                #expect(got[i].bitPattern == (Float(codes[i]) * s).bitPattern, "row \(row) value \(i)")
                #expect(abs(Double(written[i]) - Double(codes[i]) * Double(s)) <= Double(s) / 2, "row \(row) value \(i)")
            }
            #expect(scales[1] == 0 && got[d..<2 * d].allSatisfy { $0 == 0 && $0.sign == .plus }, "row \(row)")
            #expect(scales[2] > 100 * scales[0], "row \(row): tokens keep their own range")
            var halves = [Float16](repeating: 0, count: l * d)
            try reader.readFloat16(row: row, teacher: "video", into: &halves)
            #expect(halves == got.map { Float16($0) }, "row \(row) as float16")
        }
    }

    @Test("a non-finite value is refused with the row, token and channel, and nothing is committed")
    func nonFiniteRefused() throws {
        let url = try TestCache.temporaryFile("int8-nan")
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request([Self.teacher]))
        try writer.writeView(row: 0, TestCache.view(0))
        var values = Self.features(0)
        values[3 * Self.teacher.embedDim + 4] = .infinity
        let error = #expect(throws: FeatureStoreError.self) { try writer.writeFeatures(row: 0, teacher: "video", values) }
        #expect(error?.code == .invalidArgument)
        #expect(
            error?.message.contains("row 0 of video: value inf at token 3, channel 4 is not finite") == true,
            "\(error?.message ?? "")")
        try writer.close()
        #expect(try FeatureStoreReader(at: url).doneFlags(teacher: "video").allSatisfy { !$0 })
    }

    @Test("float caches keep format 1 and their datasets; an int8 teacher added to one makes it format 2")
    func versions() throws {
        let half = TestCache.teacher("image")
        let url = try CacheSurgery.finished("int8-versions", teachers: [half])
        #expect(try FeatureStoreReader(at: url).formatVersion == 1)
        let children = try { try H5Object.openFile(at: url, writable: false).openGroup("teachers").openGroup("image").childNames() }()
        #expect(children == ["done", "features"])

        let before = try FeatureStoreReader(at: url)
        var original = [Float](repeating: 0, count: half.rowElements)
        try before.read(row: 1, teacher: "image", into: &original)
        before.close()
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request([Self.teacher]))
        try writer.close()
        let after = try FeatureStoreReader(at: url)
        #expect(after.formatVersion == 2 && after.teachers.map(\.dtype) == [.float16, .int8])
        var again = original
        try after.read(row: 1, teacher: "image", into: &again)
        #expect(again == original)
    }

    @Test("crafted int8 teachers are refused on open: scales of the wrong shape, type or missing; unsigned codes; wrong version")
    func craftedRefused() throws {
        let cases: [(String, (URL) throws -> Void, String)] = [
            (
                "scale-shape",
                {
                    try CacheSurgery.replaceDataset(
                        $0, "/teachers/video", "features_scale",
                        type: swh5_T_IEEE_F32LE(), dims: [10, 9])
                },
                "/teachers/video/features_scale has shape [10, 9] of 32-bit float values, but an int8 teacher with 10 "
                    + "rows of 8 tokens needs [10, 8] 32-bit floats"
            ),
            (
                "scale-rank",
                {
                    try CacheSurgery.replaceDataset(
                        $0, "/teachers/video", "features_scale",
                        type: swh5_T_IEEE_F32LE(), dims: [10])
                },
                "features_scale has shape [10] of 32-bit float values"
            ),
            (
                "scale-type",
                {
                    try CacheSurgery.replaceDataset(
                        $0, "/teachers/video", "features_scale",
                        type: swh5_T_STD_I32LE(), dims: [10, 8])
                },
                "features_scale has shape [10, 8] of 32-bit integer values"
            ),
            (
                "scale-missing", { url in try CacheSurgery.edit(url, "/teachers/video") { try $0.removeChild("features_scale") } },
                "dataset /teachers/video/features_scale is missing"
            ),
            (
                "unsigned",
                {
                    try CacheSurgery.replaceDataset(
                        $0, "/teachers/video", "features",
                        type: swh5_T_STD_U8LE(), dims: [10, 8, 6])
                },
                "/teachers/video/features stores unsigned 8-bit integer values but its dtype attribute says int8"
            ),
            (
                "version-1", { try CacheSurgery.setInt($0, "/", "format_version", 1) },
                "format_version is 1 but the file holds an int8 teacher (version 2)"
            ),
            (
                "version-3", { try CacheSurgery.setInt($0, "/", "format_version", 3) },
                "is not an MVD feature cache of format 1 or 2 (format \"mvd-feature-cache\", version 3)"
            )
        ]
        for (tag, damage, expected) in cases {
            let url = try Self.cache("int8-crafted-\(tag)")
            try damage(url)
            let error = try #require(CacheOpenTests.refusal(url), "\(tag)")
            #expect(error.code == .notACache && error.message.contains(expected), "\(tag): \(error.message)")
        }
        let float = try CacheSurgery.finished("int8-crafted-float-v2")
        try CacheSurgery.setInt(float, "/", "format_version", 2)
        let error = try #require(CacheOpenTests.refusal(float))
        #expect(error.message.contains("format_version is 2 but the file holds no int8 teacher (version 1)"), "\(error)")
    }

    @Test("a crafted scale (NaN, negative, or so large that codes overflow) is refused when its row is read")
    func craftedScaleValues() throws {
        for bad: Float in [.nan, -1, .infinity, Float.greatestFiniteMagnitude / 100] {
            let url = try Self.cache("int8-scale-value")
            try CacheSurgery.edit(url, "/teachers/video") { group in
                var scales = [Float](repeating: 0.5, count: 8)
                scales[5] = bad
                try group.openDataset("features_scale").write(rows: 3..<4, scales)
            }
            let reader = try FeatureStoreReader(at: url)
            var row = [Float](repeating: 0, count: Self.teacher.rowElements)
            try reader.read(row: 1, teacher: "video", into: &row)
            let error = #expect(throws: FeatureStoreError.self) { try reader.read(row: 3, teacher: "video", into: &row) }
            #expect(
                error?.code == .notACache
                    && error?.message.contains(
                        "row 3: /teachers/video/features_scale holds "
                            + "\(bad) for token 5") == true
                    && error?.message.contains("The row is damaged, not the whole file") == true
                    && error?.message.contains("delete") == false,
                "\(error?.message ?? "")")
        }
    }

    @Test("inspect finds damaged scales of done rows without reading training rows, and resetting them lets a rerun redo only those")
    func damagedScalesFoundAndReset() throws {
        let url = try Self.cache("int8-scale-inspect")
        var original = [Float](repeating: 0, count: Self.teacher.rowElements)
        try FeatureStoreReader(at: url).read(row: 3, teacher: "video", into: &original)
        try CacheSurgery.edit(url, "/teachers/video") { group in
            let scales = group.openDataset
            var row3 = [Float](repeating: 0.5, count: 8), row7 = row3
            row3[5] = .nan
            row7[0] = -1
            try scales("features_scale").write(rows: 3..<4, row3)
            try scales("features_scale").write(rows: 7..<8, row7)
            // Rows of the failed video 2 (4, 5) are never done: whatever their scales hold is not damage.
            try scales("features_scale").write(rows: 4..<5, [Float](repeating: .infinity, count: 8))
        }
        let summary = try FeatureStoreInspection.summary(of: url)
        #expect(summary.damagedScales == ["video": [3, 7]] && !summary.isComplete)
        let text = summary.description
        #expect(
            text.contains("DAMAGED: 2 done row(s) hold unusable scales in features_scale")
                && text.contains("row 3 (clips/video 1 ü.mp4), row 7 (clips/video 3 ü.mp4)")
                && text.contains("`mvd inspect --reset-damaged \(url.path)`") && !text.contains("delete"), "\(text)")

        #expect(try ScaleCheck.resetDamagedRows(in: url) == ["video": [3, 7]])
        let after = try FeatureStoreInspection.summary(of: url)
        #expect(after.damagedScales.isEmpty && after.videosPending == 2 && after.teachers[0].rowsDone == 6)
        // The rerun extracts exactly the reset rows.
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request([Self.teacher]))
        #expect(writer.remainingVideos() == [1, 3])
        var redone: [Int] = []
        for video in writer.remainingVideos() {
            for row in writer.rows(ofVideo: video) where !writer.isDone(row: row, teacher: "video") {
                redone.append(row)
                try writer.writeView(row: row, try writer.storedView(row: row) ?? TestCache.view(row))
                try writer.writeFeatures(row: row, teacher: "video", Self.features(row))
            }
            try writer.finishVideo(video)
        }
        try writer.close()
        #expect(redone == [3, 7])
        #expect(try FeatureStoreInspection.summary(of: url).isComplete)
        var again = [Float](repeating: 0, count: Self.teacher.rowElements)
        try FeatureStoreReader(at: url).read(row: 3, teacher: "video", into: &again)
        #expect(again == original)
    }

    @Test("a format-2 file without its scales is called format 2, and the other teachers are said to be intact")
    func missingScaleNamesFormat2() throws {
        let url = try Self.cache("int8-scale-gone", teachers: [TestCache.teacher("image"), Self.teacher])
        try CacheSurgery.edit(url, "/teachers/video") { try $0.removeChild("features_scale") }
        let error = try #require(CacheOpenTests.refusal(url))
        #expect(
            error.message.contains("stores int8 codes (format 2)") && !error.message.contains("format 1")
                && error.message.contains("The other teachers are intact"), "\(error.message)")
    }

    @Test("merging int8 shards gives the cache of a single-process run, codes and scales unchanged")
    func mergeShards() throws {
        let whole = try Self.cache("int8-merge-whole")
        let parts = try (0..<2).map { try Self.cache("int8-merge-\($0)", shard: try Shard(index: $0, count: 2)) }
        let merged = parts[0].deletingLastPathComponent().appendingPathComponent("merged.h5")
        let report = try FeatureStoreMerge.merge(shards: parts, into: merged)
        #expect(report.rowsDone["video"] == 8)
        #expect(try FeatureStoreReader(at: merged).formatVersion == 2)
        try expectSameCache(merged, whole)
        for row in [0, 1, 6, 9] {
            let (a, b) = (try Self.stored(merged, row: row), try Self.stored(whole, row: row))
            #expect(a.codes == b.codes && a.scales == b.scales, "row \(row)")
        }
        try expectH5DiffEqual(merged, whole)
    }

    @Test("inspect names int8 storage, its scale dataset and format 2")
    func inspect() throws {
        let url = try Self.cache("int8-inspect", teachers: [TestCache.teacher("image"), Self.teacher])
        let text = try FeatureStoreInspection.summary(of: url).description
        #expect(text.contains("MVD feature cache, format 2"), "\(text)")
        #expect(
            text.contains(
                "teacher video: video vit_test, L 8 x D 6, int8 with per-token scales in features_scale "
                    + "[10, 8] float32, computed in fp32, checkpoint"), "\(text)")
        #expect(text.contains("teacher image: image vit_test, L 8 x D 6, float16, computed in fp32, checkpoint"), "\(text)")
    }
}
