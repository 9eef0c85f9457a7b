import Foundation
import TestSupport
import Testing

@testable import FeatureStore

@Suite("append, reopen, resume and fingerprints")
struct ResumeTests {
    @Test("a run stopped half way resumes from the done flags and ends equal to an uninterrupted run")
    func resume() throws {
        let teachers = [TestCache.teacher("image"), TestCache.teacher("video", dtype: .float32)]
        let whole = try TestCache.temporaryFile("whole")
        let reference = try FeatureStoreWriter(at: whole, request: TestCache.request(teachers))
        try TestCache.fill(reference, teachers)
        try reference.close()

        let url = try TestCache.temporaryFile("resume")
        let first = try FeatureStoreWriter(at: url, request: TestCache.request(teachers), commitEvery: 1)
        try TestCache.fill(first, teachers, videos: [0, 1])
        // Half of video 3: one row, one teacher, committed but the video not finished.
        try first.writeView(row: 6, TestCache.view(6))
        try first.writeFeatures(row: 6, teacher: "image", TestCache.features(6, teachers[0]))
        try first.close()

        let second = try FeatureStoreWriter(at: url, request: TestCache.request(teachers))
        #expect(second.remainingVideos() == [2, 3, 4])
        #expect(second.isDone(row: 6, teacher: "image") && !second.isDone(row: 6, teacher: "video"))
        #expect(try second.storedView(row: 6) == TestCache.view(6))
        #expect(try second.storedView(row: 8) == nil)
        try TestCache.fill(second, teachers)
        try second.close()
        #expect(try FeatureStoreWriter(at: url, request: TestCache.request(teachers)).remainingVideos() == [])
        try expectSameCache(url, whole)
    }

    @Test("a second teacher added by a later run sees the stored views and leaves the first untouched")
    func addTeacherLater() throws {
        let image = TestCache.teacher("image"), video = TestCache.teacher("video", width: 3)
        let both = try TestCache.temporaryFile("both")
        let reference = try FeatureStoreWriter(at: both, request: TestCache.request([image, video]))
        try TestCache.fill(reference, [image, video])
        try reference.close()

        let url = try TestCache.temporaryFile("later")
        let first = try FeatureStoreWriter(at: url, request: TestCache.request([image]))
        try TestCache.fill(first, [image])
        try first.close()
        let second = try FeatureStoreWriter(at: url, request: TestCache.request([video]))
        #expect(second.remainingVideos() == [0, 1, 3, 4])  // the failed video is final
        try TestCache.fill(second, [video])
        try second.close()
        #expect(try FeatureStoreReader(at: url).teachers.map(\.name) == ["image", "video"])
        try expectSameCache(url, both)
    }

    /// (field named in the error, request that differs from the cache in that field)
    static let mismatches: [(String, FeatureStoreWriter.Request)] = [
        ("manifest_sha256", TestCache.request([TestCache.teacher()], attributes: TestCache.attributes(manifest: "beef"))),
        ("num_frames", TestCache.request([TestCache.teacher()], attributes: TestCache.attributes(frames: 8))),
        ("teachers/video.checkpoint_sha256", TestCache.request([TestCache.teacher(checkpoint: "dead")])),
        ("teachers/video.dtype", TestCache.request([TestCache.teacher(dtype: .float32)])),
        ("teachers/video.embed_dim", TestCache.request([TestCache.teacher(width: 7)])),
        ("teachers/video.precision", TestCache.request([TestCache.teacher(precision: "bf16")])),
        ("/pixels (--store-pixels)", TestCache.request([TestCache.teacher()], pixels: true))
    ]

    @Test("reopening with a different request is refused, naming the field and both values", arguments: mismatches)
    func fingerprintMismatch(field: String, request: FeatureStoreWriter.Request) throws {
        let url = try TestCache.temporaryFile("fingerprint")
        try FeatureStoreWriter(at: url, request: TestCache.request([TestCache.teacher()])).close()
        let error = #expect(throws: FeatureStoreError.self) { try FeatureStoreWriter(at: url, request: request) }
        #expect(error?.code == .fingerprintMismatch)
        #expect(error?.message.contains("\(field) is") == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("delete the file") == true)
    }

    @Test("a second teacher whose token grid differs is told the cache's grid and the --teacher-input-size that gives it")
    func otherGrid() throws {
        let url = try TestCache.temporaryFile("grid")
        try FeatureStoreWriter(at: url, request: TestCache.request([TestCache.teacher("image")])).close()
        // Patch 1 at the clips' 4 px: a 4×4 grid (1 px per token) where the cache has 2×2 (patch_size 2).
        var attributes = TestCache.attributes()
        attributes.patchSize = 1
        var video = TestCache.teacher("video", tokens: 32)
        video.patchSize = 1
        let error = #expect(throws: FeatureStoreError.self) {
            try FeatureStoreWriter(at: url, request: TestCache.request([video], attributes: attributes))
        }
        let message = error?.message ?? ""
        #expect(error?.code == .fingerprintMismatch, "\(message)")
        #expect(
            message.contains(
                "holds a 2×2 token grid per frame (2 px of its 4 px clips per token), but teacher video (patch 1) "
                    + "seeing the clips at 4 px gives 4×4") && message.contains("Give --teacher-input-size 2"), "\(message)")
        #expect(!message.contains("in this request") && !message.contains("patch_size"), "\(message)")
    }

    @Test("a teacher written before the precision attribute existed reads as fp32; an unknown precision is refused")
    func precisionAttribute() throws {
        let url = try TestCache.temporaryFile("precision")
        try FeatureStoreWriter(at: url, request: TestCache.request([TestCache.teacher(precision: "bf16")])).close()
        #expect(try FeatureStoreReader(at: url).teachers.map(\.precision) == ["bf16"])
        try CacheSurgery.edit(url, "/teachers/video") { try $0.removeAttribute("precision") }
        #expect(try FeatureStoreReader(at: url).teachers.map(\.precision) == ["fp32"])
        try CacheSurgery.edit(url, "/teachers/video") { try $0.setAttribute("precision", "fp64") }
        let error = #expect(throws: FeatureStoreError.self) { try FeatureStoreReader(at: url) }
        #expect(error?.message.contains("precision is \"fp64\"") == true, "\(error?.message ?? "no error")")
    }

    @Test("a reader expecting other clip geometry is refused")
    func readerExpectation() throws {
        let url = try TestCache.temporaryFile("expect")
        try FeatureStoreWriter(at: url, request: TestCache.request([TestCache.teacher()])).close()
        let error = #expect(throws: FeatureStoreError.self) {
            try FeatureStoreReader(at: url, expecting: TestCache.attributes(frames: 16))
        }
        #expect(error?.message.contains("num_frames is \"4\" in the file but \"16\"") == true)
    }

    @Test("a file that is not a cache is refused with a clear error")
    func notACache() throws {
        let url = try TestCache.temporaryFile("junk")
        try Data("not hdf5".utf8).write(to: url)
        let error = #expect(throws: FeatureStoreError.self) { try FeatureStoreReader(at: url) }
        #expect(error?.code == .cannotOpen)
        #expect(error?.hdf5Stack.contains { $0.contains("signature") } == true, "\(error?.hdf5Stack ?? [])")
        let missing = #expect(throws: FeatureStoreError.self) {
            try FeatureStoreReader(at: url.deletingLastPathComponent().appendingPathComponent("none.h5"))
        }
        #expect(missing?.message.contains("no file at") == true)
    }
}
