import Distill
import Foundation
import TestSupport
import Testing

@testable import FeatureStore
@testable import MVDCommands

/// `distill --standardize-targets`: refused where it has no effect or no statistics, recorded where it runs.
@Suite struct StandardizeTargetsCommandTests {
    let dir: URL
    let config: URL

    init() throws {
        dir = try Fixtures.temporaryDirectory("standardize-command")
        config = try CommandFixtures.write(CommandFixtures.studentConfig, to: dir.appendingPathComponent("student.json"))
    }

    /// The fixture geometry's two-video cache, complete (stored pixels, features of both teachers), so that
    /// extract-features' writer has stored each teacher's statistics.
    func completeCache() throws -> URL {
        let url = dir.appendingPathComponent("complete.h5")
        let teachers = ["image", "video"].map { name in
            TeacherSpec(
                name: name, kind: name == "image" ? .image : .video, arch: "fixture", embedDim: 16, depth: 1, numHeads: 2,
                patchSize: 8, inputSize: 32, frameStride: name == "image" ? 2 : 1, checkpointSHA256: "c0ffee",
                checkpointName: "\(name).pth", tokenCount: 32)
        }
        let writer = try CommandFixtures.twoVideoWriter(at: url, teachers: teachers, storePixels: true)
        var random = TestRandom(seed: 3)
        for video in 0..<2 {
            try writer.writeView(
                row: video, RowView(frames: [0, 1, 2, 3], crop: (0, 0, 32, 32)), pixels: [UInt8](repeating: 7, count: 4 * 32 * 32 * 3))
            for t in teachers { try writer.writeFeatures(row: video, teacher: t.name, random.array(t.rowElements, scale: 2)) }
            try writer.finishVideo(video)
        }
        try writer.close()
        return url
    }

    func arguments(_ cache: URL, _ extra: [String] = []) -> [String] {
        ["--cache", cache.path, "--out", dir.appendingPathComponent("run").path, "--model-config", config.path] + extra
    }

    @Test("--standardize-targets with --target pixels is refused as a flag without effect")
    func refusedWithPixelTargets() throws {
        let cache = try CommandFixtures.cache(in: dir)
        let refusal = try #require(
            CommandFixtures.message(DistillCommand.self, arguments(cache, ["--target", "pixels", "--standardize-targets"])))
        #expect(refusal.contains("--standardize-targets applies to --target features"), "\(refusal)")
        #expect(CommandFixtures.message(DistillCommand.self, arguments(cache, ["--target", "pixels"])) == nil)
    }

    @Test("the flag reaches every teacher's term of config.json, and the cache's statistics reach the data")
    func recordedAndApplied() throws {
        let cache = try completeCache()
        let command = try DistillCommand.parse(arguments(cache, ["--standardize-targets"]))
        let (config, _, data) = try command.prepare()
        guard case .distill(let terms) = config.objective else {
            Issue.record("a features run has a distillation objective")
            return
        }
        #expect(terms.map(\.standardizeTargets) == [true, true])
        #expect(data.standardizations.allSatisfy { $0 != nil })
        let run = RunDirectory(dir.appendingPathComponent("recorded"))
        try run.create()
        try run.writeConfig(config)
        let json = try String(contentsOf: run.configURL, encoding: .utf8)
        #expect(json.components(separatedBy: "\"standardizeTargets\" : true").count == 3, "\(json)")

        let (plain, _, plainData) = try DistillCommand.parse(arguments(cache)).prepare()
        #expect(plainData.standardizations.allSatisfy { $0 == nil })
        // What --resume compares: the same flags but this one are another run.
        #expect(TrainConfig.differingFields(config, plain) == ["objective"])
    }

    @Test("a cache whose teacher has no statistics is refused at the start, naming the teacher and the command")
    func refusedWithoutStatistics() throws {
        let cache = try completeCache()
        try removeStatistics(cache, teacher: "video")
        let command = try DistillCommand.parse(arguments(cache, ["--standardize-targets"]))
        let message = Fixtures.errorMessage { _ = try command.prepare() }
        #expect(message.contains("teacher 'video'") && message.contains("no feature statistics"), "\(message)")
        #expect(message.contains("rerun the extract-features command"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run").path))
        // Standardising only the teacher that has them is accepted.
        _ = try DistillCommand.parse(arguments(cache, ["--teachers", "image", "--standardize-targets"])).prepare()
    }
}

/// Deletes a teacher's statistics, as in a cache written before they existed; the file is closed when this returns.
func removeStatistics(_ url: URL, teacher: String) throws {
    let group = try H5Object.openFile(at: url, writable: true).openGroup("teachers").openGroup(teacher)
    for name in [CacheNames.featureMean, CacheNames.featureStd, CacheNames.featureStatsRows] { try group.removeAttribute(name) }
    try group.flush()
}
