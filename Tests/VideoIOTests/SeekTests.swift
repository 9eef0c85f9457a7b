import Foundation
import TestSupport
import Testing
import VideoIO

@Suite("random access is frame-exact")
struct SeekTests {
    init() { FFmpegLog.setLevel(.quiet) }

    /// Decodes all frames in order, then fetches `indices` from a fresh reader and compares frame by frame.
    func checkRandomAccess(_ url: URL, expectedCount: Int, indices: [Int], threads: Int = 1) throws {
        let sequential = try VideoReader(path: url.path, options: DecodeOptions(threads: threads))
        #expect(sequential.info.frameCount == expectedCount)
        let all = try sequential.frames(at: Array(0..<expectedCount))
        // Consecutive frames of testsrc2 always differ, so equal bytes identify the frame.
        for t in 1..<expectedCount { #expect(all.frame(t) != all.frame(t - 1), "frames \(t - 1) and \(t) are identical") }
        let random = try VideoReader(path: url.path, options: DecodeOptions(threads: threads))
        let clip = try random.frames(at: indices)
        for (t, index) in indices.enumerated() {
            #expect(clip.frame(t) == all.frame(index), "frame \(index) (request \(t)) differs from the sequential decode")
        }
    }

    func scatteredIndices(count: Int, seed: UInt64) -> [Int] {
        var rng = TestVideos.SeededGenerator(seed: seed)
        let fixed = [count - 1, 0, 17, 11, 12, 13, 50, 49, 48, count - 2, 30, 30, 5]
        return fixed.filter { $0 < count } + (0..<24).map { _ in Int.random(in: 0..<count, using: &rng) }
    }

    @Test("H.264 with a 12-frame GOP and B-frames: random fetches equal the sequential decode", arguments: [1, 2])
    func h264BFrames(threads: Int) throws {
        let (dir, url) = try TestVideos.scratchTestPattern("seek-h264", name: "gop12_bf3.mp4", frames: 90, codec: TestVideos.h264ShortGOP)
        defer { try? FileManager.default.removeItem(at: dir) }
        let reader = try VideoReader(path: url.path)
        #expect(reader.info.keyframeIndices.count >= 7, "keyframes: \(reader.info.keyframeIndices)")
        try checkRandomAccess(url, expectedCount: 90, indices: scatteredIndices(count: 90, seed: 7), threads: threads)
    }

    @Test("H.264 with a single keyframe: a late frame is reached by decoding forward")
    func h264LongGOP() throws {
        let (dir, url) = try TestVideos.scratchTestPattern(
            "seek-h264-long", name: "long_gop.mp4", frames: 60, codec: ["-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-pix_fmt", "yuv420p"])
        defer { try? FileManager.default.removeItem(at: dir) }
        try checkRandomAccess(url, expectedCount: 60, indices: [59, 2, 58, 31, 0, 31])
    }

    @Test(
        "VP9 WebM, MPEG-4 AVI, FFV1 MKV and MPEG-2 PS: random fetches equal the sequential decode",
        arguments: [
            ("vp9.webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-g", "16"]),
            ("mpeg4.avi", ["-c:v", "mpeg4", "-g", "10", "-q:v", "4"]),
            ("ffv1.mkv", ["-c:v", "ffv1", "-g", "8"]),
            ("mpeg2.mpg", ["-c:v", "mpeg2video", "-g", "12", "-bf", "2", "-q:v", "4"])
        ])
    func otherContainers(name: String, codec: [String]) throws {
        let (dir, url) = try TestVideos.scratchTestPattern("seek-other", name: name, frames: 60, codec: codec)
        defer { try? FileManager.default.removeItem(at: dir) }
        try checkRandomAccess(url, expectedCount: 60, indices: scatteredIndices(count: 60, seed: 11))
    }

    @Test("MPEG-4 AVI with B-frames (pts missing on some packets) is counted by decoding and still exact")
    func aviWithBFrames() throws {
        let (dir, url) = try TestVideos.scratchTestPattern(
            "seek-avi", name: "bframes.avi", frames: 40, codec: ["-c:v", "mpeg4", "-bf", "2", "-g", "10", "-q:v", "4"])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try VideoReader(path: url.path).info.frameCountSource == .decoding)
        try checkRandomAccess(url, expectedCount: 40, indices: [39, 0, 17, 17, 3, 38])
    }
}
