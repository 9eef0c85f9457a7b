import Distill
import Evaluate
import Foundation
import Models
import Tensor
import TestSupport
import Testing

@testable import MVDCommands

/// `similarity` averages over the videos that decode and says which it left out.
@Suite struct SimilarityCommandTests {
    @Test("a video that fails to decode is counted, named and recorded in PREFIX.json; the matrix averages the others")
    func undecodableVideo() throws {
        let dir = try Fixtures.temporaryDirectory("similarity-command")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, out) = try CommandFixtures.freshRun(in: dir)

        let root = dir.appendingPathComponent("videos")
        try CommandFixtures.videos(in: root, [("a.mkv", 40), ("c.mkv", 200)], broken: ["broken.mkv"])
        let manifest = try CommandFixtures.write("a.mkv 0\nbroken.mkv 0\nc.mkv 1\n", to: root.appendingPathComponent("val.csv"))
        let prefix = dir.appendingPathComponent("sim").path
        try SimilarityCommand.parse([
            "--subject", "student", "--run", out.path, "--manifest", manifest.path, "--data-root", root.path,
            "--out", prefix, "--sampling-rate", "1", "--threads", "1"
        ]).run()
        let matrix = try JSONDecoder().decode(SimilarityMatrix.self, from: Data(contentsOf: URL(fileURLWithPath: prefix + ".json")))
        #expect(matrix.clipCount == 2)
        let skipped = try #require(matrix.skippedVideos)
        #expect(skipped.map(\.path) == ["broken.mkv"] && !skipped[0].reason.isEmpty, "\(skipped)")
    }
}
