import FeatureStore
import Foundation
import TestSupport
import Testing
import VideoIO

@testable import Distill

/// What training refuses in a cache before it pairs pixels with targets: another token grid, and stored views that
/// reach past the video they are decoded from.
@Suite("training data from a cache refuses what does not fit", .serialized)
struct CacheTrainingDataTests {
    /// A one-video cache of `frames`-frame clips at `size` px, patch `patch`, tubelet `tubelet`, with one video
    /// teacher of `tokens` x 4 targets (none when `tokens` is 0), whose row 0 has `view`.
    static func cache(
        in dir: URL, frames: Int, size: Int, patch: Int, tubelet: Int, tokens: Int, view: RowView,
        video: String = "v.mkv"
    ) throws -> URL {
        let url = dir.appendingPathComponent("cache.h5")
        let attributes = CacheAttributes(
            manifestSHA256: String(repeating: "0", count: 64), numFrames: frames,
            samplingRate: 1, tubeletSize: tubelet, inputSize: size, patchSize: patch,
            viewsPerVideo: 1, seed: 0, createdBy: "CacheTrainingDataTests")
        let teachers =
            tokens == 0
            ? []
            : [
                TeacherSpec(
                    name: "video", kind: .video, arch: "vit_test", embedDim: 4, depth: 1, numHeads: 1, patchSize: patch,
                    inputSize: size, frameStride: 1, checkpointSHA256: "00", checkpointName: "v.pth", tokenCount: tokens)
            ]
        let writer = try FeatureStoreWriter(
            at: url,
            request: .init(
                attributes: attributes, videos: [VideoEntry(path: video, label: 0)], teachers: teachers))
        try writer.writeView(row: 0, view)
        for t in teachers { try writer.writeFeatures(row: 0, teacher: t.name, [Float](repeating: 1, count: t.rowElements)) }
        try writer.finishVideo(0)
        try writer.close()
        return url
    }

    @Test("a student whose patch and tubelet differ from the cache's is refused even when the token counts agree")
    func tokenGrid() throws {
        let dir = try Fixtures.temporaryDirectory("grid")
        defer { try? FileManager.default.removeItem(at: dir) }
        // patch 8 / tubelet 2 and patch 4 / tubelet 8 both make 128 tokens of a 16-frame 32 px clip.
        let view = RowView(frames: Array(0..<16), crop: (0, 0, 32, 32))
        let url = try Self.cache(in: dir, frames: 16, size: 32, patch: 8, tubelet: 2, tokens: 128, view: view)
        let refused = Fixtures.errorMessage {
            _ = try CacheTrainingData(
                url: url, teacherNames: ["video"], tokens: 128, numFrames: 16, inputSize: 32,
                patchSize: 4, tubeletSize: 8, dataRoot: dir.path)
        }
        #expect(refused.contains("8×4×4 tokens (patch 8, tubelet 2)"), "\(refused)")
        #expect(refused.contains("2×8×8 tokens (patch 4, tubelet 8)"), "\(refused)")
        #expect(refused.contains("patch size 8 and tubelet size 2"), "\(refused)")
        let fitting = try CacheTrainingData(
            url: url, teacherNames: ["video"], tokens: 128, numFrames: 16, inputSize: 32,
            patchSize: 8, tubeletSize: 2, dataRoot: dir.path)
        #expect(fitting.rows == [0])
    }

    @Test(
        "a stored crop outside the decoded frames, or a frame past the video's end, is refused with the row",
        arguments: [
            (RowView(frames: [0, 1], crop: (10, 10, 8, 8)), "crops x 10, y 10, 8×8", "whose frames are 16×16"),
            (RowView(frames: [0, 1], crop: (0, 0, 17, 16)), "crops x 0, y 0, 17×16", "whose frames are 16×16"),
            (RowView(frames: [0, 9], crop: (0, 0, 8, 8)), "uses frame 9", "which has 4 frames")
        ])
    func viewOutsideVideo(_ view: RowView, _ first: String, _ second: String) throws {
        let dir = try Fixtures.temporaryDirectory("view")
        defer { try? FileManager.default.removeItem(at: dir) }
        let pixels = (0..<(4 * 16 * 16 * 3)).map { UInt8(truncatingIfNeeded: $0) }
        try VideoEncoder.write(
            Clip(frameCount: 4, height: 16, width: 16, pixels: pixels),
            to: dir.appendingPathComponent("v.mkv").path, options: EncodeOptions(codec: .ffv1))
        let url = try Self.cache(in: dir, frames: 2, size: 8, patch: 4, tubelet: 2, tokens: 0, view: view)
        let data = try CacheTrainingData(
            url: url, teacherNames: [], tokens: 0, numFrames: 2, inputSize: 8,
            patchSize: 4, tubeletSize: 2, dataRoot: dir.path)
        let refused = Fixtures.errorMessage { _ = try data.redecodedClip(row: 0) }
        #expect(refused.contains("cache row 0 \(first)"), "\(refused)")
        #expect(refused.contains(second), "\(refused)")
    }
}
