import FeatureStore
import Foundation
import TestSupport
import Testing

/// What a user reads when a command fails: a flag problem gets the usage text, anything else (a missing or
/// unusable input, a failed step of the work) only its own message, and every failure a non-zero status.
@Suite struct ErrorStyleTests {
    let dir: URL
    let config: URL

    init() throws {
        dir = try Fixtures.temporaryDirectory("error-style")
        config = try CommandFixtures.write(CommandFixtures.studentConfig, to: dir.appendingPathComponent("student.json"))
    }

    func distill(cache: URL, out: String, _ extra: [String] = []) throws -> (status: Int32, stderr: String) {
        try CommandFixtures.run(
            "mvd",
            [
                "distill", "--cache", cache.path, "--out", dir.appendingPathComponent(out).path,
                "--model-config", config.path, "--threads", "1"
            ] + extra)
    }

    static func showsUsage(_ text: String) -> Bool { text.contains("USAGE:") || text.contains("OPTIONS:") || text.contains("--help") }

    @Test("a missing cache is reported by the cache's own error, without the usage text, and creates no run folder")
    func missingCache() throws {
        let missing = dir.appendingPathComponent("no-such-cache.h5")
        let result = try distill(cache: missing, out: "run-missing")
        #expect(result.status == 1, "exit status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains(missing.path), "\(result.stderr)")
        #expect(!Self.showsUsage(result.stderr), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run-missing").path))
    }

    @Test("a cache whose rows were never extracted stops the run with the library's message, without the usage text")
    func cacheWithoutRows() throws {
        let cache = try CommandFixtures.cache(in: dir)
        let result = try distill(cache: cache, out: "run-empty")
        #expect(result.status == 1, "exit status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains(cache.lastPathComponent) || result.stderr.contains("row"), "\(result.stderr)")
        #expect(!Self.showsUsage(result.stderr), "\(result.stderr)")
    }

    @Test("a flag problem is still shown with the usage text and the usage exit status")
    func flagProblem() throws {
        let cache = try CommandFixtures.cache(in: dir)
        let result = try distill(cache: cache, out: "run-flag", ["--epochs", "0"])
        #expect(result.status == 64, "exit status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("--epochs") && Self.showsUsage(result.stderr), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run-flag").path))
    }

    /// A cache of two rows (pixels stored) whose float32 teacher "video" has targets of ±1e30: under `--loss l2`
    /// the squared difference overflows to infinity at the first step.
    func overflowingCache() throws -> URL {
        let url = dir.appendingPathComponent("overflow.h5")
        let teacher = TeacherSpec(
            name: "video", kind: .video, arch: "fixture", embedDim: 16, depth: 1, numHeads: 2, patchSize: 8,
            inputSize: 32, frameStride: 1, checkpointSHA256: "c0ffee", checkpointName: "video.pth", tokenCount: 32,
            dtype: .float32)
        let writer = try CommandFixtures.twoVideoWriter(at: url, teachers: [teacher], storePixels: true)
        for video in writer.remainingVideos() {
            for row in writer.rows(ofVideo: video) {
                try writer.writeView(
                    row: row, RowView(frames: [0, 2, 4, 6], crop: (0, 0, 32, 32)),
                    pixels: [UInt8](repeating: 128, count: 4 * 32 * 32 * 3))
                let targets: [Float] = (0..<(32 * 16)).map { $0 % 2 == 0 ? 1e30 : -1e30 }
                try writer.writeFeatures(row: row, teacher: "video", targets)
            }
            try writer.finishVideo(video)
        }
        try writer.close()
        return url
    }

    @Test("a non-finite loss stops the run with the step and the terms, without the usage text")
    func nonFiniteLoss() throws {
        let result = try distill(
            cache: try overflowingCache(), out: "run-overflow",
            ["--loss", "l2", "--epochs", "1", "--batch-size", "1", "--warmup-epochs", "0"])
        #expect(result.status == 1, "exit status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("the loss became non-finite at step 0 (video)"), "\(result.stderr)")
        #expect(!Self.showsUsage(result.stderr), "\(result.stderr)")
    }
}
