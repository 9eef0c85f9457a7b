import FeatureExtract
import FeatureStore
import Foundation
import TestSupport
import Testing

@Suite("extract-features survives kill -9", .serialized)
struct CrashResumeTests {
    /// Runs the `extract-features` binary; kills it with SIGKILL after `killAfter` seconds when given.
    static func run(_ arguments: [String], killAfter: Double?) throws -> Int32 {
        let p = Process()
        p.executableURL = Fixtures.builtProduct("extract-features")
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try ChildProcess.run(p)
        if let delay = killAfter {
            Thread.sleep(forTimeInterval: delay)
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test("killed at several points and rerun, the cache equals an uninterrupted run's")
    func killAndResume() throws {
        try #require(Fixtures.builtProduct("extract-features") != nil, "build the products first (swift build --build-tests)")
        let dir = try Fixtures.temporaryDirectory("kill")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("data")
        let manifest = try ExtractionFixtures.dataset(in: root, perClass: 4)
        func arguments(_ out: URL) -> [String] {
            [
                "--teacher", "video", "--checkpoint", Fixtures.url("video_teacher_videomae_checkpoint.pth").path,
                "--model-config", Fixtures.url("configs/fixture_video_teacher.json").path, "--manifest", manifest.path,
                "--data-root", root.path, "--out", out.path, "--views-per-video", "3", "--sampling-rate", "2",
                "--batch-size", "1", "--threads", "1", "--seed", "9"
            ]
        }
        let reference = dir.appendingPathComponent("reference.h5"), killed = dir.appendingPathComponent("killed.h5")
        let start = Date()
        #expect(try Self.run(arguments(reference), killAfter: nil) == 0)
        let duration = Date().timeIntervalSince(start)
        var kills = 0
        for fraction in [0.05, 0.25, 0.45, 0.65, 0.85] {
            if try Self.run(arguments(killed), killAfter: duration * fraction) != 0 { kills += 1 }
        }
        #expect(try Self.run(arguments(killed), killAfter: nil) == 0)
        #expect(kills >= 2, "at least two runs were actually killed mid-way (\(kills)); uninterrupted run took \(duration) s")
        #expect(try ChildProcess.h5diff(reference, killed) == 0)
        #expect(try FeatureStoreInspection.summary(of: killed).isComplete)
    }
}
